/* SPDX-License-Identifier: MIT */
/*
 * Resources: a device object, its guest backing, its attachment to the
 * owner's context and its optional user mapping, created and released as
 * one unit.  Callers hold the owning file's lock and have validated the
 * arguments (dispatch.c).
 */
#ifndef VGPU_KMD_RESOURCE_H
#define VGPU_KMD_RESOURCE_H

#include "file.h"

int vgpu_res_create(struct vgpu_file *file, const struct vgpu_resource_create *desc,
		    struct vgpu_resource **out);
/*
 * Release everything of `res`: waits (bounded) until the device is done
 * with it; if it never is, its memory is kept until the device is reset.
 */
void vgpu_res_destroy(struct vgpu_file *file, struct vgpu_resource *res);

int vgpu_res_map(struct vgpu_file *file, struct vgpu_resource *res);
void vgpu_res_unmap(struct vgpu_file *file, struct vgpu_resource *res);

#endif /* VGPU_KMD_RESOURCE_H */
