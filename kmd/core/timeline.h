/* SPDX-License-Identifier: MIT */
/*
 * A file's fence timeline: the values its fenced commands signal, reached
 * in submission order as the device completes them.
 */
#ifndef VGPU_KMD_TIMELINE_H
#define VGPU_KMD_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "file.h"

/*
 * The fence target of a command that will signal `signal` on the file's
 * timeline; VGPU_E_INVALID unless signal is beyond every earlier value.
 * After a successful send, vgpu_timeline_sent records it.  Caller holds
 * the file's lock.
 */
int vgpu_timeline_target(struct vgpu_file *file, uint64_t signal, struct vgpu_fence_target *target);
void vgpu_timeline_sent(struct vgpu_file *file, uint64_t signal);
struct vgpu_ioctl_bufs;
/*
 * Wait until the timeline reaches `value` (timeout 0: just ask).  A wait
 * for an application's call (`user`, NULL for the driver's own waits) also
 * ends when the file is cancelled or the OS interrupts the call.
 */
int vgpu_timeline_wait(struct vgpu_file *file, uint64_t value, uint64_t timeout_ns,
		       const struct vgpu_ioctl_bufs *user, uint64_t *completed);

#endif /* VGPU_KMD_TIMELINE_H */
