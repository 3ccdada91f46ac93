/* SPDX-License-Identifier: MIT */
/*
 * The mappings libvgpu has made in this process, by resource handle: so
 * that a second MAP returns the first view, and UNMAP, DESTROY and close
 * can drop the views a channel made.  Not locked: the owner locks.
 */
#ifndef LIBVGPU_VIEWS_H
#define LIBVGPU_VIEWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vgpu_view {
	uint32_t handle;
	void *address;
	uint64_t size;
};

struct vgpu_views {
	struct vgpu_view *items;
	size_t count;
	size_t cap;
};

bool vgpu_views_find(const struct vgpu_views *views, uint32_t handle, struct vgpu_view *out);
/* Returns VGPU_OK or VGPU_E_NO_MEMORY. */
int vgpu_views_add(struct vgpu_views *views, const struct vgpu_view *view);
bool vgpu_views_remove(struct vgpu_views *views, uint32_t handle, struct vgpu_view *out);
/* Takes the last view out, to empty the table at close. */
bool vgpu_views_pop(struct vgpu_views *views, struct vgpu_view *out);
void vgpu_views_fini(struct vgpu_views *views);

#endif /* LIBVGPU_VIEWS_H */
