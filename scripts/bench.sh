#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: vgpu-bench from the build's bin/, with the vgpu-sim beside
# it.  The table goes to the terminal and to BUILD/bench/results.txt; the
# device backends' chatter goes to BUILD/bench/stderr.log and is shown only
# when the run fails.  Extra arguments go to vgpu-bench (e.g. --quick).
#   scripts/bench.sh [BUILD] [vgpu-bench options]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
bin=$build/bin
out=$build/bench
mkdir -p "$out"

for program in vgpu-bench vgpu-sim; do
	if [ ! -x "$bin/$program" ]; then
		echo "bench: $bin/$program is missing (run make native)" >&2
		exit 1
	fi
done

status=0
VGPU_SIM=$bin/vgpu-sim "$bin/vgpu-bench" "$@" 2>"$out/stderr.log" | tee "$out/results.txt" ||
	status=$?
if [ "$status" -ne 0 ]; then
	echo "bench: vgpu-bench failed (status $status); its stderr ($out/stderr.log):" >&2
	cat "$out/stderr.log" >&2
	exit "$status"
fi
echo
echo "bench: results saved in $out/results.txt"
