/* SPDX-License-Identifier: MIT */
/*
 * One client connection of the sim: the hello, then request frames
 * checked, run through vgpu_file_ioctl() on the handle it serves (its own,
 * or one it joined) and answered, until the client leaves or sends a frame
 * the server cannot read.
 */
#ifndef VGPU_SIM_CONN_H
#define VGPU_SIM_CONN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "guest_mem.h"
#include "host_region.h"
#include "file_share.h"
#include "frame_reader.h"
#include "vgpu_core.h"

struct conn {
	struct conn *next; /* the server's list */
	int fd;
	pthread_t thread;
	atomic_bool done;
	/* For the server's choice of whom to drop when full (see server_accept). */
	atomic_bool between_frames; /* waiting for the client's next request */
	atomic_bool has_context;    /* holds objects: never dropped for being idle */
	_Atomic int64_t idle_since; /* conn_now_ns() when it began waiting */
	bool evicted;               /* under the server's lock: dropped, not yet reaped */
	struct vgpu_device *dev;
	struct guest_mem *mem;
	const struct host_region *region; /* the device's host-visible memory, or NULL */
	struct file_shares *shares;       /* the handles of `dev`, to open one or join one */
	/* The conn thread's own. */
	struct file_share *share; /* the handle served, NULL if it could not be opened */
	uint64_t requests;        /* read so far */
	struct frame_reader reader;
};

/*
 * A client that stops sending in the middle of a frame, or stops reading
 * its reply, for this long is dropped.
 */
#define CONN_STALL_MS 5000

/* CLOCK_MONOTONIC in nanoseconds, the clock of idle_since. */
int64_t conn_now_ns(void);

/* Thread body: serve `arg` (a struct conn) until it ends, then let go of its handle. */
void *conn_main(void *arg);

#endif /* VGPU_SIM_CONN_H */
