/* SPDX-License-Identifier: MIT */
/*
 * The OS callbacks (kmd/core/os.h) for the core running as a Linux process.
 * Memory the device sees comes from the guest memory file; locks and
 * events are pthread objects.  map_user and map_device_user cannot map
 * into a client process: `file_ctx` is the connection's struct user_maps,
 * where the file ranges (of guest memory, or of the host-visible region
 * for device memory) are recorded for the server to send with the MAP
 * reply.
 */
#ifndef VGPU_SIM_OS_H
#define VGPU_SIM_OS_H

#include "guest_mem.h"
#include "host_region.h"
#include "os.h"

struct sim_os {
	struct vgpu_os os;
	struct guest_mem *mem;
	const struct host_region *region; /* filled in by the transport's handshake, or NULL */
	enum vgpu_log_level threshold;    /* messages above it are dropped */
};

/* `region` may be NULL (no device memory); it is read only when a mapping is made. */
void sim_os_init(struct sim_os *sim, struct guest_mem *mem, const struct host_region *region,
		 enum vgpu_log_level threshold);

static inline const struct vgpu_os *sim_os_table(const struct sim_os *sim)
{
	return &sim->os;
}

#endif /* VGPU_SIM_OS_H */
