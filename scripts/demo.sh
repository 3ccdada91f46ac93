#!/usr/bin/env bash
# The main job, for now: the driver-level demo.  It starts the sim (our
# kernel-driver core as a Linux process, driving QEMU's vhost-user-gpu
# device), runs vgpu-demo through libvgpu, and stops the sim.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bin=$build/bin
out=$build/demo
mkdir -p "$out"
sock=$(mktemp -u /tmp/vgpu-demo-XXXXXX.sock)

"$bin/vgpu-sim" --socket "$sock" >"$out/sim.log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null; wait $sim 2>/dev/null || true' EXIT
for _ in $(seq 200); do
	grep -q 'vgpu-sim: ready' "$out/sim.log" && break
	kill -0 $sim 2>/dev/null || { cat "$out/sim.log"; exit 1; }
	sleep 0.1
done
grep -q 'vgpu-sim: ready' "$out/sim.log" || { echo "demo: sim did not start"; exit 1; }

VGPU_SOCKET=$sock "$bin/vgpu-info"
echo
VGPU_SOCKET=$sock "$bin/vgpu-demo" "$out/vgpu-demo.png"
