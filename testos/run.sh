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
	case $status in
	1 | 3) ;;
	124 | 137) run_problem="no verdict within ${timeout_s} s: the guest hung" ;;
	5) run_problem="the guest panicked" ;;
	*) run_problem="QEMU ended with status $status" ;;
	esac
fi

# Serial lines end in CR LF.
tr -d '\r' <"$serial" >"$serial.tmp" && mv "$serial.tmp" "$serial"
grep -E '^(PASS|FAIL) ' "$serial"
passed=$(grep -c '^PASS ' "$serial")
failed=$(grep -c '^FAIL ' "$serial")

summary=$(grep -E '^testos: [0-9]+ passed, [0-9]+ failed$' "$serial" | tail -n 1)
if [ -z "$run_problem" ] && [ "$summary" != "testos: $passed passed, $failed failed" ]; then
	run_problem="the guest's summary (${summary:-none}) does not match its case lines"
fi
if [ -z "$run_problem" ] && [ "$status" -eq 3 ] && [ "$failed" -eq 0 ]; then
	run_problem="the guest reported failure without a failed case"
fi
if [ -n "$run_problem" ]; then
	echo "FAIL testos.run"
	echo "# $run_problem"
	failed=$((failed + 1))
fi

if [ "$failed" -ne 0 ]; then
	echo "# serial log ($serial):"
	sed 's/^/#   /' "$serial"
	echo "# QEMU's messages ($qemu_log), last lines:"
	tail -n 20 "$qemu_log" | sed 's/^/#   /'
elif [ -n "${start:-}" ]; then
	echo "# QEMU ran $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
