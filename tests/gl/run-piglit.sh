#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the piglit subset (piglit-subset.txt) twice in one run and compares:
#  - vgpu:    our Mesa build (GALLIUM_DRIVER=vgpu) -> libvgpu -> vgpu-sim
#             -> QEMU's vhost-user-gpu;
#  - virpipe: the system's Mesa (GALLIUM_DRIVER=virpipe) -> virgl_test_server.
# Both render off-screen (PIGLIT_PLATFORM=surfaceless_egl) on this machine's
# host renderer.  Every test that passes on virpipe must pass on vgpu.
# Prints TAP; the per-test results are kept in OUT/{vgpu,virpipe}.txt
# ("result<TAB>name" per line), the output of the tests that did not pass in
# OUT/{vgpu,virpipe}-logs/, and the regressions in OUT/regressions.txt.
#
#   run-piglit.sh VGPU_SIM MESA_PREFIX OUT_DIR
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
piglit=/usr/lib/x86_64-linux-gnu/piglit
list=$here/piglit-subset.txt
jobs=${PIGLIT_JOBS:-2}
test_timeout=${PIGLIT_TEST_TIMEOUT:-60}
# Mesa 22.3's vtest client always connects here; runs that use it take the lock.
vtest_socket=/tmp/.virgl_test

[ $# -eq 3 ] || { echo "usage: $0 VGPU_SIM MESA_PREFIX OUT_DIR" >&2; exit 2; }
sim=$1
mesa_lib=$2/lib/x86_64-linux-gnu
out=$3
case_no=0
failed=0
pids=()

tap() { # ok|not-ok name
	case_no=$((case_no + 1))
	if [ "$1" = ok ]; then
		echo "ok $case_no - $2"
	else
		echo "not ok $case_no - $2"
		failed=$((failed + 1))
	fi
}

cleanup() {
	local pid
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	[ -z "${work:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# Wait (bounded) for a file to appear (virgl_test_server's socket) or for a line in a file.
wait_for() {
	local i
	for i in $(seq 200); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

wait_for_line() {
	local i
	for i in $(seq 200); do
		grep -qxF "$1" "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# One "name<TAB>command" line: prints "result<TAB>name".  The driver comes from the environment.
run_one() {
	local name=${1%%$'\t'*} cmd=${1#*$'\t'} output result
	# shellcheck disable=SC2086 # the command is words
	output=$(cd "$piglit" && timeout -k 5 "$test_timeout" bin/$cmd -auto -fbo 2>&1)
	result=$(printf '%s\n' "$output" | sed -n 's/^PIGLIT: {"result": "\([a-z]*\)".*/\1/p' |
		tail -n 1)
	[ "$result" = pass ] ||
		printf '%s\n' "$output" >"$log_dir/$(printf '%s' "$name" | tr -c 'A-Za-z0-9._-' _).log"
	printf '%s\t%s\n' "${result:-crash}" "$name"
}
export -f run_one
export piglit test_timeout

# Run the whole list with the current environment into $1.txt, 2 at a time; the output of
# each test that does not pass goes to $1-logs/.
run_list() {
	export log_dir=$1-logs
	rm -rf "$log_dir"
	mkdir -p "$log_dir"
	grep -v -e '^#' -e '^$' "$list" | xargs -d '\n' -P "$jobs" -n 1 bash -c 'run_one "$1"' _ |
		sort -t $'\t' -k2 >"$1.txt"
}

mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/vgpu-piglit-XXXXXX")
export PIGLIT_PLATFORM=surfaceless_egl

# vgpu: a private sim, started with a clean environment (its device renders with the system
# Mesa), with the guest memory of a VM of a few GiB: two tests run at once, and some keep
# hundreds of MiB of released textures until the driver flushes.
env -u LD_LIBRARY_PATH -u LIBGL_DRIVERS_PATH -u GALLIUM_DRIVER -u LIBGL_ALWAYS_SOFTWARE \
	"$sim" --socket "$work/sim.sock" --mem 4G >"$work/sim.log" 2>&1 &
pids+=($!)
sim_pid=$!
if wait_for_line "vgpu-sim: ready on $work/sim.sock" "$work/sim.log" &&
	[ -f "$mesa_lib/dri/swrast_dri.so" ]; then
	tap ok "vgpu-sim started, our Mesa build present"
	start=$SECONDS
	LD_LIBRARY_PATH=$mesa_lib LIBGL_DRIVERS_PATH=$mesa_lib/dri GALLIUM_DRIVER=vgpu \
		LIBGL_ALWAYS_SOFTWARE=1 VGPU_SOCKET=$work/sim.sock run_list "$out/vgpu"
	echo "# vgpu run: $((SECONDS - start)) s"
	if kill -0 "$sim_pid" 2>/dev/null; then
		tap ok "vgpu-sim survived the run"
	else
		tap not-ok "vgpu-sim survived the run"
		sed 's/^/#   sim: /' "$work/sim.log" | tail -n 20
	fi
else
	tap not-ok "vgpu-sim started, our Mesa build present ($mesa_lib)"
	sed 's/^/#   sim: /' "$work/sim.log" | tail -n 20
	: >"$out/vgpu.txt"
fi

# virpipe: the system Mesa against virgl_test_server on its fixed socket.
(
	flock -w 600 9 || exit 1
	rm -f "$vtest_socket"
	virgl_test_server --use-egl-surfaceless --multi-clients >"$work/vtest.log" 2>&1 &
	server=$!
	if ! wait_for "$vtest_socket"; then
		kill "$server" 2>/dev/null
		exit 1
	fi
	start=$SECONDS
	GALLIUM_DRIVER=virpipe LIBGL_ALWAYS_SOFTWARE=1 run_list "$out/virpipe"
	echo "# virpipe run: $((SECONDS - start)) s"
	kill "$server" 2>/dev/null
	wait "$server" 2>/dev/null
	rm -f "$vtest_socket"
) 9>"$vtest_socket.lock"
if [ -s "$out/virpipe.txt" ]; then
	tap ok "virgl_test_server ran the subset"
else
	tap not-ok "virgl_test_server ran the subset"
	sed 's/^/#   virgl_test_server: /' "$work/vtest.log" | tail -n 20
fi

passes() { awk -F '\t' '$1 == "pass" { print $2 }' "$1" | sort; }
total=$(grep -cv -e '^#' -e '^$' "$list")
vgpu_pass=$(passes "$out/vgpu.txt" | wc -l)
virpipe_pass=$(passes "$out/virpipe.txt" | wc -l)
comm -23 <(passes "$out/virpipe.txt") <(passes "$out/vgpu.txt") >"$out/regressions.txt"
echo "# piglit subset of $total: vgpu passes $vgpu_pass, virpipe passes $virpipe_pass"
if [ "$virpipe_pass" -gt 0 ] && [ ! -s "$out/regressions.txt" ]; then
	tap ok "vgpu passes every test virpipe passes ($vgpu_pass/$total vs $virpipe_pass/$total)"
else
	tap not-ok "vgpu passes every test virpipe passes ($vgpu_pass/$total vs $virpipe_pass/$total)"
	head -n 40 "$out/regressions.txt" | sed 's/^/#   regression: /'
	echo "#   ($(wc -l <"$out/regressions.txt") in all: $out/regressions.txt)"
fi
echo "1..$case_no"
[ "$failed" -eq 0 ]
