/* SPDX-License-Identifier: MIT */
/*
 * libvgpu's per-call accounting (vgpu_stats_enable): the counters behind
 * struct vgpu_call_stats, added to from any thread.
 */
#ifndef LIBVGPU_CALL_STATS_H
#define LIBVGPU_CALL_STATS_H

#include <stdint.h>

#include "libvgpu.h"
#include "channel.h"

/* Count one call that spent `ns` in the channel. */
void vgpu_call_stats_add(struct vgpu_call_stats *stats, const struct vgpu_call *call, uint64_t ns);
void vgpu_call_stats_read(const struct vgpu_call_stats *stats, struct vgpu_call_stats *out);

#endif /* LIBVGPU_CALL_STATS_H */
