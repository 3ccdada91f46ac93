/* SPDX-License-Identifier: MIT */
#include "handles.h"

#include "device.h"

static uint32_t handle_index(uint32_t handle)
{
	return (handle & VGPU_MAX_HANDLES) - 1u;
}

struct vgpu_resource *vgpu_file_lookup(struct vgpu_file *file, uint32_t handle)
{
	uint32_t index = handle_index(handle);
	const struct vgpu_handle_slot *slot;

	if ((handle & VGPU_MAX_HANDLES) == 0 || index >= file->nslots)
		return NULL;
	slot = &file->slots[index];
	if (!slot->res || slot->gen != (handle >> VGPU_HANDLE_INDEX_BITS))
		return NULL;
	return slot->res;
}

static int grow_slots(struct vgpu_file *file)
{
	struct vgpu_device *dev = file->dev;
	uint32_t n = file->nslots ? file->nslots * 2 : 64;
	struct vgpu_handle_slot *slots;

	if (file->nslots >= VGPU_MAX_HANDLES)
		return VGPU_E_NO_MEMORY;
	if (n > VGPU_MAX_HANDLES)
		n = VGPU_MAX_HANDLES;
	slots = vgpu_dev_alloc(dev, (size_t)n * sizeof(*slots));
	if (!slots)
		return VGPU_E_NO_MEMORY;
	if (file->slots)
		vgpu_copy(slots, file->slots, (size_t)file->nslots * sizeof(*slots));
	vgpu_dev_free(dev, file->slots);
	file->slots = slots;
	file->nslots = n;
	return VGPU_OK;
}

/*
 * Generations count up from 1 and never wrap: a slot that has used its
 * last one retires, so that no stale handle ever names a newer object.
 */
static bool slot_free(const struct vgpu_handle_slot *slot)
{
	return !slot->res && slot->gen < VGPU_HANDLE_LAST_GEN;
}

int vgpu_file_install(struct vgpu_file *file, struct vgpu_resource *res)
{
	uint32_t i;
	int ret;

	if (file->nresources + file->nretired == file->nslots) {
		ret = grow_slots(file);
		if (ret != VGPU_OK)
			return ret;
	}
	for (i = 0; i < file->nslots; i++) {
		struct vgpu_handle_slot *slot = &file->slots[i];

		if (!slot_free(slot))
			continue;
		slot->gen++;
		slot->res = res;
		res->handle = ((uint32_t)slot->gen << VGPU_HANDLE_INDEX_BITS) | (i + 1u);
		file->nresources++;
		return VGPU_OK;
	}
	return VGPU_E_NO_MEMORY;
}

void vgpu_file_uninstall(struct vgpu_file *file, struct vgpu_resource *res)
{
	struct vgpu_handle_slot *slot = &file->slots[handle_index(res->handle)];

	slot->res = NULL;
	file->nresources--;
	if (slot->gen == VGPU_HANDLE_LAST_GEN)
		file->nretired++;
}
