#!/usr/bin/env bash
# The kmd core must link into a kernel: no symbol it needs may come from
# libc (or anything else outside the core).  TAP output, one case per object.
set -uo pipefail
lib=$1
n=0
bad=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" && ar x "$lib"
for obj in *.o; do
	n=$((n + 1))
	undefined=$(nm -u "$obj" | awk '{print $2}' | grep -v '^vgpu_' || true)
	if [ -z "$undefined" ]; then
		echo "ok $n - $obj needs nothing outside the core"
	else
		echo "not ok $n - $obj needs: $(echo $undefined)"
		bad=1
	fi
done
echo "1..$n"
exit $bad
