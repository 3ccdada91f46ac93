#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs a command with our Linux Mesa build (scripts/build-mesa.sh linux)
# selected: its libraries and DRI driver, GALLIUM_DRIVER=vgpu.
#
#   scripts/with-our-mesa.sh COMMAND [ARGS...]
#
# The build is looked up each time, never remembered: it is often made after
# the test tree was configured (make demo, then make test), and a change to
# umd/mesa/vgpu.patch moves it.  Fails, saying so, when it is not built.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
prefix=$("$repo/scripts/build-mesa.sh" --prefix linux 2>&1) || {
	echo "# cannot locate our Mesa build: $prefix" >&2
	exit 1
}
lib=$prefix/lib/x86_64-linux-gnu
if [ ! -f "$lib/dri/swrast_dri.so" ]; then
	echo "# our Mesa build is missing ($lib/dri/swrast_dri.so): run make mesa" >&2
	exit 1
fi
export LD_LIBRARY_PATH=$lib LIBGL_DRIVERS_PATH=$lib/dri GALLIUM_DRIVER=vgpu LIBGL_ALWAYS_SOFTWARE=1
exec "$@"
