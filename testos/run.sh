#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Boot the test guest under QEMU (TCG) with the virtio-gpu-gl device and
# report: one "PASS name" / "FAIL name" line per case, then
# "N passed, N failed".  A guest that hangs (timeout), dies or ends without
# its own summary adds the failed case "testos.run", and every failure
# shows the serial log.  Exit status 0 only when everything passed.
#   testos/run.sh KERNEL [LOG_DIR]
# Environment: TESTOS_TIMEOUT (seconds, default 60), QEMU (the binary),
# TESTOS_CAPTURES (capture files separated by commas: the guest replays
# them instead of running its suites; docs/replay.md).
set -uo pipefail
# shellcheck source=../scripts/guest-verdict.sh
. "$(dirname "$0")/../scripts/guest-verdict.sh"

kernel=${1:?usage: run.sh KERNEL [LOG_DIR]}
log_dir=${2:-$(dirname "$kernel")}
timeout_s=${TESTOS_TIMEOUT:-60}
qemu=${QEMU:-qemu-system-x86_64}
serial=$log_dir/testos-serial.log
qemu_log=$log_dir/testos-qemu.log

mkdir -p "$log_dir"
: >"$serial"
: >"$qemu_log"

# Captures ride along as multiboot modules.
modules=()
if [ -n "${TESTOS_CAPTURES:-}" ]; then
	modules=(-initrd "$TESTOS_CAPTURES")
fi

# Why the run as a whole failed, if it did.
run_problem=
status=
missing_capture=
IFS=, read -ra captures <<<"${TESTOS_CAPTURES:-}"
for capture in "${captures[@]}"; do
	[ -f "$capture" ] || missing_capture=$capture
done
if [ -n "$missing_capture" ]; then
	run_problem="no capture at $missing_capture"
elif ! command -v "$qemu" >/dev/null; then
	run_problem="$qemu not found (scripts/setup.sh installs qemu-system-x86)"
elif [ ! -f "$kernel" ]; then
	run_problem="no guest kernel at $kernel (make -C testos builds it)"
else
	start=$(date +%s.%N)
	# isa-debug-exit makes the guest's verdict QEMU's exit status: 1 all passed, 3 some failed.
	timeout --kill-after=5 "$timeout_s" "$qemu" \
		-machine pc -accel tcg -m 256M -nodefaults -vga none \
		-device virtio-gpu-gl-pci \
		-display egl-headless,rendernode=/dev/null \
		-kernel "$kernel" "${modules[@]}" \
		-serial "file:$serial" -monitor none \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-no-reboot </dev/null >"$qemu_log" 2>&1
	status=$?
	end=$(date +%s.%N)
fi

guest_verdict testos 5 '^(PASS|FAIL) '
