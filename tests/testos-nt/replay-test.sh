#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Record in the sim, replay through vgpu.sys, as TAP (docs/replay.md,
# docs/windows-harness.md): vgpu-demo and a GL program through our Mesa run
# against a recording vgpu-sim (tests/testos/record-captures.sh); then the NT
# harness replays the captures with a program using libvgpu's DeviceIoControl
# channel into the package's vgpu.sys, against QEMU's virtio-gpu-gl, and
# compares every frame the clients read back with the sim's.  A damaged
# capture must then be refused with a message, the guest ending normally.
#   replay-test.sh BUILD_DIR GUEST [WORK_DIR]
# BUILD_DIR holds the package (make package), kmd/sim/vgpu-sim,
# tools/vgpu-demo and tests/gl/test_gl_egl; GUEST is testos-nt.bin.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(realpath "${1:?usage: replay-test.sh BUILD_DIR GUEST [WORK_DIR]}")
guest=$(realpath "${2:?usage: replay-test.sh BUILD_DIR GUEST [WORK_DIR]}")
work=${3:-$(dirname "$guest")/replay}
rm -rf "$work"
mkdir -p "$work"
work=$(realpath "$work")
. "$top/tests/testos/record-captures.sh"
record_captures

# One run of the harness with these captures; its output in $work/NAME.out.
replay_run() { # name captures...
	local name=$1
	shift
	TESTOS_NT_CAPTURES=$(IFS=,; echo "$*") TESTOS_NT_LOG_DIR="$work/$name" \
		"$top/scripts/testos-nt.sh" "$build" "$guest" >"$work/$name.out" 2>&1
}
# The run's summary says no case failed outside the replays and the guest ended normally.
ran_to_summary() { # name
	grep -qE '^[0-9]+ passed, [0-9]+ failed$' "$work/$1.out" &&
		! grep -qE '^(FAIL testos-nt\.|not ok - testos-nt\.setup)' "$work/$1.out"
}

captures=()
[ "$demo_ok" = 1 ] && captures+=("$work/demo.vgcap")
[ "$gl_ok" = 1 ] && captures+=("$work/gl.vgcap")
if [ "${#captures[@]}" -gt 0 ]; then
	replay_run replay "${captures[@]}"
	# The bring-up's cases come first, then each capture's.
	while read -r verdict name; do
		case_result "$([ "$verdict" = PASS ] && echo 1 || echo 0)" "$name"
	done < <(grep -E '^(PASS|FAIL) ' "$work/replay.out")
	ran_to_summary replay
	case_result $((1 - $?)) "the harness ran to its summary"
	for capture in "${captures[@]}"; do
		label=$(basename "$capture" .vgcap)
		grep -q "^PASS replay.$label.frames$" "$work/replay.out"
		case_result $((1 - $?)) "replay.$label compared at least one frame, all equal"
	done
	grep -E '^(# replay|VIOLATION)' "$work/replay.out" | show
	grep -qE '^FAIL ' "$work/replay.out" && show "$work/replay.out"
fi

# --- a damaged capture: refused with its reason, the guest still sane ---------
# One MEMORY range moved past any backing: the engine must refuse it before
# writing through the user mapping, and the program's handle must then close
# with nothing left on the device.
if [ "$demo_ok" = 1 ]; then
	python3 "$top/tests/testos/corrupt-capture.py" range "$work/demo.vgcap" \
		"$work/badrange.vgcap"
	replay_run damaged "$work/badrange.vgcap"
	out=$work/damaged.out
	ran_to_summary damaged
	case_result $((1 - $?)) "damaged capture: the harness ran to its summary"
	ok=1
	grep -q '^FAIL replay.badrange.capture$' "$out" || ok=0
	grep -q '^# replay badrange: .*a range outside the backing' "$out" || ok=0
	grep -q '^PASS replay.badrange.nothing_leaked$' "$out" || ok=0
	case_result $ok "damaged capture (range) refused cleanly" \
		"$(grep '^# replay badrange: ' "$out" | grep -v 'bytes of capture' | head -n 2 |
			tr '\n' ' ')"
	[ "$ok" = 1 ] || show "$out"
fi

echo "1..$n"
[ "$failures" -eq 0 ]
