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
RANDOM=$seed
tool=storm
# shellcheck source=scripts/sim-probe.sh
. scripts/sim-probe.sh

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
	local device=$1 i
	start_sim "$device" || return

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
	check_back
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
