/* SPDX-License-Identifier: MIT */
/* A small unordered table: processes map few resources at once, and each lookup is a scan. */
#include "views.h"

#include <stdlib.h>

#include "vgpu/vgpu_abi.h"

static size_t views_index(const struct vgpu_views *views, uint32_t handle)
{
	size_t i;

	for (i = 0; i < views->count; i++)
		if (views->items[i].handle == handle)
			break;
	return i;
}

bool vgpu_views_find(const struct vgpu_views *views, uint32_t handle, struct vgpu_view *out)
{
	size_t i = views_index(views, handle);

	if (i == views->count)
		return false;
	*out = views->items[i];
	return true;
}

int vgpu_views_add(struct vgpu_views *views, const struct vgpu_view *view)
{
	if (views->count == views->cap) {
		size_t cap = views->cap ? views->cap * 2 : 16;
		struct vgpu_view *items = realloc(views->items, cap * sizeof(*items));

		if (!items)
			return VGPU_E_NO_MEMORY;
		views->items = items;
		views->cap = cap;
	}
	views->items[views->count++] = *view;
	return VGPU_OK;
}

bool vgpu_views_remove(struct vgpu_views *views, uint32_t handle, struct vgpu_view *out)
{
	size_t i = views_index(views, handle);

	if (i == views->count)
		return false;
	*out = views->items[i];
	views->items[i] = views->items[--views->count];
	return true;
}

bool vgpu_views_pop(struct vgpu_views *views, struct vgpu_view *out)
{
	if (!views->count)
		return false;
	*out = views->items[--views->count];
	return true;
}

void vgpu_views_fini(struct vgpu_views *views)
{
	free(views->items);
	views->items = NULL;
	views->count = 0;
	views->cap = 0;
}
