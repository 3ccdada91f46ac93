#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The soak of issue 12 (docs/reliability.md, "Soak"): for each device, one
# vgpu-sim serves SOAK_CLIENTS clients at once for SOAK_SECONDS.  Each
# client (tools/vgpu-storm-client given a duration) renders the reference
# scene over libvgpu frame after frame, with a texture created, sent and
# destroyed in each, reopening the device every 8 frames, and checks every
# frame's pixels on an image cleared before it; it must end on its own,
# with status 0.  Afterwards, as after the kill storm (scripts/sim-probe.sh):
# GET_STATS shows no context, resource, request or backing byte, the sim's
# descriptors are back and its memory near its start, the device's guest
# pages are given back, and vgpu-demo still renders.  Prints a summary;
# exits 1 on any violation.
#
#   scripts/soak.sh [BUILD_DIR]        (after meson setup + ninja)
#
# SOAK_DEVICES (default "qemu model"), SOAK_CLIENTS (16), SOAK_SECONDS (600,
# per device), SOAK_SIM_SLACK_KIB and SOAK_SHMEM_SLACK_KIB (what counts as
# "near": see storm-kill.sh, whose defaults they share).
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
devices=${SOAK_DEVICES:-qemu model}
clients=${SOAK_CLIENTS:-16}
seconds=${SOAK_SECONDS:-600}
sim_slack_kib=${SOAK_SIM_SLACK_KIB:-8192}
shmem_slack_kib=${SOAK_SHMEM_SLACK_KIB:-1024}
tool=soak
# shellcheck source=scripts/sim-probe.sh
. scripts/sim-probe.sh

soak() {
	local device=$1 i pids=() failed=0 frames peak_rss=0 peak_fds=0 rss fds
	start_sim "$device" || return

	local start=$SECONDS
	rm -f "$W"/client-*
	for i in $(seq "$clients"); do
		VGPU_SOCKET=$sock "$client_bin" "$seconds" >"$W/client-$i.out" \
			2>"$W/client-$i.err" &
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
	frames=$(awk '/^frames / { n += $2 } END { print n + 0 }' "$W"/client-*.out)
	say "$device: $clients clients for $((SECONDS - start)) s: $frames frames rendered" \
		"and checked, $failed clients failed; sim peak $peak_fds fds, VmRSS $peak_rss KiB"
	[ "$failed" -eq 0 ] || {
		violation "$failed clients failed"
		grep -hv '^$' "$W"/client-*.err | sort | uniq -c | head -n 5
	}
	[ "$(grep -l '^frames ' "$W"/client-*.out | wc -l)" -eq "$clients" ] ||
		violation "not every client reported its frames"
	check_back
}

say "$clients clients per device, ${seconds} s per device"
for device in $devices; do
	soak "$device"
done
if [ "$failures" -eq 0 ]; then
	say "PASS"
else
	say "FAIL: $failures violations"
	exit 1
fi
