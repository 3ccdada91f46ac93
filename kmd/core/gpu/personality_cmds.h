/* SPDX-License-Identifier: MIT */
/*
 * The commands whose encoding differs between the personalities (see
 * personality.h): each picks the device's encoding, runs the command and
 * checks the answer's shape.
 */
#ifndef VGPU_KMD_GPU_PERSONALITY_CMDS_H
#define VGPU_KMD_GPU_PERSONALITY_CMDS_H

#include <stdbool.h>
#include <stdint.h>

#include "vgpu/vgpu_abi.h"

struct vgpu_device;
struct vgpu_backing;

/* What the device answered to MAP_BLOB (unchecked). */
struct vgpu_blob_map {
	uint32_t map_info;
	uint64_t gpa;  /* Mvisor: where the device placed the blob */
	uint64_t size; /* Mvisor: how many bytes it placed there */
	bool refused;  /* the device answered an error: it mapped nothing */
};

struct vgpu_cmd_batch;
/* ATTACH_BACKING in the device's encoding, run now (batch NULL) or joining the batch. */
int vgpu_personality_attach_backing(struct vgpu_device *dev, uint32_t res_id,
				    const struct vgpu_backing *backing,
				    struct vgpu_cmd_batch *batch);

/* CREATE_BLOB of a HOST3D blob (validated by the caller) in the device's encoding. */
int vgpu_personality_create_blob(struct vgpu_device *dev, uint32_t ctx_id, uint32_t res_id,
				 const struct vgpu_resource_create_blob *blob);
/*
 * MAP_BLOB at `offset` of the host-visible memory (ignored where the device
 * places blobs).  VGPU_E_DEVICE when the answer is an error or malformed
 * (out->refused says which), VGPU_E_NO_MEMORY when the device is out of
 * memory (refused too); out is filled on VGPU_OK only.
 */
int vgpu_personality_map_blob(struct vgpu_device *dev, uint32_t res_id, uint64_t offset,
			      struct vgpu_blob_map *out);

#endif /* VGPU_KMD_GPU_PERSONALITY_CMDS_H */
