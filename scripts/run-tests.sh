#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole test suite: builds (native and Windows cross), runs every test
# program (they print TAP) and ends with one line "N passed, N failed".
# A build that fails counts as a failed case; so does a test program that
# dies without reporting its cases.  The failing cases are listed again just
# before the last line, so that the tail of a long log names them.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
log_dir=$build/test-logs
passed=0
failed=0
failures=()

step() { # name command...: one counted case for a build step
	local name=$1
	shift
	if "$@" >"$log_dir/$name.log" 2>&1; then
		echo "ok - $name"
		passed=$((passed + 1))
	else
		echo "not ok - $name (log: $log_dir/$name.log)"
		failures+=("$name (log: $log_dir/$name.log)")
		tail -n 30 "$log_dir/$name.log" | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
}

mkdir -p "$log_dir"
step build-native make -s native
step build-windows make -s windows
step build-mesa-linux scripts/build-mesa.sh linux
step build-mesa-windows scripts/build-mesa.sh windows
# The shipped package: what tests/nt loads and testos-nt runs.
step build-package make -s package
# The QEMU with blob resources testos-nt's third pass boots (cached outside the checkout).
step newer-qemu scripts/newer-qemu.sh --prepare

# count NAME BUILDDIR [meson test args]: run a build's tests, add up their TAP cases.
count() {
	local name=$1 dir=$2
	shift 2
	[ -f "$dir/build.ninja" ] || return 0
	meson test -C "$dir" --num-processes 2 --print-errorlogs "$@" >"$log_dir/$name.log" 2>&1
	python3 scripts/tap_summary.py "$dir/meson-logs/testlog.json" "$name" \
		>"$log_dir/$name-summary.txt"
	head -n -1 "$log_dir/$name-summary.txt"
	local counts line
	while IFS= read -r line; do
		failures+=("$line")
	done < <(head -n -1 "$log_dir/$name-summary.txt" | grep -E ': (not ok |  # |[A-Z]+ \(no failing case)')
	counts=$(tail -n 1 "$log_dir/$name-summary.txt")
	passed=$((passed + ${counts% *}))
	failed=$((failed + ${counts#* }))
}

count tests "$build"

# The same programs under AddressSanitizer and UBSan.  Suite "slow" runs once: it holds the
# long runs and the programs that load our (uninstrumented) Mesa or the Windows build.
step build-sanitized make -s sanitized
count sanitized "$build/asan" --no-suite slow

# The fuzzers: each replays its saved inputs, then fuzzes briefly (tests/fuzz).
step build-fuzz make -s fuzz-build
count fuzz "$build/fuzz" --no-rebuild --suite fuzz

if [ "${#failures[@]}" -gt 0 ]; then
	echo "failed:"
	printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
