/* SPDX-License-Identifier: MIT */
/*
 * The device's host-visible memory (virtio-gpu shared memory region 1, or
 * Mvisor's window of device-chosen addresses): which page ranges blobs
 * occupy.  Standard devices map a blob where the guest says, so the core
 * picks the range (first fit); Mvisor's device picks it and the core
 * checks and records it.  Ranges are offsets from the region's start.
 *
 * A range the device may still be using (it never answered UNMAP_BLOB) is
 * kept reserved until the device is reset: never handed out again while
 * the host might write it.  All calls take dev->lock themselves.
 */
#ifndef VGPU_KMD_HOST_VISIBLE_H
#define VGPU_KMD_HOST_VISIBLE_H

#include <stdint.h>

#include "util.h"

struct vgpu_device;

struct vgpu_hv_range {
	struct vgpu_list node; /* in vgpu_host_visible.used, by offset */
	uint64_t offset;
	uint64_t size;
	uint32_t res_id; /* the blob MAP_BLOB put there, 0 while not yet known */
	bool given_back; /* vgpu_device_give_back_blobs sent its UNMAP_BLOB */
};

struct vgpu_host_visible {
	uint64_t pa; /* guest-physical start; size 0: the device has none usable */
	uint64_t size;
	struct vgpu_list used;
};

void vgpu_hv_init(struct vgpu_host_visible *hv, uint64_t pa, uint64_t size);
/* After the device is reset: forget every range, reserved ones too. */
void vgpu_hv_fini(struct vgpu_device *dev, struct vgpu_host_visible *hv);

/* The lowest free range of `size` bytes (a page multiple).  NO_MEMORY if none. */
int vgpu_hv_alloc(struct vgpu_device *dev, struct vgpu_host_visible *hv, uint64_t size,
		  struct vgpu_hv_range **out);
/*
 * Record `size` bytes at guest-physical `pa` as used: INVALID unless pa is
 * page-aligned and the range lies inside the region without touching any
 * used or reserved range; NO_MEMORY.
 */
int vgpu_hv_claim(struct vgpu_device *dev, struct vgpu_host_visible *hv, uint64_t pa, uint64_t size,
		  struct vgpu_hv_range **out);
/* The device no longer uses the range: it may be handed out again. */
void vgpu_hv_free(struct vgpu_device *dev, struct vgpu_hv_range *range);
/* The device may still use the range: keep it out of use until the reset. */
void vgpu_hv_reserve(struct vgpu_device *dev, const struct vgpu_hv_range *range);

#endif /* VGPU_KMD_HOST_VISIBLE_H */
