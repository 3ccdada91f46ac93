#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every C file of the checkout as .clang-format (tabs, 100 columns) lays it
# out, one TAP case per file.  Debian 12's clang-format 14 is the reference:
# other versions lay some constructs out differently.  To fix a file:
#   clang-format-14 -i FILE
set -uo pipefail
cd "$(dirname "$0")/../.."
formatter=clang-format-14
command -v "$formatter" >/dev/null || { echo "Bail out! $formatter is missing (make setup)"; exit 1; }
mapfile -t files < <(git ls-files '*.c' '*.h')
[ "${#files[@]}" -gt 0 ] || { echo "Bail out! no C files found (not a git checkout?)"; exit 1; }
# One clang-format process for all of them (one per file takes half a minute);
# it names each file that it would lay out differently.
report=$("$formatter" --style=file --dry-run "${files[@]}" 2>&1)
n=0
failed=0
for f in "${files[@]}"; do
	n=$((n + 1))
	if grep -q "^$f:[0-9]*:[0-9]*: " <<<"$report"; then
		echo "not ok $n - $f (clang-format-14 -i $f)"
		grep -A2 "^$f:[0-9]*:[0-9]*: " <<<"$report" | head -n 12 | sed 's/^/#   /'
		failed=$((failed + 1))
	else
		echo "ok $n - $f"
	fi
done
echo "1..$n"
[ "$failed" -eq 0 ]
