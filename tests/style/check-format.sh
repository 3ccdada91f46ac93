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
n=0
failed=0
for f in "${files[@]}"; do
	n=$((n + 1))
	if diff=$("$formatter" --style=file "$f" | diff -u "$f" -); then
		echo "ok $n - $f"
	else
		echo "not ok $n - $f (clang-format-14 -i $f)"
		printf '%s\n' "$diff" | head -n 20 | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
done
echo "1..$n"
[ "$failed" -eq 0 ]
