/* SPDX-License-Identifier: MIT */
/*
 * The top of the device: bring-up and tear-down, and the shell's entries
 * into a live device (interrupts, loss).  Calls only downwards; see
 * README.md for the layers.
 */
#include "device.h"

#include "file.h"
#include "gpu/commands.h"
#include "gpu/wire.h"
#include "personality.h"
#include "vgpu_core.h"

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

/*
 * Capset ids are below 32, so no device has more entries worth asking
 * for; the announced count alone (up to 2^32 - 1) would let a device whose
 * entries are all malformed keep start issuing commands for hours.
 */
#define MAX_CAPSET_QUERIES 32u

static int read_capset_infos(struct vgpu_device *dev, uint32_t announced)
{
	uint32_t i;

	for (i = 0; i < announced && i < MAX_CAPSET_QUERIES && dev->num_capsets < VGPU_MAX_CAPSETS;
	     i++) {
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
			.id = info.id, .max_version = info.max_version, .max_size = info.max_size
		};
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
	ret = vgpu_ctrlq_start(dev, config.num_queues,
			       has_feature(dev, VGPU_VIRTIO_F_INDIRECT_DESC),
			       has_feature(dev, VGPU_VIRTIO_F_EVENT_IDX));
	if (ret != VGPU_OK)
		return ret;
	ret = t->ops->driver_ok(t->priv);
	if (ret != VGPU_OK)
		return ret;
	return read_capset_infos(dev, config.num_capsets);
}

/* The OS timer's callback; static, so that its address needs no GOT (kmd/core is freestanding). */
static void nudge_tick(void *dev)
{
	vgpu_ctrlq_nudge_tick(dev);
}

static void free_device(struct vgpu_device *dev)
{
	const struct vgpu_os *os = dev->os;

	/* First: the timer's last call may still be nudging the queues. */
	if (dev->nudge_timer)
		os->timer_destroy(os->ctx, dev->nudge_timer);
	vgpu_ctrlq_fini(dev);
	vgpu_hv_fini(dev, &dev->hv);
	vgpu_dev_fini(dev);
	os->free(os->ctx, dev);
}

int vgpu_device_create(const struct vgpu_os *os, const struct vgpu_transport *transport,
		       enum vgpu_personality personality, struct vgpu_device **out)
{
	struct vgpu_device *dev;
	int ret;

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
	ret = vgpu_dev_init(dev, os, transport, personality);
	if (ret != VGPU_OK) {
		os->free(os->ctx, dev);
		return ret;
	}
	vgpu_hv_init(&dev->hv, 0, 0);
	vgpu_ctrlq_init(dev);
	/* Without it (none offered, or none to be had) the waiters nudge themselves. */
	if (os->timer_create && os->timer_destroy && os->timer_start && os->timer_stop)
		dev->nudge_timer = os->timer_create(os->ctx, nudge_tick, dev);
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
	if (!dev->detached)
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

void vgpu_device_set_pin_limits(struct vgpu_device *dev, uint64_t device_bytes,
				uint64_t owner_bytes)
{
	vgpu_dev_lock(dev);
	dev->pin_limit_device = device_bytes;
	dev->pin_limit_owner = owner_bytes;
	vgpu_dev_unlock(dev);
}

void vgpu_device_detach(struct vgpu_device *dev)
{
	vgpu_device_mark_lost(dev);
	vgpu_dev_lock(dev);
	dev->detached = true;
	vgpu_dev_unlock(dev);
}
