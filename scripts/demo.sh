#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The main job: a Windows OpenGL program (tools/wgl/wgl-demo.c, a lit
# spinning torus in GL 3.3 core) runs under Wine through the whole vgpu
# stack - our opengl32.dll + vgpu_wgl.dll (Mesa's virgl driver over our
# winsys), libvgpu over TCP into vgpu-sim (our kernel-driver core as a Linux
# process), QEMU's vhost-user-gpu device, virglrenderer - and writes PNG
# frames.  First, the driver level alone: what vgpu-info reads from the
# device.  Usage: scripts/demo.sh [BUILD_DIR] (after `make native`).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=$(realpath -m "$build/demo")
frames=$out/frames
stage=$out/win
mkdir -p "$out" "$stage"
rm -rf "$frames"
mkdir -p "$frames"
say() { echo "demo: $*"; }

say "building the Windows programs (mingw-w64) and Mesa for Windows (cached after the first time)"
make -s windows BUILD="$build" >"$out/build-windows.log" 2>&1 || { cat "$out/build-windows.log"; exit 1; }
scripts/build-mesa.sh windows >"$out/build-mesa.log" 2>&1 ||
	{ tail -n 30 "$out/build-mesa.log"; exit 1; }

wine_env_log=$out/wine-env.log
. tools/wgl/wine-env.sh
trap wine_env_stop EXIT
wine_env_start_xvfb
wine_env_prefix "$(realpath -m "$build/wineprefix")"
wine_env_start_sim "$build/bin/vgpu-sim" "$out"

echo
say "the device, as vgpu's driver core sees it (vgpu-info over $VGPU_SOCKET):"
"$build/bin/vgpu-info" | sed -n '1,4p;/host renderer/p'
echo

cp -f "$build/win/tools/wgl/wgl-demo.exe" "$stage/"
wine_env_use_our_gl "$stage" "$(scripts/build-mesa.sh --prefix windows)"
say "running wgl-demo.exe under Wine with our opengl32.dll (GALLIUM_DRIVER=$GALLIUM_DRIVER)"
if ! (cd "$stage" && wine wgl-demo.exe --out 'Z:'"${frames//\//\\}") | tee "$out/wgl-demo.log"; then
	say "wgl-demo failed"
	exit 1
fi
grep -qi 'vgpu\|virgl' <(sed -n 's/^renderer: *//p' "$out/wgl-demo.log") ||
	{ say "the renderer is not vgpu: our opengl32.dll was not used"; exit 1; }
echo
say "the PNG frames are in $frames"
