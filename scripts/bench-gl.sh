#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# glmark2 off-screen, the same scenes three ways in one run, on this machine:
#   native  - Mesa's llvmpipe, straight;
#   virpipe - Mesa's virgl driver over vtest to virgl_test_server (llvmpipe);
#   vgpu    - Mesa's virgl driver over OUR winsys -> libvgpu -> vgpu-sim ->
#             QEMU's vhost-user-gpu (virglrenderer on llvmpipe); the Linux
#             Mesa build of scripts/build-mesa.sh linux.
# Prints each score and the ratios vgpu/native and vgpu/virpipe.  With
# VGPU_BENCH_GL_BESIDE=1 a second glmark2 (the texture scene, without end)
# renders beside each way's run, the same way: through vgpu a second client
# of the same sim and device.  A benchmark, not a test.
# Usage: scripts/bench-gl.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
beside=${VGPU_BENCH_GL_BESIDE:-0}
run_timeout=300
out=$build/bench-gl
scenes=(build:use-vbo=true texture shading:shading=phong bump:bump-render=normals
	effect2d pulsar desktop)
mkdir -p "$out"
log() { echo "bench-gl: $*" >&2; }
# shellcheck source=vtest-server.sh
. scripts/vtest-server.sh

command -v glmark2 >/dev/null || { log "glmark2 is missing (apt-get install glmark2-x11)"; exit 1; }
[ -x "$build/bin/vgpu-sim" ] || { log "no $build/bin/vgpu-sim (run make first)"; exit 1; }
scripts/build-mesa.sh linux >"$out/build-mesa.log" 2>&1 ||
	{ log "the Linux Mesa build failed (see $out/build-mesa.log)"; exit 1; }

xvfb= sim= companion=
stop_all() {
	for p in $companion $sim $xvfb; do
		{ kill "$p" && wait "$p"; } 2>/dev/null || true
	done
	vtest_stop
}
trap stop_all EXIT

fifo=$(mktemp -u /tmp/vgpu-xvfb-XXXXXX)
mkfifo "$fifo"
Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp 3>"$fifo" >"$out/xvfb.log" 2>&1 &
xvfb=$!
read -r -t 20 display <"$fifo" || { log "Xvfb did not start"; exit 1; }
rm -f "$fifo"
export DISPLAY=:$display

vtest_start "$out/vtest.log" || exit 1

sim_sock=$(mktemp -u /tmp/vgpu-bench-gl-XXXXXX.sock)
rm -f "$out/sim.log" # an earlier run's "ready" is not this sim's
"$build/bin/vgpu-sim" --socket "$sim_sock" >"$out/sim.log" 2>&1 &
sim=$!
for _ in $(seq 200); do
	grep -q '^vgpu-sim: ready' "$out/sim.log" && break
	kill -0 "$sim" 2>/dev/null || break
	sleep 0.1
done
grep -q '^vgpu-sim: ready' "$out/sim.log" ||
	{ log "vgpu-sim did not start"; cat "$out/sim.log"; exit 1; }

bench_args=(--off-screen -s 256x256)
for s in "${scenes[@]}"; do
	bench_args+=(-b "$s:duration=3")
done

# The second program of VGPU_BENCH_GL_BESIDE, started a moment before the measured one.
start_beside() { # name command-prefix...
	local name=$1
	shift
	"$@" glmark2 --off-screen -s 256x256 -b texture --run-forever >"$out/$name-beside.log" 2>&1 &
	companion=$!
	sleep 1
}

# It must have rendered all along: still running, and its frames counted.
end_beside() { # name
	local alive=1
	kill -0 "$companion" 2>/dev/null || alive=0
	{ kill "$companion" && wait "$companion"; } 2>/dev/null || true
	companion=
	if [ "$alive" = 0 ] || ! grep -q 'FPS' "$out/$1-beside.log"; then
		log "the glmark2 beside $1 stopped early (see $out/$1-beside.log)"
		return 1
	fi
}

# 7 scenes of 3 s take well under a minute even on a loaded machine.  A run
# that hangs is stopped after run_timeout, once the threads of every process
# of the way are written down (with gdb, where it is installed) and shown one
# line a thread.
wait_bounded() { # pid name
	local pid=$1 p
	for _ in $(seq "$run_timeout"); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 1
	done
	{
		tail -n 15 "$out/$2.log"
		echo
		for p in "$pid" $vtest_pid $(pgrep -P "$vtest_pid") $sim $(pgrep -P "$sim"); do
			echo "== $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
			! command -v gdb >/dev/null || gdb -p "$p" -batch -ex 'thread apply all bt' 2>&1
		done
	} >"$out/$2-hang.txt"
	log "glmark2 for $2 did not end within $run_timeout s; it was at: $(tail -n 1 "$out/$2.log")"
	awk '/^== / { n = split($2, path, "/"); proc = path[n]; next }
		/^Thread / { if (line) print line; line = proc " thread " $2 ":"; last = ""; next }
		/^#[0-9]+ / { f = $0; sub(/ \(.*/, "", f); sub(/.* /, "", f)
			sub(/^_+(GI_+)?/, "", f)
			if (f !~ /futex|_common/ && f != last) line = line " " f; last = f }
		END { if (line) print line }' "$out/$2-hang.txt" | head -n 25 >&2
	log "all of it: $out/$2-hang.txt"
	kill -9 "$pid"
	return 1
}

# One way: runs glmark2 with the given environment; prints renderer and score.
run_way() { # name command-prefix...
	local name=$1 pid
	shift
	[ "$beside" = 1 ] && start_beside "$name" "$@"
	"$@" glmark2 "${bench_args[@]}" >"$out/$name.log" 2>&1 &
	pid=$!
	wait_bounded "$pid" "$name" || return 1
	wait "$pid" || {
		log "glmark2 failed for $name (status $?), the end of $out/$name.log:"
		tail -n 15 "$out/$name.log" >&2
		return 1
	}
	if [ "$beside" = 1 ]; then
		end_beside "$name" || return 1
	fi
	renderer=$(sed -n 's/^ *GL_RENDERER: *//p' "$out/$name.log" | head -n 1)
	score=$(sed -n 's/^ *glmark2 Score: *\([0-9]*\).*/\1/p' "$out/$name.log" | tail -n 1)
	[ -n "$score" ] || { log "no score for $name (see $out/$name.log)"; return 1; }
	printf '%-8s %6d   %s\n' "$name" "$score" "$renderer"
	eval "score_$name=$score"
}

echo "glmark2 --off-screen -s 256x256, ${#scenes[@]} scenes of 3 s: ${scenes[*]}"
[ "$beside" = 1 ] && echo "a second glmark2 (texture) renders beside each way, the same way"
run_way native env LIBGL_ALWAYS_SOFTWARE=1 GALLIUM_DRIVER=llvmpipe
run_way virpipe env LIBGL_ALWAYS_SOFTWARE=1 GALLIUM_DRIVER=virpipe
run_way vgpu env VGPU_SOCKET="$sim_sock" scripts/with-our-mesa.sh
grep -q 'vgpu\|virgl' <<<"$(sed -n 's/^ *GL_RENDERER: *//p' "$out/vgpu.log")" ||
	{ log "the vgpu run did not render through virgl (see $out/vgpu.log)"; exit 1; }
awk -v v="$score_vgpu" -v n="$score_native" -v p="$score_virpipe" 'BEGIN {
	printf "vgpu/native  %.2f\nvgpu/virpipe %.2f\n", v / n, v / p }'
echo "logs: $out"
