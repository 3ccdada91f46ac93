# SPDX-License-Identifier: MIT
# Sourced by the replay tests of both test guests (tests/testos/replay-test.sh,
# tests/testos-nt/replay-test.sh): TAP case lines, and the recording of real
# clients against a vgpu-sim with VGPU_SIM_RECORD (docs/replay.md): the
# driver-level vgpu-demo, and a GL program through our Mesa build.
# Needs $top (the checkout), $build (holding kmd/sim/vgpu-sim, tools/vgpu-demo
# and tests/gl/test_gl_egl) and $work (an empty folder).

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

sim=$build/kmd/sim/vgpu-sim
sim_pid=
start_sim() { # capture
	# The first sim's log must not be read as the second's "ready".
	rm -f "$work/sim.out" "$work/sim.err"
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

# Cases record.demo and record.gl; demo_ok and gl_ok say which of
# $work/demo.vgcap and $work/gl.vgcap were recorded.
record_captures() {
	local demo=$build/tools/vgpu-demo gl_client=$build/tests/gl/test_gl_egl
	local demo_status sim_status gl_status

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
		case_result $demo_ok record.demo \
			"vgpu-demo status $demo_status, sim stop status $sim_status"
		[ "$demo_ok" = 1 ] || show "$work/demo.out" "$work/sim.err"
	fi

	# The GL program starts its own sim, which inherits VGPU_SIM_RECORD.
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
}
