/* SPDX-License-Identifier: MIT */
/*
 * Device bring-up and tear-down, the interrupt entry, and the device-wide
 * state (ids, capsets, orphaned memory).
 */
#include "device.h"

#include "file.h"
#include "gpu/commands.h"
#include "gpu/wire.h"
#include "personality.h"
#include "vgpu_core.h"

struct vgpu_orphan {
	struct vgpu_list node;
	struct vgpu_backing *backing;
};

static bool os_is_complete(const struct vgpu_os *os)
{
	return os && os->alloc && os->free && os->dma_alloc && os->dma_free && os->backing_alloc &&
	       os->backing_free && os->lock_create && os->lock_destroy && os->lock && os->unlock &&
	       os->event_create && os->event_destroy && os->event_signal && os->event_wait &&
	       os->now_ns;
}

static int negotiate(struct vgpu_device *dev)
{
	const struct vgpu_transport *t = dev->transport;
	uint64_t offered = t->ops->device_features(t->priv);
	uint64_t required, optional;

	vgpu_personality_features(dev, &required, &optional);
	if ((offered & required) != required) {
		vgpu_dev_log(dev, VGPU_LOG_ERROR, "device lacks required features", offered,
			     required);
		return VGPU_E_UNSUPPORTED;
	}
	dev->features = required | (offered & optional);
	return t->ops->set_features(t->priv, dev->features);
}

static bool has_feature(const struct vgpu_device *dev, unsigned bit)
{
	return (dev->features >> bit) & 1u;
}

static int read_capset_infos(struct vgpu_device *dev, uint32_t announced)
{
	uint32_t i;

	for (i = 0; i < announced && dev->num_capsets < VGPU_MAX_CAPSETS; i++) {
		struct vgpu_capset_info info;
		int ret = vgpu_cmd_get_capset_info(dev, i, &info);

		if (ret != VGPU_OK)
			return ret;
		/* Ids index GET_INFO.capset_mask; sizes bound what GET_CAPSET will copy. */
		if (info.id == 0 || info.id >= 32 || info.max_size == 0 ||
		    info.max_size > VGPU_MAX_CAPSET_BYTES || vgpu_dev_find_capset(dev, info.id)) {
			vgpu_dev_log(dev, VGPU_LOG_WARN, "ignoring malformed capset", info.id,
				     info.max_size);
			continue;
		}
		dev->capsets[dev->num_capsets++] = (struct vgpu_capset){
			.id = info.id, .max_version = info.max_version, .max_size = info.max_size };
	}
	return VGPU_OK;
}

static int bring_up(struct vgpu_device *dev)
{
	const struct vgpu_transport *t = dev->transport;
	struct vgpu_dev_config config;
	int ret;

	dev->lost = false;
	ret = t->ops->begin(t->priv);
	if (ret == VGPU_OK)
		ret = negotiate(dev);
	if (ret != VGPU_OK)
		return ret;

	vgpu_personality_read_config(dev, &config);
	dev->num_scanouts = config.num_scanouts;
	dev->staging = config.staging;
	dev->blob = config.blob;
	/* Without a way to map device memory into processes, blobs cannot be mapped. */
	if (config.hv_size && dev->os->map_device_user)
		vgpu_hv_init(&dev->hv, config.hv_pa, config.hv_size);
	ret = vgpu_ctrlq_init(dev, config.num_queues,
			      has_feature(dev, VGPU_VIRTIO_F_INDIRECT_DESC),
			      has_feature(dev, VGPU_VIRTIO_F_EVENT_IDX));
	if (ret != VGPU_OK)
		return ret;
	ret = t->ops->driver_ok(t->priv);
	if (ret != VGPU_OK)
		return ret;
	return read_capset_infos(dev, config.num_capsets);
}

static void free_device(struct vgpu_device *dev)
{
	const struct vgpu_os *os = dev->os;
	struct vgpu_list *pos, *tmp;
	uint32_t i;

	vgpu_ctrlq_fini(dev);
	vgpu_hv_fini(dev, &dev->hv);
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
	os->free(os->ctx, dev);
}

int vgpu_device_create(const struct vgpu_os *os, const struct vgpu_transport *transport,
		       enum vgpu_personality personality, struct vgpu_device **out)
{
	struct vgpu_device *dev;

	if (!os_is_complete(os) || !transport || !transport->ops)
		return VGPU_E_INVALID;
	if (personality != VGPU_PERSONALITY_STANDARD && personality != VGPU_PERSONALITY_MVISOR)
		return VGPU_E_INVALID;
	/* Mvisor's device takes each backing as one range. */
	if (personality == VGPU_PERSONALITY_MVISOR && !os->backing_alloc_contig)
		return VGPU_E_UNSUPPORTED;
	dev = os->alloc(os->ctx, sizeof(*dev));
	if (!dev)
		return VGPU_E_NO_MEMORY;
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
	vgpu_hv_init(&dev->hv, 0, 0);
	vgpu_list_init(&dev->ctrlq.slots.free);
	vgpu_list_init(&dev->ctrlq.chunks.free);
	dev->lock = os->lock_create(os->ctx);
	if (!dev->lock) {
		os->free(os->ctx, dev);
		return VGPU_E_NO_MEMORY;
	}
	*out = dev;
	return VGPU_OK;
}

int vgpu_device_start(struct vgpu_device *dev)
{
	const struct vgpu_transport *t = dev->transport;
	int ret = bring_up(dev);

	if (ret != VGPU_OK) {
		vgpu_dev_log(dev, VGPU_LOG_ERROR, "device bring-up failed", (uint64_t)-ret, 0);
		t->ops->fail(t->priv);
		t->ops->reset(t->priv);
		vgpu_ctrlq_fini(dev);
		dev->num_capsets = 0;
		dev->lost = true;
	}
	return ret;
}

void vgpu_device_destroy(struct vgpu_device *dev)
{
	const struct vgpu_transport *t = dev->transport;

	while (!vgpu_list_empty(&dev->files))
		vgpu_file_close(vgpu_list_first(&dev->files, struct vgpu_file, node));
	/* After the reset the device touches no guest memory: everything may go. */
	t->ops->reset(t->priv);
	free_device(dev);
}

void vgpu_device_set_command_timeout(struct vgpu_device *dev, uint64_t timeout_ns)
{
	dev->command_timeout_ns = timeout_ns;
}

void vgpu_device_interrupt(struct vgpu_device *dev)
{
	vgpu_dev_lock(dev);
	vgpu_ctrlq_process(dev);
	vgpu_dev_unlock(dev);
}

void vgpu_device_mark_lost(struct vgpu_device *dev)
{
	vgpu_dev_lock(dev);
	if (!dev->lost) {
		dev->lost = true;
		vgpu_dev_log(dev, VGPU_LOG_ERROR, "device lost", 0, 0);
	}
	vgpu_ctrlq_fail_all(dev);
	vgpu_dev_unlock(dev);
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

void vgpu_dev_orphan_backing(struct vgpu_device *dev, struct vgpu_backing *backing)
{
	struct vgpu_orphan *o = vgpu_dev_alloc(dev, sizeof(*o));

	vgpu_dev_log(dev, VGPU_LOG_WARN, "keeping memory the device may still use", backing->size,
		     0);
	if (!o)
		return; /* leaked for good: still better than the device writing freed memory */
	o->backing = backing;
	vgpu_dev_lock(dev);
	vgpu_list_add_tail(&dev->orphans, &o->node);
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
