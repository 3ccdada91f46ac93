/* SPDX-License-Identifier: MIT */
/*
 * The sim's recorder: with VGPU_SIM_RECORD=PATH in the sim's environment,
 * every connection that creates a context writes a replay capture
 * (capture.h, docs/replay.md) of its successful calls, of what it wrote
 * into resource memory before the device used it, and of hashes of what
 * the device wrote there: the first such connection to PATH, the n-th to
 * PATH.n.  Each connection records on its own thread, so a recorder needs
 * no lock.
 */
#ifndef VGPU_SIM_RECORDER_H
#define VGPU_SIM_RECORDER_H

#include <stdint.h>

#include "guest_mem.h"
#include "user_maps.h"
#include "vgpu_core.h"

#define RECORDER_ENV "VGPU_SIM_RECORD"

struct recorder;

/*
 * A recorder for the connection of `file` (whose file_ctx is `maps`) when
 * VGPU_SIM_RECORD is set, else NULL (also when memory is short: recording
 * is a test aid, never a reason to refuse a client).
 */
struct recorder *recorder_create(struct vgpu_file *file, struct user_maps *maps,
				 struct guest_mem *mem);

/*
 * Run one call through vgpu_file_ioctl(file, ...) and record it: memory
 * the call hands to the device before, the call and what the device
 * wrote after.  Calls that fail changed nothing and are not recorded.
 * With a NULL rec this is just vgpu_file_ioctl.
 */
int recorder_ioctl(struct recorder *rec, struct vgpu_file *file, uint32_t code,
		   struct vgpu_ioctl_bufs *bufs);

/* End the capture (its END record says it is complete) and free the recorder.  NULL: no-op. */
void recorder_destroy(struct recorder *rec);

#endif /* VGPU_SIM_RECORDER_H */
