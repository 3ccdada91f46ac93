/* SPDX-License-Identifier: MIT */
/*
 * Resources: a device object, its memory (guest backing, or for a blob
 * the host's, mapped through host-visible memory), its attachment to the
 * owner's context and its optional user mapping, created and released as
 * one unit.  Callers hold the owning file's lock and have validated the
 * arguments (dispatch.c).
 */
#ifndef VGPU_KMD_RESOURCE_H
#define VGPU_KMD_RESOURCE_H

#include "file.h"

/* Backing bytes of the files of `file`'s owner (its own if it has none).  Caller holds dev->lock. */
uint64_t vgpu_res_owner_pinned(const struct vgpu_file *file);

int vgpu_res_create(struct vgpu_file *file, const struct vgpu_resource_create *desc,
		    struct vgpu_resource **out);
/* A HOST3D blob: no guest backing. */
int vgpu_res_create_blob(struct vgpu_file *file, const struct vgpu_resource_create_blob *blob,
			 struct vgpu_resource **out);
/*
 * Release everything of `res`: waits (bounded) until the device is done
 * with it; if it never is, its memory is kept until the device is reset.
 */
void vgpu_res_destroy(struct vgpu_file *file, struct vgpu_resource *res);

static inline bool vgpu_res_is_blob(const struct vgpu_resource *res)
{
	return !res->backing;
}

/* The bytes a user mapping of the resource spans. */
static inline uint64_t vgpu_res_size(const struct vgpu_resource *res)
{
	return res->backing ? res->backing->size : res->desc.size;
}

int vgpu_res_map(struct vgpu_file *file, struct vgpu_resource *res);
void vgpu_res_unmap(struct vgpu_file *file, struct vgpu_resource *res);

#endif /* VGPU_KMD_RESOURCE_H */
