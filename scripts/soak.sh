#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The soak of issue 12 (docs/reliability.md, "Soak"): for each device, one
# vgpu-sim serves three kinds of clients at once for SOAK_SECONDS, each of
# which checks every frame's pixels and must end on its own, with status 0:
#  - SOAK_CLIENTS driver-level clients (tools/vgpu-storm-client given a
#    duration): the reference scene over libvgpu, a texture created, sent
#    and destroyed in each frame, the device reopened every 8 frames;
#  - SOAK_GL_CLIENTS Linux GL programs (tools/vgpu-glx-soak): GLX windows
#    on Xvfb through our Mesa, presenting every frame;
#  - SOAK_WGL_CLIENTS Windows GL programs (tools/wgl/wgl-soak.exe) under
#    Wine through our opengl32.dll, presenting every frame.
# The GL clients upload a texture of a new size in two transfers, draw it
# and read the whole frame back in each frame (tools/common/soak_frame.h).
# Afterwards, as after the kill storm (scripts/sim-probe.sh): GET_STATS
# shows no context, resource, request or backing byte, the sim's
# descriptors are back and its memory near its start, the device's guest
# pages are given back, and vgpu-demo still renders.  Prints a summary;
# exits 1 on any violation.
#
#   scripts/soak.sh [BUILD_DIR]        (after make native windows mesa)
#
# SOAK_DEVICES (default "qemu model"), SOAK_CLIENTS (16), SOAK_GL_CLIENTS
# (8), SOAK_WGL_CLIENTS (8), SOAK_SECONDS (600, per device),
# SOAK_SIM_SLACK_KIB and SOAK_SHMEM_SLACK_KIB (what counts as "near": see
# storm-kill.sh, whose defaults they share).
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
devices=${SOAK_DEVICES:-qemu model}
clients=${SOAK_CLIENTS:-16}
gl_clients=${SOAK_GL_CLIENTS:-8}
wgl_clients=${SOAK_WGL_CLIENTS:-8}
seconds=${SOAK_SECONDS:-600}
sim_slack_kib=${SOAK_SIM_SLACK_KIB:-8192}
shmem_slack_kib=${SOAK_SHMEM_SLACK_KIB:-1024}
tool=soak
# shellcheck source=scripts/sim-probe.sh
. scripts/sim-probe.sh

glx_bin=$build/tools/vgpu-glx-soak
wgl_exe=$build/win/tools/wgl/wgl-soak.exe
[ "$gl_clients" -eq 0 ] || [ -x "$glx_bin" ] || { say "$glx_bin is not built"; exit 2; }
[ "$wgl_clients" -eq 0 ] || [ -f "$wgl_exe" ] || { say "$wgl_exe is not built"; exit 2; }

# One X server for the GLX windows and Wine's; Wine's prefix is the build's.
wine_env_log=$W/wine-env.log
# shellcheck source=tools/wgl/wine-env.sh
. tools/wgl/wine-env.sh
trap 'wine_env_stop; [ -n "$sim" ] && kill "$sim" 2>/dev/null; rm -rf "$W"' EXIT
if [ $((gl_clients + wgl_clients)) -gt 0 ]; then
	wine_env_start_xvfb || exit 2
fi
if [ "$wgl_clients" -gt 0 ]; then
	wine_env_prefix "$build/wineprefix" || exit 2
	mkdir -p "$W/wgl"
	cp -f "$wgl_exe" "$W/wgl/"
	wine_env_use_our_gl "$W/wgl" "$(scripts/build-mesa.sh --prefix windows)" || exit 2
fi

# A kind's frames, from its clients' "frames N" lines.
frames_of() { cat "$W"/client-"$1"-*.out 2>/dev/null | awk '/^frames / { n += $2 } END { print n + 0 }'; }

soak() {
	local device=$1 i pids=() failed=0 peak_rss=0 peak_fds=0 rss fds kind reported
	start_sim "$device" || return

	local start=$SECONDS
	rm -f "$W"/client-*
	for i in $(seq "$clients"); do
		VGPU_SOCKET=$sock "$client_bin" "$seconds" >"$W/client-driver-$i.out" \
			2>"$W/client-driver-$i.err" &
		pids+=($!)
	done
	for i in $(seq "$gl_clients"); do
		VGPU_SOCKET=$sock scripts/with-our-mesa.sh "$glx_bin" "$seconds" \
			>"$W/client-glx-$i.out" 2>"$W/client-glx-$i.err" &
		pids+=($!)
	done
	for i in $(seq "$wgl_clients"); do
		(cd "$W/wgl" && VGPU_SOCKET=$tcp_sock exec wine wgl-soak.exe "$seconds") \
			>"$W/client-wgl-$i.out" 2>"$W/client-wgl-$i.err" &
		pids+=($!)
	done
	# The sim's high-water marks while the clients run: growth that a
	# look at the end alone would miss if it were given back.
	while kill -0 "${pids[@]}" 2>/dev/null; do
		read -r fds rss _ < <(measure)
		[ "$rss" -le "$peak_rss" ] || peak_rss=$rss
		[ "$fds" -le "$peak_fds" ] || peak_fds=$fds
		sleep 5
	done
	for i in "${!pids[@]}"; do
		wait "${pids[i]}" || failed=$((failed + 1))
	done
	say "$device: $((clients + gl_clients + wgl_clients)) clients for $((SECONDS - start)) s:" \
		"frames rendered and checked: $(frames_of driver) by $clients driver-level," \
		"$(frames_of glx) by $gl_clients Linux GL, $(frames_of wgl) by $wgl_clients" \
		"Windows GL; $failed clients failed; sim peak $peak_fds fds, VmRSS $peak_rss KiB"
	[ "$failed" -eq 0 ] || {
		violation "$failed clients failed"
		grep -hv '^$' "$W"/client-*.err | sort | uniq -c | head -n 5
	}
	reported=0
	for kind in driver glx wgl; do
		reported=$((reported + $(grep -l '^frames ' "$W"/client-$kind-*.out 2>/dev/null | wc -l)))
	done
	[ "$reported" -eq $((clients + gl_clients + wgl_clients)) ] ||
		violation "not every client reported its frames"
	check_back
}

say "per device: $clients driver-level, $gl_clients Linux GL and $wgl_clients Windows GL" \
	"clients, ${seconds} s"
for device in $devices; do
	soak "$device"
done
if [ "$failures" -eq 0 ]; then
	say "PASS"
else
	say "FAIL: $failures violations"
	exit 1
fi
