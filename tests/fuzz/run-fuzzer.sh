#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One libFuzzer harness as a TAP program: replay its saved inputs (the seed
# corpus and every input that ever crashed it), then fuzz for SECONDS from
# the seeds.  New inputs and crashes go under WORKDIR, never into the
# checkout: a crash is printed with where its input is, to be saved under
# DIR/crashes/ once understood.
#   run-fuzzer.sh EXE DIR SECONDS WORKDIR
set -uo pipefail
exe=$1 dir=$2 seconds=$3 work=$4
# A UBSan report is a crash like any other (meson's test setup says the
# same; make fuzz and long runs come here directly).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
name=$(basename "$exe")
name=${name#fuzz_}
mkdir -p "$work/corpus" "$work/crashes"
echo "1..2"

mapfile -t saved < <(find "$dir/corpus" "$dir/crashes" -type f 2>/dev/null | sort)
if [ ${#saved[@]} -eq 0 ]; then
	echo "not ok 1 - replay $name: no saved inputs in $dir"
elif "$exe" "${saved[@]}" >"$work/replay.log" 2>&1; then
	echo "ok 1 - replay $name: ${#saved[@]} inputs"
else
	echo "not ok 1 - replay $name: ${#saved[@]} inputs (log: $work/replay.log)"
	grep -E 'ERROR|Running:|fuzz_' "$work/replay.log" | tail -n 20 | sed 's/^/# /'
fi

# Slow units (libFuzzer's note of an input that ran long, mostly a sign of
# a loaded machine) are kept beside the crashes but are not crashes.
crashes() { find "$work/crashes" -type f ! -name 'slow-unit-*' | wc -l; }
slow_before=$(find "$work/crashes" -type f -name 'slow-unit-*' | wc -l)
before=$(crashes)
# A fixed seed by default: the suite explores the same inputs on every run,
# so that it fails on a change, not on chance.  FUZZ_SEED=0 (make fuzz): a
# fresh seed each run, to search further.  No entropic scheduling: with our
# harnesses' tens of thousands of features, clang 14's libFuzzer spends about
# half of every run on its feature-frequency bookkeeping (measured: 2.6 times
# the executions of fuzz_device without it, 1.7 times fuzz_ioctl's, and no
# fewer new features in the same time).
"$exe" -seed="${FUZZ_SEED:-1}" -entropic=0 -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
	-artifact_prefix="$work/crashes/" "$work/corpus" "$dir/corpus" >"$work/fuzz.log" 2>&1
after=$(crashes)
slow=$(($(find "$work/crashes" -type f -name 'slow-unit-*' | wc -l) - slow_before))
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -n 1)
line="fuzz $name: ${execs:-0} execs, $((after - before)) crashes"
if [ -n "$execs" ] && [ "$after" -eq "$before" ]; then
	echo "ok 2 - $line"
	[ "$slow" -eq 0 ] || echo "# $slow slow units in $work/crashes (not crashes; replay one to time it)"
else
	echo "not ok 2 - $line (log: $work/fuzz.log)"
	grep -E 'ERROR|SUMMARY|Test unit written|fuzz_' "$work/fuzz.log" | tail -n 20 | sed 's/^/# /'
fi
