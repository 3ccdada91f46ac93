#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Boot the NT harness under QEMU (KVM when /dev/kvm works, TCG otherwise)
# with the virtio-gpu-gl device and report: the guest's "PASS name",
# "FAIL name", "VIOLATION ..." and "# ..." lines as they are, then
# "N passed, N failed".  A guest that hangs (timeout), panics or ends
# without its own summary ("testos-nt: N passed, N failed", agreeing with
# its case lines) adds the failed case "testos-nt.run", and every failure
# shows the serial log.  Exit status 0 only when everything passed.
#   testos-nt/run.sh BIN [LOG_DIR]
# Environment: TESTOS_NT_TIMEOUT (seconds, default 120), QEMU (the binary),
# TESTOS_NT_MODULES (multiboot modules for -initrd: "file args,file args"),
# TESTOS_NT_CMDLINE (the guest's command line, -append), TESTOS_NT_ACCEL
# (kvm or tcg instead of trying KVM first), TESTOS_NT_GPU_OPTIONS (appended to
# the device's options, e.g. ",vectors=0" for a function without MSI-X).
# The guest's verdict is QEMU's exit status through isa-debug-exit
# (plat_exit(code): status code * 2 + 1): 0 all passed, 1 some failed,
# 5 an unhandled exception or a broken platform.
set -uo pipefail
# shellcheck source=../scripts/guest-verdict.sh
. "$(dirname "$0")/../scripts/guest-verdict.sh"

bin=${1:?usage: run.sh BIN [LOG_DIR]}
log_dir=${2:-$(dirname "$bin")}
timeout_s=${TESTOS_NT_TIMEOUT:-120}
qemu=${QEMU:-qemu-system-x86_64}
serial=$log_dir/testos-nt-serial.log
qemu_log=$log_dir/testos-nt-qemu.log

mkdir -p "$log_dir"
: >"$serial"
: >"$qemu_log"

# KVM only counts as usable when QEMU can actually start with it.
kvm_works() {
	[ -r /dev/kvm ] && [ -w /dev/kvm ] &&
		echo quit | timeout 10 "$qemu" -machine none -accel kvm -nodefaults \
			-display none -monitor stdio >/dev/null 2>&1
}

extra=()
if [ -n "${TESTOS_NT_MODULES:-}" ]; then
	extra+=(-initrd "$TESTOS_NT_MODULES")
fi
if [ -n "${TESTOS_NT_CMDLINE:-}" ]; then
	extra+=(-append "$TESTOS_NT_CMDLINE")
fi

run_problem=
status=
if ! command -v "$qemu" >/dev/null; then
	run_problem="$qemu not found (scripts/setup.sh installs qemu-system-x86)"
elif [ ! -f "$bin" ]; then
	run_problem="no guest at $bin (make -C testos-nt builds it)"
else
	accel=${TESTOS_NT_ACCEL:-}
	if [ -z "$accel" ]; then
		accel=tcg
		kvm_works && accel=kvm
	fi
	echo "# QEMU with $accel"
	start=$(date +%s.%N)
	timeout --kill-after=5 "$timeout_s" "$qemu" \
		-machine q35 -accel "$accel" -m 512M -nodefaults -vga none \
		-device "virtio-gpu-gl-pci${TESTOS_NT_GPU_OPTIONS:-}" \
		-display egl-headless,rendernode=/dev/null \
		-kernel "$bin" "${extra[@]}" \
		-serial "file:$serial" -monitor none \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-no-reboot </dev/null >"$qemu_log" 2>&1
	status=$?
	end=$(date +%s.%N)
fi

guest_verdict testos-nt 11 '^(PASS |FAIL |VIOLATION|#)'
