/* SPDX-License-Identifier: MIT */
/*
 * A struct vgpu_transport over vhost-user: the sim plays the VMM, so
 * "the device" is a backend process reached through a socket, guest memory
 * is the sim's shared file, and notifications are eventfds (one kick and
 * one call per queue).
 */
#ifndef VGPU_SIM_VHOST_USER_TRANSPORT_H
#define VGPU_SIM_VHOST_USER_TRANSPORT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "guest_mem.h"
#include "host_region.h"
#include "vhost_user.h"
#include "virtio/transport.h"

/* virtio-gpu has two queues (control, cursor). */
#define VUT_NUM_QUEUES 2
/* vhost-user has no maximum queue size; libvhost-user accepts up to 1024. */
#define VUT_QUEUE_MAX 1024
/* Bound on every exchange with the backend (virgl start takes ~50 ms). */
#define VUT_DEFAULT_TIMEOUT_MS 10000

struct vut_queue {
	int kick_fd;
	int call_fd;
	bool started;
};

struct vhost_user_transport {
	struct vgpu_transport transport;
	struct vhost_user vu;
	struct guest_mem *mem;

	uint64_t offered; /* device features, including PROTOCOL_FEATURES */
	bool owned;       /* the session handshake is done */
	bool mem_table_sent;
	struct vut_queue queues[VUT_NUM_QUEUES];
	atomic_uint isr;
	struct host_region region; /* the device's host-visible memory, if it has any */

	char error[160]; /* the first failure, for the user */
};

/*
 * Set up over the connected socket `sock` (stays the caller's).  Creates
 * the eventfds; talks to the backend only from begin() on.  Returns 0 or a
 * negative errno.
 */
int vut_init(struct vhost_user_transport *t, int sock, struct guest_mem *mem, int timeout_ms);
void vut_fini(struct vhost_user_transport *t);

static inline const struct vgpu_transport *vut_transport(const struct vhost_user_transport *t)
{
	return &t->transport;
}

/* The host-visible region (host_region_present() false when there is none). */
static inline const struct host_region *vut_host_region(const struct vhost_user_transport *t)
{
	return &t->region;
}

/* The eventfd the backend signals when queue `index` has used buffers. */
int vut_call_fd(const struct vhost_user_transport *t, unsigned index);

/* The completion thread saw a call: report it through isr(). */
void vut_note_interrupt(struct vhost_user_transport *t);

/* The first failure, or "" if none. */
const char *vut_error(const struct vhost_user_transport *t);

#endif /* VGPU_SIM_VHOST_USER_TRANSPORT_H */
