#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The NT harness's scenarios as TAP: scripts/testos-nt.sh on the package of
# the build (build/package, made by make package before the tests) turns
# "PASS name" / "FAIL name" into "ok" / "not ok" (names of the later passes
# prefixed with the pass's name: "no-msix/", "blob/"); everything else
# becomes a diagnostic, VIOLATION lines included.
#   testos-nt-tap.sh BUILD_DIR GUEST
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?usage: testos-nt-tap.sh BUILD_DIR GUEST}
guest=$(realpath "${2:?usage: testos-nt-tap.sh BUILD_DIR GUEST}")

"$top/scripts/testos-nt.sh" "$build" "$guest" | awk '
	/^# pass / { prefix = $3 == "msix:" ? "" : substr($3, 1, length($3) - 1) "/" }
	/^PASS / { n++; print "ok " n " - " prefix substr($0, 6); next }
	/^FAIL / { n++; print "not ok " n " - " prefix substr($0, 6); next }
	/^not ok / { n++; print "not ok " n " - " substr($0, 8); next }
	/^[0-9]+ passed, [0-9]+ failed$/ { next }
	{ print "# " $0 }
	END {
		if (n == 0) { n++; print "not ok " n " - testos-nt produced no cases" }
		print "1.." n
	}'
