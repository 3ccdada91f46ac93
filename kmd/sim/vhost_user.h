/* SPDX-License-Identifier: MIT */
/*
 * The front-end side of the vhost-user protocol (QEMU docs/interop,
 * "Vhost-user Protocol") over a connected stream socket: framing, file
 * descriptors in SCM_RIGHTS, replies and REPLY_ACK, with bounded waits.
 * Any protocol violation, timeout or hangup breaks the connection for good:
 * a reply that arrives late must never be taken for the next one.
 */
#ifndef VGPU_SIM_VHOST_USER_H
#define VGPU_SIM_VHOST_USER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vhost_user_wire.h"

struct vhost_user {
	int fd;
	int timeout_ms;
	bool reply_ack; /* REPLY_ACK negotiated: confirm every request */
	bool broken;
	pthread_mutex_t lock;
};

/* Take over nothing: `fd` stays the caller's.  timeout_ms bounds each reply. */
void vhost_user_init(struct vhost_user *vu, int fd, int timeout_ms);
void vhost_user_fini(struct vhost_user *vu);

/*
 * Send one request with `size` bytes of payload and `nfds` descriptors.
 * With `reply` non-NULL, wait for the reply and require exactly
 * `reply_size` bytes of payload; otherwise, when REPLY_ACK is on, wait for
 * the acknowledgement and fail if it reports an error.
 * Returns 0, -ETIMEDOUT, -EPIPE (backend gone or connection broken),
 * -EPROTO (malformed reply or refused request) or -EINVAL (bad arguments).
 */
int vhost_user_call(struct vhost_user *vu, uint32_t request, const void *payload, uint32_t size,
		    const int *fds, unsigned nfds, void *reply, uint32_t reply_size);

/*
 * A request without payload whose reply (exactly `reply_size` bytes)
 * carries descriptors: up to `max_fds` of them go to `fds` and their count
 * to *nfds (the caller closes them); any more are closed.  On failure no
 * descriptor is kept.  Errors as vhost_user_call.
 */
int vhost_user_query_fds(struct vhost_user *vu, uint32_t request, void *reply, uint32_t reply_size,
			 int *fds, unsigned max_fds, unsigned *nfds);

/* Shorthands for the common payload shapes. */
int vhost_user_get_u64(struct vhost_user *vu, uint32_t request, uint64_t *value);
int vhost_user_set_u64(struct vhost_user *vu, uint32_t request, uint64_t value);
int vhost_user_set_state(struct vhost_user *vu, uint32_t request, uint32_t index, uint32_t num);

/* Acknowledge every later request (REPLY_ACK was negotiated). */
void vhost_user_enable_reply_ack(struct vhost_user *vu);
bool vhost_user_is_broken(struct vhost_user *vu);

#endif /* VGPU_SIM_VHOST_USER_H */
