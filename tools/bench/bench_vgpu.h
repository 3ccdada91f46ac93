/* SPDX-License-Identifier: MIT */
/*
 * The "vgpu" way (bench_way.h): the whole spine, libvgpu -> socket ->
 * vgpu-sim (the kmd core) -> the device backend.  Unless VGPU_SOCKET names
 * a running sim, it starts its own on a temporary socket: the binary named
 * by VGPU_SIM, else the vgpu-sim next to this program (or, in a build
 * tree, the one in kmd/sim), and stops it on close.
 */
#ifndef VGPU_BENCH_VGPU_H
#define VGPU_BENCH_VGPU_H

#include <stddef.h>

#include "bench_way.h"

/*
 * Reach the device and create a rendering context.  Returns VGPU_OK, or a
 * status and a line in `why`.
 */
int bench_vgpu_open(struct bench_way *way, char *why, size_t why_cap);

/*
 * The "core" way: the same libvgpu calls through the kmd core in this
 * process, with its own device (bench_core_channel.h), no socket.
 */
int bench_core_open(struct bench_way *way, char *why, size_t why_cap);

#endif /* VGPU_BENCH_VGPU_H */
