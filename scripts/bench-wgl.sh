#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Frames per second of our Windows GL program (tools/wgl/wgl-bench.c) under
# Wine, two ways in one run, alternating, several rounds:
#   wine - Wine's own opengl32: the host's Mesa llvmpipe through GLX;
#   vgpu - our opengl32.dll + vgpu_wgl.dll, libvgpu over the sim's Unix socket, vgpu-sim,
#          QEMU's vhost-user-gpu (virglrenderer on the same llvmpipe).
# Cases: a tiny scene at 300x300 (bound by what a frame costs the path) and
# a full-window scene at 1280x720 and 1920x1080 (bound by fill and readback).
# Then one more vgpu run per case with VGPU_WINSYS_STATS=1: where a frame's
# time goes, and how much of it is the sim's socket hop, which a Windows
# guest does not have.  Ends with one line per size: vgpu/wine WxH RATIO
# (of the medians).  A benchmark, not a test: it fails only when a run does.
# With VGPU_BENCH_WGL_BESIDE=1, a second program renders beside every
# measured run, the same way (its own window, the tiny scene; through vgpu
# a second client of the same sim and device).
#   scripts/bench-wgl.sh [BUILD_DIR]
#   VGPU_BENCH_WGL_ROUNDS (default 3), VGPU_BENCH_WGL_SECONDS (per run, default 5),
#   VGPU_BENCH_WGL_BESIDE (default 0)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
rounds=${VGPU_BENCH_WGL_ROUNDS:-3}
seconds=${VGPU_BENCH_WGL_SECONDS:-5}
beside=${VGPU_BENCH_WGL_BESIDE:-0}
out=$(realpath -m "$build/bench-wgl")
cases=("tiny 300 300" "fill 1280 720" "fill 1920 1080")
mkdir -p "$out/wine" "$out/vgpu" "$out/logs"
rm -f "$out"/logs/*
log() { echo "bench-wgl: $*" >&2; }

make -s windows BUILD="$build" >"$out/build-windows.log" 2>&1 ||
	{ cat "$out/build-windows.log"; exit 1; }
scripts/build-mesa.sh windows >"$out/build-mesa.log" 2>&1 ||
	{ log "the Windows Mesa build failed (see $out/build-mesa.log)"; exit 1; }

wine_env_log=$out/wine-env.log
wine_env_screen=2560x1600x24
. tools/wgl/wine-env.sh
trap wine_env_stop EXIT
wine_env_start_xvfb
wine_env_prefix "$(realpath -m "$build/wineprefix")"
VGPU_SIM_STATS=1 wine_env_start_sim "$build/bin/vgpu-sim" "$out"
cp -f "$build/win/tools/wgl/wgl-bench.exe" "$out/wine/"
cp -f "$build/win/tools/wgl/wgl-bench.exe" "$out/vgpu/"
wine_env_use_our_gl "$out/vgpu" "$(scripts/build-mesa.sh --prefix windows)"

# The second program of VGPU_BENCH_WGL_BESIDE: started a moment before the
# measured one, it renders until well after that one has ended.
start_beside() { # way log [env...]
	local way=$1 logf=$2
	shift 2
	(cd "$out/$way" && exec env "$@" wine wgl-bench.exe --scene tiny --width 300 \
		--height 300 --seconds $((seconds + 4))) >"$logf" 2>&1 &
	beside_pid=$!
	sleep 1
}

end_beside() { # log
	if ! wait "$beside_pid" || ! grep -q '^fps:' "$1"; then
		log "the program beside failed (see $1)"
		return 1
	fi
}

# One run: prints its fps.  `way` picks the directory and with it the opengl32.
run_one() { # way scene width height log [env...]
	local way=$1 scene=$2 w=$3 h=$4 logf=$5 renderer
	shift 5
	[ "$beside" = 1 ] && start_beside "$way" "$logf.beside" "$@"
	if ! (cd "$out/$way" && env "$@" wine wgl-bench.exe --scene "$scene" --width "$w" \
		--height "$h" --seconds "$seconds") >"$logf" 2>&1; then
		log "wgl-bench failed ($way, $scene ${w}x$h; see $logf)"
		return 1
	fi
	if [ "$beside" = 1 ]; then
		end_beside "$logf.beside" || return 1
	fi
	renderer=$(sed -n 's/^renderer: *//p' "$logf")
	if [ "$way" = vgpu ] && ! grep -q 'vgpu' <<<"$renderer"; then
		log "the vgpu run did not render through vgpu: $renderer (see $logf)"
		return 1
	fi
	if [ "$way" = wine ] && grep -q 'vgpu' <<<"$renderer"; then
		log "the wine run rendered through vgpu (see $logf)"
		return 1
	fi
	sed -n 's/^fps: \([0-9.]*\).*/\1/p' "$logf"
}

# Wine's runs must not see what wine_env_use_our_gl exported for ours.
wine_way=(-u GALLIUM_DRIVER WINEDLLOVERRIDES=)

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 }
	END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "wgl-bench under Wine: $rounds rounds of $seconds s per case, wine and vgpu alternating"
echo "(this machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start)"
[ "$beside" = 1 ] && echo "a second program renders beside every run, the same way (tiny 300x300)"
declare -A fps_wine fps_vgpu
for r in $(seq "$rounds"); do
	for c in "${cases[@]}"; do
		read -r scene w h <<<"$c"
		key="$scene ${w}x$h"
		fps=$(run_one wine "$scene" "$w" "$h" "$out/logs/wine-$scene-${w}x$h-$r.log" \
			"${wine_way[@]}") || exit 1
		fps_wine[$key]+=" $fps"
		fps=$(run_one vgpu "$scene" "$w" "$h" "$out/logs/vgpu-$scene-${w}x$h-$r.log") || exit 1
		fps_vgpu[$key]+=" $fps"
	done
done

declare -A ratio
printf '%-16s %-5s %-30s %s\n' case way "fps per round" median
for c in "${cases[@]}"; do
	read -r scene w h <<<"$c"
	key="$scene ${w}x$h"
	mw=$(median <<<"${fps_wine[$key]}")
	mv=$(median <<<"${fps_vgpu[$key]}")
	printf '%-16s %-5s %-30s %s\n' "$key" wine "${fps_wine[$key]# }" "$mw"
	printf '%-16s %-5s %-30s %s\n' "$key" vgpu "${fps_vgpu[$key]# }" "$mv"
	ratio[${w}x$h]=$(awk -v v="$mv" -v n="$mw" 'BEGIN { printf "%.2f", v / n }')
done

# The sim's "stats:" lines so far, to tell a run's own from the others'.
sim_lines() { grep -c '^vgpu-sim: stats:' "$out/sim.out" || true; }

# Waits for the sim to report the connections of the run that just ended
# (two: its WAITs have a connection of their own), then a moment for a late one.
sim_handled_ms() { # lines-before
	for _ in $(seq 50); do
		[ "$(sim_lines)" -gt "$(($1 + 1))" ] && break
		sleep 0.1
	done
	sleep 0.2
	grep '^vgpu-sim: stats:' "$out/sim.out" | tail -n +"$(($1 + 1))" |
		awk '{ ms += $(NF - 1) } END { printf "%.3f", ms }'
}

# The socket hop: the run's time in the channel less the sim's handling,
# spread evenly over its calls, times the calls per frame.  A Windows
# guest's frame is taken as the frame less the hop, but never less than
# the device's own work per frame (the sim's handling: the core and the
# device, serial in both), which the presenter's thread overlaps with the
# application's next frame.
breakdown() { # scene width height
	local logf=$out/logs/stats-$1-$2x$3.log before handled
	before=$(sim_lines)
	run_one vgpu "$1" "$2" "$3" "$logf" VGPU_WINSYS_STATS=1 >/dev/null || exit 1
	handled=$(sim_handled_ms "$before")
	echo
	echo "$1 ${2}x$3, vgpu with VGPU_WINSYS_STATS=1:"
	grep '^vgpu-stats:' "$logf" | sed 's/^vgpu-stats: */  /; s/\r$//'
	# Wine's C runtime ends stderr lines with CR LF.
	awk -v sim="$handled" '
		{ sub(/\r$/, "") }
		/ms per frame/ { frame = $(NF - 3) }
		/all calls$/ { per_frame = $2 }
		/ frames in / { frames = $2 }
		/whole run:/ { calls = $4; channel = $6 }
		END {
			hop = calls ? (channel - sim) / calls * per_frame : 0
			device = frames ? sim / frames : 0
			guest = frame - hop > device ? frame - hop : device
			printf "  sim handling over the run %.1f ms of %.1f ms in the channel:", sim, channel
			printf " socket hop ~%.3f ms per frame (sim only)\n", hop
			printf "  a Windows guest: ~%.3f ms per frame (~%.0f fps): the frame less the hop,", \
				guest, (guest > 0 ? 1000 / guest : 0)
			printf " at least the device'"'"'s %.3f ms\n", device
		}' "$logf"
}

# Alone: the sim's handling is read off its per-connection lines, and the
# program beside would add its own.
beside=0
for c in "${cases[@]}"; do
	breakdown $c
done
echo
echo "logs: $out"
for c in "${cases[@]}"; do
	read -r scene w h <<<"$c"
	echo "vgpu/wine ${w}x$h ${ratio[${w}x$h]}"
done
