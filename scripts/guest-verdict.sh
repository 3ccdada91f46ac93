# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# The verdict on a run of a test guest under QEMU (testos/run.sh,
# testos-nt/run.sh), sourced.  The guest reports through isa-debug-exit:
# QEMU's status is the guest's code * 2 + 1, 1 when every case passed and
# 3 when some failed.
#
# guest_verdict NAME PANIC_STATUS SHOWN
#   Uses: status (QEMU's exit status, empty when it did not run),
#   run_problem (why the run failed before that, if it did), serial and
#   qemu_log (the files), timeout_s, start and end (date +%s.%N).  Prints
#   the guest's lines that match the ERE SHOWN, then a failed case
#   "NAME.run" if the run as a whole went wrong (a hang, a panic: status
#   PANIC_STATUS, a reset, no summary "NAME: N passed, N failed" agreeing
#   with the case lines, a verdict that contradicts them), the logs when
#   anything failed, and "N passed, N failed".  Returns 0 only when all passed.
guest_verdict() {
	local name=$1 panic_status=$2 shown=$3 passed failed summary

	if [ -z "$run_problem" ] && [ -n "$status" ]; then
		case $status in
		1 | 3) ;;
		124 | 137) run_problem="no verdict within ${timeout_s} s: the guest hung" ;;
		"$panic_status") run_problem="the guest panicked" ;;
		0) run_problem="QEMU ended without the guest's verdict (a triple fault resets)" ;;
		*) run_problem="QEMU ended with status $status" ;;
		esac
	fi

	# Serial lines end in CR LF.
	tr -d '\r' <"$serial" >"$serial.tmp" && mv "$serial.tmp" "$serial"
	grep -E "$shown" "$serial"
	passed=$(grep -c '^PASS ' "$serial")
	failed=$(grep -c '^FAIL ' "$serial")

	summary=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed\$" "$serial" | tail -n 1)
	if [ -z "$run_problem" ] && [ "$summary" != "$name: $passed passed, $failed failed" ]; then
		run_problem="the guest's summary (${summary:-none}) does not match its case lines"
	fi
	if [ -z "$run_problem" ] && [ "$status" -eq 3 ] && [ "$failed" -eq 0 ]; then
		run_problem="the guest reported failure without a failed case"
	fi
	if [ -z "$run_problem" ] && [ "$status" -eq 1 ] && [ "$failed" -ne 0 ]; then
		run_problem="the guest reported success with failed cases"
	fi
	if [ -n "$run_problem" ]; then
		echo "FAIL $name.run"
		echo "# $run_problem"
		failed=$((failed + 1))
	fi

	if [ "$failed" -ne 0 ]; then
		echo "# serial log ($serial):"
		sed 's/^/#   /' "$serial"
		echo "# QEMU's messages ($qemu_log), last lines:"
		tail -n 20 "$qemu_log" | sed 's/^/#   /'
	fi
	if [ -n "${start:-}" ]; then
		echo "# QEMU ran $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s"
	fi
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
