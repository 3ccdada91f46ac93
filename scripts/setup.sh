#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install the Debian packages vgpu's build, tests and demo need.  Safe to
# run again: it only calls apt-get when something is missing.
set -euo pipefail

packages=(
	# build
	meson ninja-build pkg-config gcc make python3 zlib1g-dev
	# the C layout check (tests/style)
	clang-format-14
	# the fuzzers (tests/fuzz): clang, libFuzzer and the sanitizers' runtimes, llvm-cov
	clang-14 libclang-rt-14-dev llvm-14
	# Windows targets
	gcc-mingw-w64-x86-64
	# the Windows driver package: test signing (vgpu.sys), its certificate
	osslsigncode openssl
	# its catalog (vgpu.cat): tools/makecat is built on libcrypto
	libssl-dev
	# the devices: QEMU's vhost-user-gpu (qemu-system-gui) and QEMU itself; a newer
	# QEMU for blob resources, installed from Debian 13 by scripts/newer-qemu.sh
	qemu-system-gui qemu-system-x86 debootstrap
	# the host renderer, for tests that drive virglrenderer directly
	libvirglrenderer-dev virgl-server libegl-dev libgbm-dev
	# running Windows binaries and GL programs without a display
	wine wine64 xvfb xauth
	# building Mesa from Debian's source (scripts/build-mesa.sh) and testing it
	dpkg-dev python3-mako bison flex libexpat1-dev libdrm-dev libx11-dev libxext-dev
	libxfixes-dev libx11-xcb-dev libxcb-glx0-dev libxcb-shm0-dev libxcb-dri2-0-dev
	libxcb-dri3-dev libxcb-present-dev libxcb-sync-dev libxcb-xfixes0-dev libxcb-randr0-dev
	libxshmfence-dev libxxf86vm-dev libxrandr-dev piglit
	# Mesa for Windows (C++ parts, static zlib) and the GL benchmark
	g++-mingw-w64-x86-64-win32 libz-mingw-w64-dev glmark2-x11
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

echo "setup: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "setup: need root to install packages (run as root or install them yourself)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q "${missing[@]}"
