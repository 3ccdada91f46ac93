#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make testos-nt: the shipped vgpu.sys on the NT harness (testos-nt/) against
# QEMU's virtio-gpu-gl.  Says which vgpu.sys it loads (path, SHA-256), boots
# the guest, and when a violation ends a boot in the middle of the
# scenarios, boots it again to carry on after that scenario.  Three passes,
# each announced by a "# pass NAME" line: the function with MSI-X; without
# (QEMU's vectors=0: vgpu.sys on the line interrupt alone); and with blob
# resources in 64 MiB of host-visible memory, which needs a newer QEMU than
# Debian 12's (scripts/newer-qemu.sh, prepared by make testos-nt and make
# test).  A replay of captures runs the first only.  Ends with one line for
# all boots: "N passed, N failed".
#   scripts/testos-nt.sh [BUILD_DIR [GUEST]]
# The package is BUILD_DIR/package (make package); the guest by default
# BUILD_DIR/testos-nt/testos-nt.bin (make -C testos-nt).
# TESTOS_NT_CAPTURES: capture files separated by commas (docs/replay.md);
# the guest replays them after the bring-up instead of the other scenarios.
# TESTOS_NT_LOG_DIR: where each boot's serial log goes (default: beside GUEST).
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
package=$build/package
guest=${2:-$build/testos-nt/testos-nt.bin}
sys=$package/vgpu-win64/vgpu.sys
symbols=$package/symbols/vgpu.sys
log_dir=${TESTOS_NT_LOG_DIR:-$(dirname "$guest")/logs}
mkdir -p "$log_dir"

IFS=, read -ra captures <<<"${TESTOS_NT_CAPTURES:-}"
for f in "$guest" "$sys" "$symbols" "${captures[@]}"; do
	if [ ! -f "$f" ]; then
		echo "not ok - testos-nt.setup: $f is missing (make testos-nt builds the guest and package)"
		echo "0 passed, 1 failed"
		exit 1
	fi
done
echo "# vgpu.sys: $sys"
echo "# sha256 $(sha256sum "$sys" | cut -d' ' -f1)"

modules="$sys role=driver,$symbols role=symbols"
for capture in "${captures[@]}"; do
	modules+=",$capture role=capture"
done

passed=0
failed=0

# One pass: boots from the first scenario on, a new boot after each violation.
#   run_pass NAME GPU_OPTIONS
# run_pass NAME DEVICE-OPTIONS [GUEST-ARGS [QEMU]]
run_pass() {
	local name=$1 options=$2 args=${3:-} qemu=${4:-${QEMU:-}} dir=$log_dir/$1 resume=0 boot=0
	local log summary next
	mkdir -p "$dir"
	echo "# pass $name: -device virtio-gpu-gl-pci$options"
	while :; do
		boot=$((boot + 1))
		log=$dir/boot-$boot.txt
		QEMU=$qemu TESTOS_NT_MODULES=$modules \
			TESTOS_NT_CMDLINE="resume=$resume${args:+ $args}" \
			TESTOS_NT_GPU_OPTIONS=$options \
			testos-nt/run.sh "$guest" "$dir/boot-$boot" | tee "$log"
		summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
		if [ -z "$summary" ]; then
			failed=$((failed + 1))
			return
		fi
		passed=$((passed + ${summary%% passed*}))
		failed=$((failed + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$summary")))
		next=$(sed -nE 's/^# testos-nt: resume-from ([0-9]+)$/\1/p' "$log" | tail -n 1)
		if [ -z "$next" ] || [ "$next" -le "$resume" ] || [ "$boot" -ge 50 ]; then
			return
		fi
		resume=$next
	done
}

run_pass msix ""
if [ ${#captures[@]} -eq 0 ]; then
	run_pass no-msix ",vectors=0"
	run_pass blob ",blob=true,hostmem=64M" host-visible=64 "$PWD/scripts/newer-qemu.sh"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
