/* SPDX-License-Identifier: MIT */
/*
 * The vhost-user protocol's numbers and payloads (QEMU docs/interop,
 * "Vhost-user Protocol"), as both ends here speak them: vgpu-sim's
 * front-end and vgpu-devmodel's back-end.
 */
#ifndef VGPU_LIB_VHOST_USER_WIRE_H
#define VGPU_LIB_VHOST_USER_WIRE_H

#include <stdint.h>

/* Front-end requests (and the device model's own one). */
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
	uint64_t size;     /* bytes of the region (and of its file) */
	uint64_t gpa_base; /* its guest-physical address as the device put it; 0: VMM's choice */
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

#endif /* VGPU_LIB_VHOST_USER_WIRE_H */
