/* SPDX-License-Identifier: MIT */
/*
 * A libvgpu channel that calls the kmd core in this process: the sim's
 * device (guest memory, QEMU's vhost-user-gpu, the core) without its
 * socket.  It is what a Windows guest's driver does, less the IOCTL's trip
 * into the kernel, so the "core" way of vgpu-bench shows how much of the
 * "vgpu" way is the socket hop that only the sim has.  No mappings (the
 * bench makes none): RESOURCE_MAP is UNSUPPORTED.
 */
#ifndef VGPU_BENCH_CORE_CHANNEL_H
#define VGPU_BENCH_CORE_CHANNEL_H

#include <stddef.h>

#include "channel.h"

/* VGPU_OK and the channel, or a status and a line in `why`. */
int bench_core_channel_open(struct vgpu_channel **out, char *why, size_t why_cap);

#endif /* VGPU_BENCH_CORE_CHANNEL_H */
