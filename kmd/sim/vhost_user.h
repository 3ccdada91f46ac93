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

/* Front-end requests we send. */
enum vhost_user_request {
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_SET_VRING_ENABLE = 18,
	VHOST_USER_GET_CONFIG = 24,
	VHOST_USER_SET_CONFIG = 25,
	/* Not in the vhost-user specification: the device model's own (devmodel/README.md). */
	VHOST_USER_VGPU_GET_HOST_VISIBLE = 1000,
};

#define VHOST_USER_F_PROTOCOL_FEATURES 30
#define VHOST_USER_PROTOCOL_F_REPLY_ACK 3
#define VHOST_USER_PROTOCOL_F_CONFIG 9
/*
 * The device model's private protocol feature (not in the specification):
 * with it acked, VHOST_USER_VGPU_GET_HOST_VISIBLE answers the host-visible
 * memory region, struct vhost_user_vgpu_host_visible plus the region's
 * file descriptor (none when size is 0).
 */
#define VHOST_USER_PROTOCOL_F_VGPU_HOST_VISIBLE 63

struct vhost_user_vgpu_host_visible {
	uint64_t size;		/* bytes of the region (and of its file) */
	uint64_t gpa_base;	/* its guest-physical address as the device put it; 0: VMM's choice */
};

/* Most file descriptors one message may carry. */
#define VHOST_USER_MAX_FDS 8
#define VHOST_USER_MAX_REGIONS 8
#define VHOST_USER_MAX_CONFIG 256

struct vhost_user_vring_state {
	uint32_t index;
	uint32_t num;
};

struct vhost_user_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc_user_addr;
	uint64_t used_user_addr;
	uint64_t avail_user_addr;
	uint64_t log_guest_addr;
};

struct vhost_user_region {
	uint64_t guest_phys_addr;
	uint64_t size;
	uint64_t user_addr;
	uint64_t mmap_offset;
};

struct vhost_user_mem_table {
	uint32_t nregions;
	uint32_t padding;
	struct vhost_user_region regions[VHOST_USER_MAX_REGIONS];
};

struct vhost_user_config {
	uint32_t offset;
	uint32_t size;
	uint32_t flags;
	uint8_t data[VHOST_USER_MAX_CONFIG];
};

struct vhost_user {
	int fd;
	int timeout_ms;
	bool reply_ack;	/* REPLY_ACK negotiated: confirm every request */
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
int vhost_user_query_fds(struct vhost_user *vu, uint32_t request, void *reply,
			 uint32_t reply_size, int *fds, unsigned max_fds, unsigned *nfds);

/* Shorthands for the common payload shapes. */
int vhost_user_get_u64(struct vhost_user *vu, uint32_t request, uint64_t *value);
int vhost_user_set_u64(struct vhost_user *vu, uint32_t request, uint64_t value);
int vhost_user_set_state(struct vhost_user *vu, uint32_t request, uint32_t index, uint32_t num);

/* Acknowledge every later request (REPLY_ACK was negotiated). */
void vhost_user_enable_reply_ack(struct vhost_user *vu);
bool vhost_user_is_broken(struct vhost_user *vu);

#endif /* VGPU_SIM_VHOST_USER_H */
