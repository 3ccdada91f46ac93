#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make testos: the guest suite against QEMU's virtio-gpu-gl, then record
# and replay (tests/testos/replay-test.sh), with one final line for both:
# "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
kernel=$build/testos/testos.elf
log=$(mktemp)
trap 'rm -f "$log"' EXIT

testos/run.sh "$kernel" | tee "$log"
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
passed=${summary%% passed*}
failed=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$summary")
[ -n "$summary" ] || { passed=0; failed=1; }

tests/testos/replay-test.sh "$build" "$kernel" | tee "$log"
passed=$((passed + $(grep -c '^ok ' "$log")))
failed=$((failed + $(grep -c '^not ok ' "$log")))
grep -q '^1\.\.' "$log" || failed=$((failed + 1))

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
