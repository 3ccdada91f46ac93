#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The kmd core must link into a kernel: no symbol it needs may come from
# libc (or anything else outside the core).  TAP output, one case per object.
set -uo pipefail
lib=$1
n=0
bad=0
# Meson makes thin archives: their members are paths to the objects.
mapfile -t objects < <(ar t "$lib")
for obj in "${objects[@]}"; do
	n=$((n + 1))
	[ -f "$obj" ] || obj=$(dirname "$lib")/$obj
	undefined=$(nm -u "$obj" | awk '{print $2}' | grep -v '^vgpu_' || true)
	if [ ! -f "$obj" ]; then
		echo "not ok $n - $obj: object not found"
		bad=1
	elif [ -z "$undefined" ]; then
		echo "ok $n - $(basename "$obj") needs nothing outside the core"
	else
		echo "not ok $n - $(basename "$obj") needs: $(echo $undefined)"
		bad=1
	fi
done
if [ "$n" -lt 8 ]; then
	n=$((n + 1))
	echo "not ok $n - expected the core's objects in $lib, found $((n - 1))"
	bad=1
fi
echo "1..$n"
exit $bad
