#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The kill storm of issue 12 (docs/reliability.md, "Kill storm"): for each
# device, one vgpu-sim serves STORM_CLIENTS clients (tools/vgpu-storm-client,
# which renders until killed), STORM_PARALLEL at a time, each SIGKILLed after
# a random delay, so that the kills land in the middle of creates, transfers,
# submits, waits and destroys.  Afterwards GET_STATS must show no context,
# resource, backing byte or request left, the sim's descriptors must be back
# to their count before the storm and its memory near it, and a new client
# (vgpu-demo) must still render.  Prints a summary; exits 1 on any violation.
#
#   scripts/storm-kill.sh [BUILD_DIR]        (after meson setup + ninja)
#
# STORM_DEVICES (default "qemu model"), STORM_CLIENTS (100), STORM_PARALLEL
# (8), STORM_MIN_MS / STORM_MAX_MS (the kill delay, 100..1500), STORM_SEED
# (the delays' seed, default random and printed), STORM_SIM_SLACK_KIB and
# STORM_SHMEM_SLACK_KIB (what counts as "near", below).
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
devices=${STORM_DEVICES:-qemu model}
clients=${STORM_CLIENTS:-100}
parallel=${STORM_PARALLEL:-8}
min_ms=${STORM_MIN_MS:-100}
max_ms=${STORM_MAX_MS:-1500}
seed=${STORM_SEED:-$((RANDOM * 32768 + RANDOM))}
# The sim's own memory may grow by what glibc keeps for reuse: an arena per
# connection thread that ran at once (up to 8 per core), whose freed chunks
# stay resident, and the connection records.  A leak of the clients' objects
# would be per client and grow past this with the storm's length.
sim_slack_kib=${STORM_SIM_SLACK_KIB:-8192}
# Guest memory pages the device still holds (RssShmem): the sim punches freed
# pages out of the file, so only pages still allocated may remain.
shmem_slack_kib=${STORM_SHMEM_SLACK_KIB:-1024}
export VGPU_DEVMODEL=${VGPU_DEVMODEL:-$build/devmodel/vgpu-devmodel}

sim_bin=$build/kmd/sim/vgpu-sim
client_bin=$build/tools/vgpu-storm-client
info_bin=$build/tools/vgpu-info
demo_bin=$build/tools/vgpu-demo
for b in "$sim_bin" "$client_bin" "$info_bin" "$demo_bin" "$VGPU_DEVMODEL"; do
	[ -x "$b" ] || { echo "storm: $b is not built"; exit 2; }
done

W=$(mktemp -d "${TMPDIR:-/tmp}/storm-kill.XXXXXX")
sim=
trap '[ -n "$sim" ] && kill "$sim" 2>/dev/null; rm -rf "$W"' EXIT
RANDOM=$seed
failures=0

say() { echo "storm: $*"; }
violation() {
	say "VIOLATION ($device): $*"
	failures=$((failures + 1))
}

status_kib() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB$/\1/p" "/proc/$1/status"; }
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }
# The sim's fds and VmRSS, then the device's VmRSS, RssAnon and RssShmem.
measure() {
	echo "$(fd_count "$sim") $(status_kib "$sim" VmRSS) $(status_kib "$1" VmRSS)" \
		"$(status_kib "$1" RssAnon) $(status_kib "$1" RssShmem)"
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

# One client: started, killed after its delay; "killed" unless it ended first.
run_client() {
	local i=$1 ms=$2 pid
	VGPU_SOCKET=$sock "$client_bin" 2>"$W/client-$i.err" &
	pid=$!
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	if kill -KILL "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null || true
		echo killed >"$W/client-$i.result"
	else
		wait "$pid" && echo "exited 0" >"$W/client-$i.result" ||
			echo "exited $?" >"$W/client-$i.result"
	fi
}

storm() {
	local device=$1 log=$W/sim-$1.log i dev s
	sock=$W/$device.sock
	"$sim_bin" --socket "$sock" --device "$device" >"$log" 2>&1 &
	sim=$!
	for _ in $(seq 300); do
		grep -q "^vgpu-sim: ready on $sock" "$log" && break
		kill -0 "$sim" 2>/dev/null || break
		sleep 0.1
	done
	grep -q "^vgpu-sim: ready on $sock" "$log" ||
		{ violation "the sim did not start"; tail -n 20 "$log"; return; }
	dev=$(device_pid)
	stats >/dev/null || { violation "vgpu-info failed before the storm"; return; }
	local fds0 rss0 dev_rss0 dev_anon0 dev_shmem0
	read -r fds0 rss0 dev_rss0 dev_anon0 dev_shmem0 < <(measure "$dev")
	say "$device: sim pid $sim ($fds0 fds, VmRSS $rss0 KiB), device pid $dev" \
		"(VmRSS $dev_rss0 KiB, RssAnon $dev_anon0, RssShmem $dev_shmem0)"

	local start=$SECONDS
	rm -f "$W"/client-*
	# Drawn here: a subshell's RANDOM is seeded afresh, and the seed must
	# give the same delays again.
	local delays=()
	for i in $(seq "$clients"); do
		delays[i]=$((min_ms + RANDOM % (max_ms - min_ms + 1)))
	done
	# In a subshell, whose jobs are the clients alone (the sim is ours).
	(
		for i in $(seq "$clients"); do
			while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do
				wait -n || true
			done
			run_client "$i" "${delays[i]}" &
		done
		wait
	)
	local killed early
	killed=$(grep -lx killed "$W"/client-*.result | wc -l)
	early=$((clients - killed))
	say "$device: $clients clients in $((SECONDS - start)) s, $killed killed," \
		"$early ended on their own"
	[ "$early" -eq 0 ] || {
		violation "$early clients ended before their kill"
		grep -hv '^$' "$W"/client-*.err | sort | uniq -c | head -n 5
	}
	kill -0 "$sim" 2>/dev/null || { violation "the sim died"; tail -n 20 "$log"; return; }

	# A killed client's connection is torn down by its own thread: wait for it.
	for _ in $(seq 100); do
		s=$(stats) || break
		[ "$s" = "1 0 0 0 0" ] && break
		sleep 0.1
	done
	say "$device: GET_STATS after: open files, contexts, resources, requests," \
		"backing bytes: ${s:-none}"
	[ "${s:-}" = "1 0 0 0 0" ] || violation "objects left: $s"

	local fds1 rss1 dev_rss1 dev_anon1 dev_shmem1
	read -r fds1 rss1 dev_rss1 dev_anon1 dev_shmem1 < <(measure "$dev")
	say "$device: sim fds $fds0 -> $fds1, VmRSS $rss0 -> $rss1 KiB;" \
		"device VmRSS $dev_rss0 -> $dev_rss1 KiB (RssAnon $dev_anon0 -> $dev_anon1," \
		"RssShmem $dev_shmem0 -> $dev_shmem1)"
	[ "$fds1" -eq "$fds0" ] || violation "sim fds $fds0 -> $fds1"
	[ "$rss1" -le $((rss0 + sim_slack_kib)) ] ||
		violation "sim VmRSS grew by $((rss1 - rss0)) KiB (> $sim_slack_kib)"
	[ "$dev_shmem1" -le $((dev_shmem0 + shmem_slack_kib)) ] ||
		violation "device RssShmem grew by $((dev_shmem1 - dev_shmem0)) KiB (> $shmem_slack_kib)"

	if (cd "$W" && VGPU_SOCKET=$sock "$demo_bin" >"$W/demo.log" 2>&1); then
		say "$device: vgpu-demo after the storm: ok"
	else
		violation "vgpu-demo after the storm failed"
		tail -n 5 "$W/demo.log"
	fi
	kill -TERM "$sim"
	wait "$sim" || { violation "the sim exited with $? on SIGTERM"; tail -n 30 "$log"; }
	sim=
}

say "seed $seed, $clients clients per device, $parallel at a time," \
	"killed after ${min_ms}..${max_ms} ms"
for device in $devices; do
	storm "$device"
done
if [ "$failures" -eq 0 ]; then
	say "PASS"
else
	say "FAIL: $failures violations"
	exit 1
fi
