#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The testos suite as TAP: runs testos/run.sh on the given guest kernel and
# turns its "PASS name" / "FAIL name" lines into "ok" / "not ok" cases;
# everything else it prints becomes a diagnostic.
#   testos-tap.sh KERNEL
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
kernel=${1:?usage: testos-tap.sh KERNEL}

"$top/testos/run.sh" "$kernel" "$(dirname "$kernel")/logs" | awk '
	/^PASS / { n++; print "ok " n " - " substr($0, 6); next }
	/^FAIL / { n++; print "not ok " n " - " substr($0, 6); next }
	{ print "# " $0 }
	END {
		if (n == 0) { n++; print "not ok " n " - testos produced no cases" }
		print "1.." n
	}'
