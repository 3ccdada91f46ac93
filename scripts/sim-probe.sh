# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2154,SC2034  # the sourcing script sets the variables named below, and uses those set here
# What the sim's long runs share (sourced by storm-kill.sh and soak.sh): the
# programs they run, a scratch directory W (removed on exit, with the sim),
# a vgpu-sim started on one device, its and its device's descriptors and
# memory measured, GET_STATS read through vgpu-info, and the checks that
# everything is back after the clients went.
#
# The sourcing script sets first: tool (its name, for messages), build,
# sim_slack_kib and shmem_slack_kib.  Violations are counted in `failures`;
# start_sim sets sim, sock, tcp_sock and dev.

export VGPU_DEVMODEL=${VGPU_DEVMODEL:-$build/devmodel/vgpu-devmodel}
sim_bin=$build/kmd/sim/vgpu-sim
client_bin=$build/tools/vgpu-storm-client
info_bin=$build/tools/vgpu-info
demo_bin=$build/tools/vgpu-demo
for b in "$sim_bin" "$client_bin" "$info_bin" "$demo_bin" "$VGPU_DEVMODEL"; do
	[ -x "$b" ] || { echo "$tool: $b is not built"; exit 2; }
done

W=$(mktemp -d "${TMPDIR:-/tmp}/$tool.XXXXXX")
sim=
trap '[ -n "$sim" ] && kill "$sim" 2>/dev/null; rm -rf "$W"' EXIT
failures=0

say() { echo "$tool: $*"; }
violation() {
	say "VIOLATION ($device): $*"
	failures=$((failures + 1))
}

status_kib() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB$/\1/p" "/proc/$1/status"; }
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }
# The sim's fds and VmRSS, then the device's VmRSS, RssAnon and RssShmem.
measure() {
	echo "$(fd_count "$sim") $(status_kib "$sim" VmRSS) $(status_kib "$dev" VmRSS)" \
		"$(status_kib "$dev" RssAnon) $(status_kib "$dev" RssShmem)"
}
device_pid() { cat /proc/"$sim"/task/*/children | tr ' ' '\n' | grep -m1 .; }

# vgpu-info's stats lines as "files contexts resources requests backing".
# Each probe also makes the sim reap the connections that ended before it
# (kmd/sim/server.c reaps on accept), so the descriptors are counted after one.
stats() {
	VGPU_SOCKET=$sock "$info_bin" >"$W/info.txt" 2>&1 || return 1
	awk '/^stats:/ { f = $2; c = $5; r = $7; q = $9 }
	     /backing bytes/ { b = $1 }
	     END { print f, c, r, q, b }' "$W/info.txt"
}

# start_sim DEVICE: a sim on that device, ready, on a Unix socket (sock) and
# on loopback TCP (tcp_sock, for Wine's clients); then its baseline (before_*).
# Its device renders with the host's Mesa: GALLIUM_DRIVER is for GL clients.
start_sim() {
	local log=$W/sim-$1.log port
	sock=$W/$1.sock
	env -u GALLIUM_DRIVER "$sim_bin" --socket "$sock" --tcp 0 --device "$1" >"$log" 2>&1 &
	sim=$!
	for _ in $(seq 300); do
		grep -q "^vgpu-sim: ready on $sock" "$log" && break
		kill -0 "$sim" 2>/dev/null || break
		sleep 0.1
	done
	grep -q "^vgpu-sim: ready on $sock" "$log" ||
		{ violation "the sim did not start"; tail -n 20 "$log"; return 1; }
	port=$(sed -n 's/^vgpu-sim: listening on tcp:127.0.0.1:\([0-9]*\)$/\1/p' "$log")
	[ -n "$port" ] || { violation "the sim did not listen on TCP"; return 1; }
	tcp_sock=tcp:127.0.0.1:$port
	dev=$(device_pid)
	stats >/dev/null || { violation "vgpu-info failed before the clients"; return 1; }
	read -r fds0 rss0 dev_rss0 dev_anon0 dev_shmem0 < <(measure)
	say "$1: sim pid $sim ($fds0 fds, VmRSS $rss0 KiB), device pid $dev" \
		"(VmRSS $dev_rss0 KiB, RssAnon $dev_anon0, RssShmem $dev_shmem0)"
}

# After the clients: nothing left in GET_STATS, the sim's descriptors and
# memory and the device's guest pages back near the baseline, vgpu-demo
# still renders, and the sim ends cleanly on SIGTERM.
check_back() {
	local s fds1 rss1 dev_rss1 dev_anon1 dev_shmem1
	kill -0 "$sim" 2>/dev/null || { violation "the sim died"; tail -n 20 "$W/sim-$device.log"; return; }
	# A client's connection is torn down by its own thread: wait for it.
	for _ in $(seq 100); do
		s=$(stats) || break
		[ "$s" = "1 0 0 0 0" ] && break
		sleep 0.1
	done
	say "$device: GET_STATS after: open files, contexts, resources, requests," \
		"backing bytes: ${s:-none}"
	[ "${s:-}" = "1 0 0 0 0" ] || violation "objects left: $s"

	read -r fds1 rss1 dev_rss1 dev_anon1 dev_shmem1 < <(measure)
	say "$device: sim fds $fds0 -> $fds1, VmRSS $rss0 -> $rss1 KiB;" \
		"device VmRSS $dev_rss0 -> $dev_rss1 KiB (RssAnon $dev_anon0 -> $dev_anon1," \
		"RssShmem $dev_shmem0 -> $dev_shmem1)"
	[ "$fds1" -eq "$fds0" ] || violation "sim fds $fds0 -> $fds1"
	[ "$rss1" -le $((rss0 + sim_slack_kib)) ] ||
		violation "sim VmRSS grew by $((rss1 - rss0)) KiB (> $sim_slack_kib)"
	[ "$dev_shmem1" -le $((dev_shmem0 + shmem_slack_kib)) ] ||
		violation "device RssShmem grew by $((dev_shmem1 - dev_shmem0)) KiB (> $shmem_slack_kib)"

	if (cd "$W" && VGPU_SOCKET=$sock "$demo_bin" >"$W/demo.log" 2>&1); then
		say "$device: vgpu-demo afterwards: ok"
	else
		violation "vgpu-demo afterwards failed"
		tail -n 5 "$W/demo.log"
	fi
	kill -TERM "$sim"
	wait "$sim" || { violation "the sim exited with $? on SIGTERM"; tail -n 30 "$W/sim-$device.log"; }
	sim=
}
