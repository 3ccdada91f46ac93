/* SPDX-License-Identifier: MIT */
/*
 * The device as the sim drives it: guest memory, the device process
 * (QEMU's vhost-user-gpu or the device model) over vhost-user, the thread
 * that turns its interrupts into the core's, and the kmd core brought up
 * on top.  vgpu-sim serves it on a socket; vgpu-bench also calls the core
 * in process through it, to show what the socket adds.
 */
#ifndef VGPU_SIM_DEVICE_H
#define VGPU_SIM_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "completion.h"
#include "guest_mem.h"
#include "sim_os.h"
#include "vgpu_core.h"
#include "vhost_user_transport.h"

/* A sim_device before its start: no backend process or connection yet. */
#define SIM_DEVICE_INIT                                                                            \
	{                                                                                          \
		.backend = {.pid = -1, .sock = -1, .reaped = true }                                \
	}

struct sim_device {
	struct guest_mem *mem;
	struct backend backend;
	struct vhost_user_transport transport;
	bool transport_up;
	struct completion completion;
	struct sim_os os;
	struct vgpu_device *dev; /* the core's device, once started */
};

struct sim_device_config {
	uint64_t mem_size;
	const struct backend_device *device;
	const char *backend_path; /* the device's program */
	enum vgpu_log_level log_level;
};

/*
 * Bring the device up; 0, or -1 after saying on stderr (prefixed with
 * `program`) what failed.  Either way sim_device_stop() undoes it.
 */
int sim_device_start(struct sim_device *d, const struct sim_device_config *cfg,
		     const char *program);

/* Take it all down again; safe after a failed start, and twice. */
void sim_device_stop(struct sim_device *d);

#endif /* VGPU_SIM_DEVICE_H */
