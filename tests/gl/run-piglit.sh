#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the piglit subset (piglit-subset.txt) three times in one run and compares:
#  - vgpu:       our Mesa build (GALLIUM_DRIVER=vgpu) -> libvgpu -> vgpu-sim
#                -> QEMU's vhost-user-gpu;
#  - vgpu-model: the same, with vgpu-sim driving the TEST device model
#                (vgpu-devmodel, standard personality: blobs and host-visible
#                memory, so GL_ARB_buffer_storage is on);
#  - virpipe:    the system's Mesa (GALLIUM_DRIVER=virpipe) -> virgl_test_server.
# All render off-screen (PIGLIT_PLATFORM=surfaceless_egl) on this machine's
# host renderer.  Every test that passes on virpipe must pass on vgpu, and
# every test that passes on vgpu must pass on vgpu-model.
# Prints TAP; the per-test results are kept in OUT/{vgpu,vgpu-model,virpipe}.txt
# ("result<TAB>name" per line), the output of the tests that did not pass in
# OUT/{vgpu,vgpu-model,virpipe}-logs/, and the regressions in
# OUT/regressions.txt (vgpu against virpipe) and OUT/model-regressions.txt
# (vgpu-model against vgpu).  The sim finds the model through $VGPU_DEVMODEL
# (or beside itself).
#
#   run-piglit.sh VGPU_SIM OUT_DIR
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
with_our_mesa=$here/../../scripts/with-our-mesa.sh
piglit=/usr/lib/x86_64-linux-gnu/piglit
list=$here/piglit-subset.txt
jobs=${PIGLIT_JOBS:-2}
test_timeout=${PIGLIT_TEST_TIMEOUT:-60}
# shellcheck source=../../scripts/vtest-server.sh
. "$here/../../scripts/vtest-server.sh"

[ $# -eq 2 ] || { echo "usage: $0 VGPU_SIM OUT_DIR" >&2; exit 2; }
sim=$1
out=$2
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
	vtest_stop
	[ -z "${work:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# Wait (bounded) for a line in a file.
wait_for_line() {
	for _ in $(seq 200); do
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
# run_list also runs as a command, under with-our-mesa.sh.
export -f run_list
export list jobs

mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/vgpu-piglit-XXXXXX")
export PIGLIT_PLATFORM=surfaceless_egl

# Run the list through our Mesa on a private sim driving device $1 into $2.txt.  The sim is
# started with a clean environment (its device renders with the system Mesa), with the guest
# memory of a VM of a few GiB: two tests run at once, and some keep hundreds of MiB of
# released textures until the driver flushes.  It is stopped afterwards.
run_vgpu() {
	local device=$1 name=$2 sock=$work/$2.sock log=$work/$2-sim.log sim_pid start
	rm -f "$log" # an earlier run's "ready" is not this sim's
	env -u LD_LIBRARY_PATH -u LIBGL_DRIVERS_PATH -u GALLIUM_DRIVER -u LIBGL_ALWAYS_SOFTWARE \
		"$sim" --device "$device" --socket "$sock" --mem 4G >"$log" 2>&1 &
	sim_pid=$!
	pids+=("$sim_pid")
	if wait_for_line "vgpu-sim: ready on $sock" "$log" && "$with_our_mesa" true; then
		tap ok "$name: vgpu-sim --device $device started, our Mesa build present"
		start=$SECONDS
		VGPU_SOCKET=$sock "$with_our_mesa" bash -c 'run_list "$1"' _ "$out/$name"
		echo "# $name run: $((SECONDS - start)) s"
		if kill -0 "$sim_pid" 2>/dev/null; then
			tap ok "$name: vgpu-sim survived the run"
		else
			tap not-ok "$name: vgpu-sim survived the run"
			sed 's/^/#   sim: /' "$log" | tail -n 20
		fi
	else
		tap not-ok "$name: vgpu-sim --device $device started, our Mesa build present"
		sed 's/^/#   sim: /' "$log" | tail -n 20
		: >"$out/$name.txt"
	fi
	kill "$sim_pid" 2>/dev/null
	wait "$sim_pid" 2>/dev/null
}

run_vgpu qemu vgpu
run_vgpu model vgpu-model

# virpipe: the system Mesa against virgl_test_server on its fixed socket.
if vtest_start "$work/vtest.log" --multi-clients; then
	start=$SECONDS
	GALLIUM_DRIVER=virpipe LIBGL_ALWAYS_SOFTWARE=1 run_list "$out/virpipe"
	echo "# virpipe run: $((SECONDS - start)) s"
	vtest_stop
fi
if [ -s "$out/virpipe.txt" ]; then
	tap ok "virgl_test_server ran the subset"
else
	tap not-ok "virgl_test_server ran the subset"
	sed 's/^/#   virgl_test_server: /' "$work/vtest.log" | tail -n 20
fi

passes() { awk -F '\t' '$1 == "pass" { print $2 }' "$1" | sort; }
total=$(grep -cv -e '^#' -e '^$' "$list")
vgpu_pass=$(passes "$out/vgpu.txt" | wc -l)
model_pass=$(passes "$out/vgpu-model.txt" | wc -l)
virpipe_pass=$(passes "$out/virpipe.txt" | wc -l)
echo "# piglit subset of $total: vgpu passes $vgpu_pass, vgpu-model passes $model_pass," \
	"virpipe passes $virpipe_pass"

# Every test that passes on $1 passes on $2; the ones that do not are listed in $3.
compare() {
	local base=$1 other=$2 regressions=$3 base_pass other_pass counts
	base_pass=$(passes "$out/$base.txt" | wc -l)
	other_pass=$(passes "$out/$other.txt" | wc -l)
	counts="$other_pass/$total vs $base_pass/$total"
	comm -23 <(passes "$out/$base.txt") <(passes "$out/$other.txt") >"$regressions"
	if [ "$base_pass" -gt 0 ] && [ ! -s "$regressions" ]; then
		tap ok "$other passes every test $base passes ($counts)"
	else
		tap not-ok "$other passes every test $base passes ($counts)"
		head -n 40 "$regressions" | sed 's/^/#   regression: /'
		echo "#   ($(wc -l <"$regressions") in all: $regressions)"
	fi
}
compare virpipe vgpu "$out/regressions.txt"
compare vgpu vgpu-model "$out/model-regressions.txt"
echo "1..$case_no"
[ "$failed" -eq 0 ]
