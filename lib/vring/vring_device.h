/* SPDX-License-Identifier: MIT */
/*
 * The device side of a split virtqueue (virtio 1.x, section 2.7), for the
 * test device model (vgpu-devmodel) and the core's in-process fake device:
 * it reads what a driver made available, walks direct and indirect
 * descriptor chains with every index and length checked, and publishes used
 * entries.  It trusts nothing in the rings: a malformed chain is reported as
 * an error code, never followed.  Not thread-safe: one owner per queue.
 */
#ifndef VGPU_LIB_VRING_DEVICE_H
#define VGPU_LIB_VRING_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest chain (direct or inside one indirect table) a request may have. */
#define VRING_DEV_MAX_SEGS 256u

/*
 * Translate `len` bytes of guest-physical memory at `pa` into a pointer, or
 * NULL when the range is not memory the driver gave the device.
 */
typedef void *(*vring_dev_map_fn)(void *ctx, uint64_t pa, uint64_t len);

enum vring_dev_status {
	VRING_DEV_EMPTY = 0,           /* nothing available */
	VRING_DEV_REQUEST = 1,         /* *req holds a request */
	VRING_DEV_E_AVAIL_IDX = -1,    /* avail idx ran more than size ahead */
	VRING_DEV_E_HEAD = -2,         /* head index outside the table */
	VRING_DEV_E_NEXT = -3,         /* next index outside the table */
	VRING_DEV_E_LOOP = -4,         /* chain longer than the table: a loop */
	VRING_DEV_E_ADDR = -5,         /* buffer or table outside driver memory */
	VRING_DEV_E_INDIRECT = -6,     /* indirect not negotiated, nested or chained */
	VRING_DEV_E_INDIRECT_LEN = -7, /* indirect table size not a whole number */
	VRING_DEV_E_ORDER = -8,        /* device-readable buffer after a writable one */
	VRING_DEV_E_TOO_LONG = -9,     /* more than VRING_DEV_MAX_SEGS buffers */
	VRING_DEV_E_EMPTY_BUF = -10,   /* zero-length buffer */
};

struct vring_dev_seg {
	void *va;
	uint32_t len;
	bool device_writes;
};

struct vring_dev_req {
	uint16_t head; /* valid for a request and for errors after the head was read */
	bool head_valid;
	unsigned nsegs;
	uint64_t readable; /* total bytes of device-readable buffers */
	uint64_t writable; /* total bytes of device-writable buffers */
	struct vring_dev_seg segs[VRING_DEV_MAX_SEGS];
};

struct vring_dev {
	uint16_t size;
	bool indirect;
	bool event_idx;
	struct vring_dev_desc *desc;
	struct vring_dev_avail *avail;
	struct vring_dev_used *used;
	uint16_t last_avail; /* next avail entry to read */
	uint16_t used_idx;   /* our shadow of used->idx */
	uint16_t signalled;  /* used_idx when the driver was last interrupted */
	vring_dev_map_fn map;
	void *map_ctx;
};

/*
 * Attach to rings the driver laid out.  Returns 0, or VRING_DEV_E_ADDR when
 * a ring lies outside driver memory or is misaligned, VRING_DEV_E_HEAD when
 * size is not a power of two in 1..32768.
 */
int vring_dev_init(struct vring_dev *vr, uint16_t size, uint64_t desc_pa, uint64_t avail_pa,
		   uint64_t used_pa, bool indirect, bool event_idx, vring_dev_map_fn map,
		   void *map_ctx);

/* Take the next available request.  Returns enum vring_dev_status. */
int vring_dev_pop(struct vring_dev *vr, struct vring_dev_req *req);

/* Publish one used entry (id and bytes written are the caller's choice). */
void vring_dev_push(struct vring_dev *vr, uint32_t id, uint32_t written);

/*
 * After pushes: does the driver want an interrupt for them (used_event with
 * EVENT_IDX, the NO_INTERRUPT flag otherwise)?  Records the decision point.
 */
bool vring_dev_should_interrupt(struct vring_dev *vr);

/* Is `head` made available by the driver but not popped yet? */
bool vring_dev_head_queued(const struct vring_dev *vr, uint32_t head);

/* Gather up to `len` device-readable bytes of a request; returns bytes copied. */
size_t vring_dev_read(const struct vring_dev_req *req, void *dst, size_t len);

/* Scatter `len` bytes into the device-writable buffers; returns bytes copied. */
size_t vring_dev_write(const struct vring_dev_req *req, const void *src, size_t len);

#endif /* VGPU_LIB_VRING_DEVICE_H */
