/* SPDX-License-Identifier: MIT */
/*
 * One client connection of the sim: the hello, then request frames
 * checked, run through vgpu_file_ioctl() and answered, until the client
 * leaves or sends a frame the server cannot read.
 */
#ifndef VGPU_SIM_CONN_H
#define VGPU_SIM_CONN_H

#include <pthread.h>
#include <stdatomic.h>

#include "guest_mem.h"
#include "host_region.h"
#include "user_maps.h"
#include "vgpu_core.h"

struct conn {
	struct conn *next; /* the server's list */
	int fd;
	pthread_t thread;
	atomic_bool done;
	struct vgpu_device *dev;
	struct guest_mem *mem;
	const struct host_region *region; /* the device's host-visible memory, or NULL */
	struct user_maps maps;            /* the file_ctx of this connection's vgpu_file */
};

/* Thread body: serve `arg` (a struct conn) until it ends, then close its file. */
void *conn_main(void *arg);

#endif /* VGPU_SIM_CONN_H */
