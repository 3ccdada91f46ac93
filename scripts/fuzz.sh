#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run every fuzzer of a fuzz build (make fuzz-build) for SECONDS each, one at
# a time, and print one line per fuzzer: "fuzz NAME: N execs, C crashes".
# The corpus each run grows, its log and any crash stay in BUILD/fuzz-runs/.
#   scripts/fuzz.sh BUILD SECONDS
set -uo pipefail
cd "$(dirname "$0")/.."
build=$1 seconds=$2
status=0
for exe in "$build"/tests/fuzz/fuzz_*; do
	[ -f "$exe" ] && [ -x "$exe" ] || continue
	name=${exe##*/fuzz_}
	out=$(FUZZ_SEED=0 tests/fuzz/run-fuzzer.sh "$exe" "tests/fuzz/$name" "$seconds" "$build/fuzz-runs/$name")
	grep -q '^not ok' <<<"$out" && status=1
	sed -n 's/^\(not \)\{0,1\}ok 2 - //p' <<<"$out"
	grep '^not ok\|^#' <<<"$out" | grep -v '^not ok 2' || true
done
exit $status
