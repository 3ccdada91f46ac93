# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# virgl_test_server for Mesa's virpipe (sourced by the scripts that run it).
# Mesa 22.3's vtest client connects to one fixed socket, so every run that
# serves it takes a lock for as long as its server runs: two runs (make
# bench-gl beside make test) take turns instead of sharing a server that the
# other one stops.  A server someone left listening is replaced, not reused.

vtest_socket=/tmp/.virgl_test
vtest_pid=
vtest_lock=

# vtest_start LOG [ARGS...]: waits up to 10 minutes for the lock, starts a
# server with ARGS, and returns once it listens (or fails with its log's end).
vtest_start() {
	local log=$1
	shift
	exec {vtest_lock}>"$vtest_socket.lock"
	if ! flock -w 600 "$vtest_lock"; then
		echo "virgl_test_server: $vtest_socket.lock still held after 600 s" >&2
		vtest_stop
		return 1
	fi
	rm -f "$vtest_socket"
	# The lock is this script's, not the server's: a server left behind by a
	# killed script must not keep every later run waiting.
	virgl_test_server --use-egl-surfaceless --socket-path="$vtest_socket" "$@" \
		>"$log" 2>&1 {vtest_lock}>&- &
	vtest_pid=$!
	for _ in $(seq 200); do
		ss -xl | grep -q " $vtest_socket " && return 0
		kill -0 "$vtest_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "virgl_test_server did not start listening; the end of $log:" >&2
	tail -n 15 "$log" >&2
	vtest_stop
	return 1
}

# vtest_stop: stops the server, removes its socket and lets the next run in.
vtest_stop() {
	if [ -n "$vtest_pid" ]; then
		{ kill "$vtest_pid" && wait "$vtest_pid"; } 2>/dev/null || true
		rm -f "$vtest_socket"
	fi
	vtest_pid=
	[ -z "$vtest_lock" ] || exec {vtest_lock}>&-
	vtest_lock=
}
