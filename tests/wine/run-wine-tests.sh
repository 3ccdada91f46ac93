#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the Windows programs of tests/wine under Wine + Xvfb and prints one
# TAP stream of their cases ("PROGRAM: case") plus the runner's own.
#
#   run-wine-tests.sh builtin WIN_BUILD SIM WORK_DIR
#       the GL programs with Wine's own opengl32 (host Mesa through GLX):
#       proves the programs; and libvgpu's Windows socket channel, against
#       a scripted server, against the sim both ways (TCP, and its Unix socket
#       through Linux's calls) and against Unix socket peers that break off
#       ($VGPU_UNIX_PEER, tests/wine/unix_peer.c).
#   run-wine-tests.sh vgpu WIN_BUILD SIM WORK_DIR
#       the GL programs with OUR opengl32.dll + vgpu_wgl.dll + libglapi.dll
#       (scripts/build-mesa.sh windows, brought up to date first), GALLIUM_DRIVER=vgpu,
#       through the sim to QEMU's vhost-user-gpu.  Each must name vgpu/virgl
#       as GL_RENDERER and report the GL version Mesa's own virpipe path
#       reports on this host (measured here with virgl_test_server).
#   run-wine-tests.sh package WIN_BUILD SIM WORK_DIR
#       the same with the GL DLLs of the driver package (make package), as a
#       user would install them.
#   run-wine-tests.sh model WIN_BUILD SIM WORK_DIR
#       GL_ARB_buffer_storage (persistent coherent buffers as blobs, mapped as
#       views of the host-visible region's file) with our GL DLLs, on the TEST
#       device model ($VGPU_DEVMODEL) in both personalities; on QEMU's device,
#       which has no blobs, the extension must not be offered.
set -uo pipefail
mode=${1:?mode}
win_build=$(realpath "${2:?WIN_BUILD}")
sim=$(realpath "${3:?SIM}")
work=$(realpath -m "${4:?WORK_DIR}")
repo=$(cd "$(dirname "$0")/../.." && pwd)
gl_programs=(wgl_clear_triangle wgl_texture wgl_fbo wgl_core wgl_present wgl_present_order)
storage_program=wgl_buffer_storage
prog_timeout=120

mkdir -p "$work"
wine_env_log=$work/wine-env.log
# shellcheck source=../../tools/wgl/wine-env.sh
. "$repo/tools/wgl/wine-env.sh"
# shellcheck source=../../scripts/vtest-server.sh
. "$repo/scripts/vtest-server.sh"
unix_peer_pid=
trap 'wine_env_stop; vtest_stop; [ -z "$unix_peer_pid" ] || kill "$unix_peer_pid"' EXIT

n=0
failed=0
tap() { # ok|not-ok description
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
bail() {
	tap not-ok "$1"
	echo "1..$n"
	exit 1
}

# Runs a program; its cases become ours, its comments pass through.
run_program() { # name exe log
	local name=$1 exe=$2 log=$3 status line
	(cd "$(dirname "$exe")" && timeout "$prog_timeout" wine "$(basename "$exe")") \
		>"$log" 2>"$log.err"
	status=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) tap ok "$name: ${line#ok * - }" ;;
		"not ok "*) tap not-ok "$name: ${line#not ok * - }" ;;
		"#"*) echo "$line" ;;
		esac
	done <"$log"
	if [ "$status" -eq 0 ] && grep -q '^1\.\.[1-9]' "$log"; then
		tap ok "$name: ran to the end"
	else
		tap not-ok "$name: ran to the end (exit $status, see $log.err)"
		tail -n 5 "$log.err" | sed 's/^/#   /'
	fi
}

field() { # log name -> the value of "# NAME: value"
	sed -n "s/^# $2: //p" "$1" | head -n 1
}

# "4.3 (Compatibility Profile) Mesa 22.3.6" -> "4.3 Compatibility"
version_key() {
	sed -E 's/^([0-9]+\.[0-9]+)[^(]*\((Core|Compatibility) Profile\).*/\1 \2/' <<<"$1"
}

stage() { # dir: the programs, copied where DLLs can sit beside them
	mkdir -p "$1"
	for p in "${gl_programs[@]}" "$storage_program" test_libvgpu_sim test_sock_link_win \
		test_wine_unix; do
		[ -f "$win_build/tests/wine/$p.exe" ] ||
			bail "missing $p.exe (build the Windows tree first)"
		cp -f "$win_build/tests/wine/$p.exe" "$1/"
	done
}

# Our Mesa for Windows (scripts/build-mesa.sh), brought up to date -> mesa_prefix.
build_our_mesa() {
	"$repo/scripts/build-mesa.sh" windows >"$work/build-mesa.log" 2>&1 ||
		bail "build Mesa for Windows (see $work/build-mesa.log)"
	mesa_prefix=$("$repo/scripts/build-mesa.sh" --prefix windows)
}

# The GL versions (compatibility and core) Mesa's own virgl path gets from this host.
measure_virpipe() {
	local dir=$work/virpipe
	stage "$dir"
	vtest_start "$work/vtest.log" || bail "virgl_test_server did not start (see $work/vtest.log)"
	(cd "$dir" && GALLIUM_DRIVER=virpipe LIBGL_ALWAYS_SOFTWARE=1 WINEDLLOVERRIDES= \
		timeout "$prog_timeout" wine wgl_clear_triangle.exe >compat.log 2>&1;
	 GALLIUM_DRIVER=virpipe LIBGL_ALWAYS_SOFTWARE=1 WINEDLLOVERRIDES= \
		timeout "$prog_timeout" wine wgl_core.exe >core.log 2>&1)
	vtest_stop
	want_compat=$(version_key "$(field "$dir/compat.log" GL_VERSION)")
	want_core=$(version_key "$(field "$dir/core.log" GL_VERSION)")
	echo "# virpipe reference: $(field "$dir/compat.log" GL_RENDERER); $want_compat; $want_core"
	[ -n "$want_compat" ] && [ -n "$want_core" ] ||
		bail "measure the virpipe reference (see $dir/*.log)"
}

check_renderer() { # name log
	local renderer
	renderer=$(field "$2" GL_RENDERER)
	if grep -Eqi 'vgpu|virgl' <<<"$renderer"; then
		tap ok "$1: GL_RENDERER names vgpu/virgl"
	else
		tap not-ok "$1: GL_RENDERER names vgpu/virgl (got '$renderer')"
	fi
}

check_identity() { # name log
	local version want=$want_compat
	version=$(version_key "$(field "$2" GL_VERSION)")
	[ "$1" = wgl_core ] && want=$want_core
	check_renderer "$1" "$2"
	if [ "$version" = "$want" ]; then
		tap ok "$1: GL version $version, as virpipe"
	else
		tap not-ok "$1: GL version '$version', want '$want' as virpipe"
	fi
}

# A frame's readback rides in its own SUBMIT: per presented frame the
# winsys's breakdown (VGPU_WINSYS_STATS) shows one SUBMIT and no
# TRANSFER_FROM_HOST from the application (the presenter's WAIT aside).
check_one_call_per_frame() { # name stderr-log
	local per_frame
	per_frame=$(tr -d '\r' <"$2" | awk '
		/^vgpu-stats: .* frames in / { frames = 1 }
		/^vgpu-stats: +[0-9.]+ +[0-9.]+ +[0-9.]+ +(SUBMIT|TRANSFER_FROM_HOST)$/ { n[$5] = $2 }
		END { if (frames) printf "%.2f %.2f", n["SUBMIT"], n["TRANSFER_FROM_HOST"] }')
	if [ -n "$per_frame" ] && awk -v s="${per_frame% *}" -v t="${per_frame#* }" \
		'BEGIN { exit !(s >= 0.9 && s <= 1.2 && t < 0.1) }'; then
		tap ok "$1: one SUBMIT a frame, no transfer of its own for the readback ($per_frame)"
	else
		tap not-ok "$1: SUBMIT and TRANSFER_FROM_HOST per frame '$per_frame', want 1 and 0"
	fi
}

# Our winsys says "vgpu: ..." on stderr when a call into the device fails.
check_winsys_quiet() { # name log
	local complaints
	complaints=$(grep -c '^vgpu:' "$2.err")
	if [ "$complaints" -eq 0 ]; then
		tap ok "$1: the winsys reported no failure"
	else
		tap not-ok "$1: the winsys reported $complaints failures"
		grep '^vgpu:' "$2.err" | head -n 5 | sed 's/^/#   /'
	fi
}

# The program's persistent mappings (its "# WHAT mapping: ..." lines) must all be
# views of the host-visible region, the file the sim names /proc/<its pid>/fd/<n>.
check_region_views() { # name log
	local region="Z:\\proc\\$wine_env_sim\\fd\\" total views
	total=$(grep -c '^# .* mapping: ' "$2")
	views=$(grep '^# .* mapping: ' "$2" | grep -cF "$region")
	if [ "$total" -gt 0 ] && [ "$views" -eq "$total" ]; then
		tap ok "$1: its $total persistent mappings are views of the host-visible region"
	else
		tap not-ok "$1: $views of $total persistent mappings are views of $region"
	fi
}

# unix_peer.c's servers in $work/peer, stopped with the rest (unix_peer_pid).
start_unix_peer() {
	[ -x "${VGPU_UNIX_PEER:-}" ] || bail "VGPU_UNIX_PEER names the unix-peer program"
	rm -rf "$work/peer" && mkdir -p "$work/peer"
	coproc unix_peer { exec "$VGPU_UNIX_PEER" "$work/peer"; }
	unix_peer_pid=$unix_peer_PID
	local line=
	read -r -t 10 line <&"${unix_peer[0]}" || true
	[ "$line" = ready ] || bail "unix-peer did not start"
}

# A sim of its own for the device; VGPU_SIM_DEVICE also tells the programs what to expect.
use_device() { # device
	wine_env_stop_sim
	export VGPU_SIM_DEVICE=$1
	mkdir -p "$work/sim-$1"
	wine_env_start_sim "$sim" "$work/sim-$1"
}

wine_env_start_xvfb || bail "start Xvfb"
wine_env_prefix "$work/wineprefix" || bail "create the Wine prefix"
wine_env_start_sim "$sim" "$work" || bail "start vgpu-sim --tcp"
echo "# sim at $VGPU_SOCKET, display $DISPLAY, prefix $WINEPREFIX"

case $mode in
builtin)
	dir=$work/builtin
	stage "$dir"
	run_program test_sock_link_win "$dir/test_sock_link_win.exe" "$dir/test_sock_link_win.log"
	VGPU_SOCKET=$wine_env_sim_tcp run_program "test_libvgpu_sim (tcp)" \
		"$dir/test_libvgpu_sim.exe" "$dir/test_libvgpu_sim-tcp.log"
	run_program "test_libvgpu_sim (unix)" "$dir/test_libvgpu_sim.exe" \
		"$dir/test_libvgpu_sim-unix.log"
	start_unix_peer
	VGPU_TEST_PEER_DIR=$work/peer run_program test_wine_unix "$dir/test_wine_unix.exe" \
		"$dir/test_wine_unix.log"
	for p in "${gl_programs[@]}"; do
		run_program "$p" "$dir/$p.exe" "$dir/$p.log"
	done
	;;
vgpu)
	build_our_mesa
	measure_virpipe
	dir=$work/vgpu
	stage "$dir"
	wine_env_use_our_gl "$dir" "$mesa_prefix" || bail "stage our opengl32.dll + vgpu_wgl.dll"
	for p in "${gl_programs[@]}"; do
		if [ "$p" = wgl_present_order ]; then
			VGPU_WINSYS_STATS=1 run_program "$p" "$dir/$p.exe" "$dir/$p.log"
			check_one_call_per_frame "$p" "$dir/$p.log.err"
		else
			run_program "$p" "$dir/$p.exe" "$dir/$p.log"
		fi
		check_identity "$p" "$dir/$p.log"
	done
	;;
package)
	# What a user installs: the package's own GL DLLs, not the Mesa build's.
	build_our_mesa
	"$repo/packaging/make-package.sh" "$win_build" "$work/package" >"$work/package.log" 2>&1 ||
		bail "make the package (see $work/package.log)"
	measure_virpipe
	dir=$work/package-run
	stage "$dir"
	wine_env_use_our_gl "$dir" "$work/package/vgpu-win64/gl" ||
		bail "stage the package's opengl32.dll + vgpu_wgl.dll"
	for p in "${gl_programs[@]}"; do
		run_program "$p" "$dir/$p.exe" "$dir/$p.log"
		check_identity "$p" "$dir/$p.log"
	done
	;;
model)
	[ -x "${VGPU_DEVMODEL:-}" ] || bail "VGPU_DEVMODEL names the device model program"
	build_our_mesa
	dir=$work/model
	stage "$dir"
	wine_env_use_our_gl "$dir" "$mesa_prefix" || bail "stage our opengl32.dll + vgpu_wgl.dll"
	for device in qemu model model-mvisor; do
		use_device "$device" || bail "start vgpu-sim --device $device"
		echo "# device $device: sim at $VGPU_SOCKET"
		log=$dir/$storage_program-$device.log
		run_program "$storage_program ($device)" "$dir/$storage_program.exe" "$log"
		check_renderer "$storage_program ($device)" "$log"
		check_winsys_quiet "$storage_program ($device)" "$log"
		[ "$device" = qemu ] || check_region_views "$storage_program ($device)" "$log"
	done
	;;
*)
	bail "unknown mode $mode"
	;;
esac

echo "1..$n"
[ "$failed" -eq 0 ]
