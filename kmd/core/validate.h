/* SPDX-License-Identifier: MIT */
/*
 * Pure checks of user-supplied descriptions: no state, no side effects,
 * all arithmetic overflow-checked.  The dispatcher calls them before it
 * acts.
 */
#ifndef VGPU_KMD_VALIDATE_H
#define VGPU_KMD_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>

#include "vgpu/vgpu_abi.h"

/* Gallium's texture targets, as virgl numbers them. */
enum vgpu_target {
	VGPU_TARGET_BUFFER = 0,
	VGPU_TARGET_1D = 1,
	VGPU_TARGET_2D = 2,
	VGPU_TARGET_3D = 3,
	VGPU_TARGET_CUBE = 4,
	VGPU_TARGET_RECT = 5,
	VGPU_TARGET_1D_ARRAY = 6,
	VGPU_TARGET_2D_ARRAY = 7,
	VGPU_TARGET_CUBE_ARRAY = 8,
	VGPU_TARGET_COUNT = 9,
};

#define VGPU_MAX_ARRAY_LAYERS 2048u
#define VGPU_MAX_SAMPLES 32u

/* Length of a NUL-terminated name in a fixed field; `cap` if it has no NUL. */
uint32_t vgpu_name_length(const char *name, uint32_t cap);

/* Is this a resource the device could create, with a sane backing size? */
bool vgpu_resource_desc_valid(const struct vgpu_resource_create *desc);

/*
 * Is this a HOST3D blob the device could create: known blob_mem and flags,
 * a virgl object id below 2^32, a page-multiple size within the resource
 * limit, and a description valid as for RESOURCE_CREATE whose size,
 * handle and res_id are 0?
 */
bool vgpu_blob_desc_valid(const struct vgpu_resource_create_blob *blob);

/* Does the transfer stay inside the level and inside the backing? */
bool vgpu_transfer_valid(const struct vgpu_resource_create *desc, uint64_t backing_size,
			 const struct vgpu_transfer *t);

#endif /* VGPU_KMD_VALIDATE_H */
