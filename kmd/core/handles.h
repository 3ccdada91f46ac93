/* SPDX-License-Identifier: MIT */
/*
 * A file's handles: the names of its resources, private to it.  Callers
 * hold the file's lock.
 */
#ifndef VGPU_KMD_HANDLES_H
#define VGPU_KMD_HANDLES_H

#include "file.h"

/* Handles: low bits index the slot table, high bits its generation. */
#define VGPU_HANDLE_INDEX_BITS 20u
#define VGPU_MAX_HANDLES ((1u << VGPU_HANDLE_INDEX_BITS) - 1u)
/* A slot's last generation: once freed after it, the slot is never used again. */
#define VGPU_HANDLE_LAST_GEN ((1u << (32u - VGPU_HANDLE_INDEX_BITS)) - 1u)

struct vgpu_resource *vgpu_file_lookup(struct vgpu_file *file, uint32_t handle);
/* Give `res` a handle (sets res->handle). */
int vgpu_file_install(struct vgpu_file *file, struct vgpu_resource *res);
void vgpu_file_uninstall(struct vgpu_file *file, struct vgpu_resource *res);

#endif /* VGPU_KMD_HANDLES_H */
