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
sim=$build/kmd/sim/vgpu-sim
demo=$build/tools/vgpu-demo
gl_client=$build/tests/gl/test_gl_egl

n=0
failures=0
case_result() { # ok? name [diagnostic...]
	local ok=$1 name=$2
	shift 2
	n=$((n + 1))
	if [ "$ok" = 1 ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		failures=$((failures + 1))
	fi
	for line in "$@"; do echo "# $line"; done
}
show() { sed 's/^/#   /' "$@"; }

rm -rf "$work"
mkdir -p "$work"

# --- vgpu-demo against a recording sim -----------------------------------
sim_pid=
start_sim() { # capture
	VGPU_SIM_RECORD=$1 "$sim" --socket "$work/sim.sock" >"$work/sim.out" 2>"$work/sim.err" &
	sim_pid=$!
	for _ in $(seq 200); do
		grep -q 'ready on' "$work/sim.out" 2>/dev/null && return 0
		kill -0 "$sim_pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
stop_sim() { # 0 when it left cleanly on SIGTERM
	local status
	kill -TERM "$sim_pid" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$sim_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$sim_pid" 2>/dev/null && return 1
	wait "$sim_pid"
	status=$?
	[ "$status" -eq 0 ] || [ "$status" -eq 143 ]
}

demo_ok=0
if [ ! -x "$sim" ] || [ ! -x "$demo" ]; then
	case_result 0 record.demo "missing $sim or $demo: build the native tree first"
elif ! start_sim "$work/demo.vgcap"; then
	case_result 0 record.demo "vgpu-sim did not get ready:"
	show "$work/sim.out" "$work/sim.err"
	kill -KILL "$sim_pid" 2>/dev/null
else
	VGPU_SOCKET=$work/sim.sock "$demo" "$work/demo.png" >"$work/demo.out" 2>&1
	demo_status=$?
	stop_sim
	sim_status=$?
	[ "$demo_status" -eq 0 ] && [ "$sim_status" -eq 0 ] && [ -s "$work/demo.vgcap" ] &&
		demo_ok=1
	case_result $demo_ok record.demo "vgpu-demo status $demo_status, sim stop status $sim_status"
	[ "$demo_ok" = 1 ] || show "$work/demo.out" "$work/sim.err"
fi

# --- a GL program through our Mesa; it starts its own sim, which inherits VGPU_SIM_RECORD
gl_ok=0
if ! "$top/scripts/with-our-mesa.sh" true 2>"$work/mesa.err"; then
	case_result 0 record.gl "$(sed "s/^# //" "$work/mesa.err")"
elif [ ! -x "$gl_client" ]; then
	case_result 0 record.gl "missing $gl_client"
else
	VGPU_SIM="$sim" VGPU_SIM_RECORD="$work/gl.vgcap" \
		"$top/scripts/with-our-mesa.sh" "$gl_client" >"$work/gl.out" 2>&1
	gl_status=$?
	[ "$gl_status" -eq 0 ] && [ -s "$work/gl.vgcap" ] && gl_ok=1
	case_result $gl_ok record.gl "GL program (tests/gl/test_gl_egl.c) status $gl_status"
	[ "$gl_ok" = 1 ] || grep -E '^(not ok|#)|vgpu' "$work/gl.out" | show
fi

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
