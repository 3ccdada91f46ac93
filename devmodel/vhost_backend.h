/* SPDX-License-Identifier: MIT */
/*
 * The back-end side of the vhost-user protocol (QEMU docs/interop,
 * "Vhost-user Protocol") for the test device model: the session messages a
 * front-end such as vgpu-sim sends (features, protocol features, config,
 * memory table, vrings), each checked, and the rings it hands over.  The
 * device itself (virtio-gpu) plugs in through struct vhost_backend_ops.
 *
 * One private addition, offered only as protocol feature bit
 * VHOST_USER_PROTOCOL_F_VGPU_HOST_VISIBLE: request
 * VHOST_USER_VGPU_GET_HOST_VISIBLE answers the host-visible memory region
 * (struct vhost_user_vgpu_host_visible, with the region's file descriptor
 * in SCM_RIGHTS), which a VMM would map into guest-physical space.  Its
 * numbers and payload are shared with the front-end (vhost_user_wire.h).
 */
#ifndef VGPU_DEVMODEL_VHOST_BACKEND_H
#define VGPU_DEVMODEL_VHOST_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "guest_map.h"
#include "vhost_user_wire.h"
#include "vring_device.h"

#define VHOST_BACKEND_NUM_QUEUES 2
#define VHOST_BACKEND_MAX_QUEUE 1024

struct vhost_backend_ops {
	/* virtio device features offered (the protocol-features bit is added). */
	uint64_t (*features)(void *dev);
	void (*set_features)(void *dev, uint64_t features);
	/* Fill `buf` with the config space; returns its size (<= cap). */
	uint32_t (*config)(void *dev, uint8_t *buf, uint32_t cap);
	/* The host-visible region's fd and layout; false when there is none. */
	bool (*host_visible)(void *dev, int *fd, struct vhost_user_vgpu_host_visible *hv);
	/* Queue `index` has (possibly) new requests; rings via vhost_backend_ring(). */
	void (*kicked)(void *dev, unsigned index);
	/* Queue `index` stops: forget everything queued on it. */
	void (*stopped)(void *dev, unsigned index);
};

struct vb_queue {
	uint16_t num;
	uint16_t base;
	uint64_t desc_ua, avail_ua, used_ua;
	int kick_fd;
	int call_fd;
	bool enabled;
	bool started;
	struct vring_dev ring;
};

struct vhost_backend {
	int sock;
	uint64_t features;          /* acked virtio features */
	uint64_t protocol_features; /* acked protocol features */
	struct guest_map mem;
	struct vb_queue queues[VHOST_BACKEND_NUM_QUEUES];
	const struct vhost_backend_ops *ops;
	void *dev;
	bool verbose;
};

void vhost_backend_init(struct vhost_backend *vb, int sock, const struct vhost_backend_ops *ops,
			void *dev, bool verbose);
void vhost_backend_fini(struct vhost_backend *vb);

/*
 * Read and answer one message.  Returns 0, or -EPIPE when the front-end is
 * gone or broke the protocol (the session is over: a vhost-user stream
 * cannot be resynchronised).
 */
int vhost_backend_handle(struct vhost_backend *vb);

/* A started queue's ring, or NULL. */
struct vring_dev *vhost_backend_ring(struct vhost_backend *vb, unsigned index);

/* Read a queue's kick eventfd empty (call when poll says it is readable). */
void vhost_backend_drain_kick(struct vhost_backend *vb, unsigned index);

/* After used entries were pushed: interrupt the driver if it wants one. */
void vhost_backend_notify(struct vhost_backend *vb, unsigned index);

/* Translate guest-physical memory (descriptor buffers, backing pages). */
void *vhost_backend_gpa(void *vb, uint64_t gpa, uint64_t len);

#endif /* VGPU_DEVMODEL_VHOST_BACKEND_H */
