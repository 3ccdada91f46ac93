/* SPDX-License-Identifier: MIT */
/*
 * The services every other file of the core stands on (see device.h):
 * the device's own state, fresh ids, orphaned backings, capset lookup.
 * Calls nothing but the OS table.
 */
#include "device.h"

struct vgpu_orphan {
	struct vgpu_list node;
	struct vgpu_backing *backing;
};

int vgpu_dev_init(struct vgpu_device *dev, const struct vgpu_os *os,
		  const struct vgpu_transport *transport, enum vgpu_personality personality)
{
	dev->os = os;
	dev->transport = transport;
	dev->personality = personality;
	dev->command_timeout_ns = VGPU_DEFAULT_COMMAND_TIMEOUT_NS;
	dev->next_ctx_id = 1;
	dev->next_res_id = 1;
	dev->lost = true; /* not live until started */
	vgpu_list_init(&dev->files);
	vgpu_list_init(&dev->waiters);
	vgpu_list_init(&dev->orphans);
	dev->lock = os->lock_create(os->ctx);
	return dev->lock ? VGPU_OK : VGPU_E_NO_MEMORY;
}

void vgpu_dev_fini(struct vgpu_device *dev)
{
	const struct vgpu_os *os = dev->os;
	struct vgpu_list *pos, *tmp;
	uint32_t i;

	vgpu_list_for_each_safe(pos, tmp, &dev->orphans)
	{
		struct vgpu_orphan *o = vgpu_container_of(pos, struct vgpu_orphan, node);

		vgpu_list_del(&o->node);
		os->backing_free(os->ctx, o->backing);
		vgpu_dev_free(dev, o);
	}
	for (i = 0; i < dev->num_capsets; i++)
		vgpu_dev_free(dev, dev->capsets[i].cached);
	os->lock_destroy(os->ctx, dev->lock);
}

/* Ids stay below 2^31 and skip 0; after a wrap, old ones are long gone. */
static uint32_t next_id(struct vgpu_device *dev, uint32_t *counter)
{
	uint32_t id;

	vgpu_dev_lock(dev);
	id = (*counter)++;
	if (*counter >= 0x80000000u)
		*counter = 1;
	vgpu_dev_unlock(dev);
	return id;
}

uint32_t vgpu_dev_new_ctx_id(struct vgpu_device *dev)
{
	return next_id(dev, &dev->next_ctx_id);
}

uint32_t vgpu_dev_new_res_id(struct vgpu_device *dev)
{
	return next_id(dev, &dev->next_res_id);
}

struct vgpu_orphan *vgpu_dev_orphan_alloc(struct vgpu_device *dev)
{
	return vgpu_dev_alloc(dev, sizeof(struct vgpu_orphan));
}

void vgpu_dev_orphan_backing(struct vgpu_device *dev, struct vgpu_orphan *orphan,
			     struct vgpu_backing *backing)
{
	vgpu_dev_log(dev, VGPU_LOG_WARN, "keeping memory the device may still use", backing->size,
		     0);
	orphan->backing = backing;
	vgpu_dev_lock(dev);
	vgpu_list_add_tail(&dev->orphans, &orphan->node);
	vgpu_dev_unlock(dev);
}

struct vgpu_capset *vgpu_dev_find_capset(struct vgpu_device *dev, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < dev->num_capsets; i++)
		if (dev->capsets[i].id == id)
			return &dev->capsets[i];
	return NULL;
}
