#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Record and replay, as TAP (docs/replay.md): real clients run against a
# vgpu-sim that records them (VGPU_SIM_RECORD): the driver-level vgpu-demo,
# and a GL program through our Mesa build; then the test guest replays the
# captures against QEMU's virtio-gpu-gl and compares every frame the
# clients read back with the sim's.  Damaged copies of a capture must then
# be refused with a clear message, with the guest still ending normally.
#   replay-test.sh BUILD_DIR KERNEL [WORK_DIR]
# BUILD_DIR holds kmd/sim/vgpu-sim, tools/vgpu-demo and tests/gl/test_gl_egl;
# it runs on our Mesa (scripts/with-our-mesa.sh).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:?usage: replay-test.sh BUILD_DIR KERNEL [WORK_DIR]}
kernel=${2:?usage: replay-test.sh BUILD_DIR KERNEL [WORK_DIR]}
work=${3:-$(dirname "$kernel")/replay}
rm -rf "$work"
mkdir -p "$work"
. "$here/record-captures.sh"
record_captures

# --- the guest replays what was recorded -----------------------------------
# Every PASS/FAIL line of a run becomes a case; a run without its summary fails.
replay_run() { # log_dir captures...
	local logs=$1
	shift
	TESTOS_CAPTURES=$(IFS=,; echo "$*") "$top/testos/run.sh" "$kernel" "$logs" \
		>"$logs.out" 2>&1
}

captures=()
[ "$demo_ok" = 1 ] && captures+=("$work/demo.vgcap")
[ "$gl_ok" = 1 ] && captures+=("$work/gl.vgcap")
if [ "${#captures[@]}" -gt 0 ]; then
	mkdir -p "$work/replay"
	replay_run "$work/replay" "${captures[@]}"
	while read -r verdict name; do
		case_result "$([ "$verdict" = PASS ] && echo 1 || echo 0)" "$name"
	done < <(grep -E '^(PASS|FAIL) ' "$work/replay.out")
	for capture in "${captures[@]}"; do
		label=$(basename "$capture" .vgcap)
		grep -q "^PASS replay.$label.frames$" "$work/replay.out"
		case_result $((1 - $?)) "replay.$label compared at least one frame, all equal"
	done
	grep '^# replay' "$work/replay/testos-serial.log" | show
	grep -q '^FAIL\|testos.run' "$work/replay.out" && show "$work/replay.out"
fi

# --- damaged captures: refused, each with its reason, the guest still sane --
# kind, the guest's case that must fail, and the message that must explain it.
damages=(
	"magic capture not a usable capture: bad magic"
	"truncated capture truncated record"
	"noend capture no END record"
	"hash frame.1 sim [0-9a-f]*, here"
	"resid capture resource id mismatch"
	"range capture a range outside the backing"
)
if [ "$demo_ok" = 1 ]; then
	bad=()
	for d in "${damages[@]}"; do
		read -r kind _ <<<"$d"
		python3 "$here/corrupt-capture.py" "$kind" "$work/demo.vgcap" "$work/bad$kind.vgcap"
		bad+=("$work/bad$kind.vgcap")
	done
	mkdir -p "$work/damaged"
	replay_run "$work/damaged" "${bad[@]}"
	serial=$work/damaged/testos-serial.log
	sane=1
	grep -q 'FAIL testos.run' "$work/damaged.out" && sane=0
	grep -qE '^testos: [0-9]+ passed, [0-9]+ failed' "$serial" || sane=0
	case_result $sane "damaged captures: the guest ran to its summary (no panic, no hang)"
	[ "$sane" = 1 ] || show "$work/damaged.out"
	for d in "${damages[@]}"; do
		read -r kind failing message <<<"$d"
		label=bad$kind
		ok=1
		grep -q "^FAIL replay.$label.$failing$" "$serial" || ok=0
		grep -q "^# replay $label: .*$message" "$serial" || ok=0
		grep -q "^PASS replay.$label.nothing_leaked$" "$serial" || ok=0
		case_result $ok "damaged capture ($kind) refused cleanly" \
			"$(grep "^# replay $label: " "$serial" | grep -v 'bytes of capture' | head -n 2 |
				tr '\n' ' ')"
	done
fi

echo "1..$n"
[ "$failures" -eq 0 ]
