/* SPDX-License-Identifier: MIT */
#include "personality.h"

#include "device.h"
#include "gpu/wire.h"

/* Mvisor virtio-vgpu configuration space (packed, little-endian). */
#define MVISOR_CFG_STAGING 0
#define MVISOR_CFG_NUM_QUEUES 1
#define MVISOR_CFG_NUM_CAPSETS 2
#define MVISOR_CFG_CAPABILITIES 14 /* virtio-gpu feature bit numbers */
#define MVISOR_CFG_BYTES 22
#define MVISOR_COMMAND_QUEUE 0
#define MVISOR_CONTROL_QUEUE 1
/*
 * Where Mvisor's device places blobs when the transport does not say: its
 * VMM hands out guest-physical addresses from 256 GiB up; the core accepts
 * the next 256 GiB.
 */
#define MVISOR_DEFAULT_WINDOW_PA (256ull << 30)
#define MVISOR_DEFAULT_WINDOW_BYTES (256ull << 30)

static bool is_mvisor(const struct vgpu_device *dev)
{
	return dev->personality == VGPU_PERSONALITY_MVISOR;
}

void vgpu_personality_features(const struct vgpu_device *dev, uint64_t *required,
			       uint64_t *optional)
{
	*optional = (1ull << VGPU_VIRTIO_F_INDIRECT_DESC) | (1ull << VGPU_VIRTIO_F_EVENT_IDX);
	*required = 1ull << VGPU_VIRTIO_F_VERSION_1;
	if (is_mvisor(dev)) {
		*optional |= 1ull << VIRTIO_GPU_FEAT_VIRGL; /* virgl is all it does */
	} else {
		*required |= 1ull << VIRTIO_GPU_FEAT_VIRGL;
		*optional |= (1ull << VIRTIO_GPU_FEAT_RESOURCE_BLOB) |
			     (1ull << VIRTIO_GPU_FEAT_CONTEXT_INIT);
	}
}

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64_at(const uint8_t *p)
{
	return (uint64_t)le32_at(p) | (uint64_t)le32_at(p + 4) << 32;
}

/*
 * The host-visible region as the transport (the VMM) placed it; false if
 * there is none.  Blobs are mapped in whole pages: a region that is not
 * page-aligned, or wraps around, is not used.
 */
static bool host_visible_region(struct vgpu_device *dev, uint64_t *pa, uint64_t *size)
{
	const struct vgpu_transport *t = dev->transport;
	uint64_t end;

	if (!t->ops->shm_region ||
	    t->ops->shm_region(t->priv, VGPU_SHM_ID_HOST_VISIBLE, pa, size) != VGPU_OK)
		return false;
	*size -= *size % VGPU_PAGE_SIZE;
	if (*pa % VGPU_PAGE_SIZE || !*size || !vgpu_add_u64(*pa, *size, &end)) {
		vgpu_dev_log(dev, VGPU_LOG_WARN, "ignoring malformed host-visible region", *pa,
			     *size);
		return false;
	}
	return true;
}

static void read_mvisor_config(struct vgpu_device *dev, struct vgpu_dev_config *cfg)
{
	const struct vgpu_transport *t = dev->transport;
	uint8_t raw[MVISOR_CFG_BYTES];

	t->ops->config_read(t->priv, 0, raw, sizeof(raw));
	cfg->staging = raw[MVISOR_CFG_STAGING] != 0;
	cfg->num_capsets = le32_at(raw + MVISOR_CFG_NUM_CAPSETS);
	/* It needs both its queues, whatever it claims. */
	cfg->num_queues = 2;
	cfg->blob = (le64_at(raw + MVISOR_CFG_CAPABILITIES) >> VIRTIO_GPU_FEAT_RESOURCE_BLOB) & 1u;
	if (cfg->blob && !host_visible_region(dev, &cfg->hv_pa, &cfg->hv_size)) {
		cfg->hv_pa = MVISOR_DEFAULT_WINDOW_PA;
		cfg->hv_size = MVISOR_DEFAULT_WINDOW_BYTES;
	}
}

static void read_standard_config(struct vgpu_device *dev, struct vgpu_dev_config *cfg)
{
	const struct vgpu_transport *t = dev->transport;
	struct wire_config config;

	t->ops->config_read(t->priv, 0, &config, sizeof(config));
	cfg->num_capsets = config.num_capsets;
	cfg->num_scanouts = config.num_scanouts;
	/* Queue 1 is the cursor queue: vgpu draws no cursor. */
	cfg->num_queues = 1;
	cfg->blob = (dev->features >> VIRTIO_GPU_FEAT_RESOURCE_BLOB) & 1u;
	if (cfg->blob && !host_visible_region(dev, &cfg->hv_pa, &cfg->hv_size))
		cfg->hv_pa = cfg->hv_size = 0;
}

void vgpu_personality_read_config(struct vgpu_device *dev, struct vgpu_dev_config *cfg)
{
	vgpu_zero(cfg, sizeof(*cfg));
	if (is_mvisor(dev))
		read_mvisor_config(dev, cfg);
	else
		read_standard_config(dev, cfg);
}

uint16_t vgpu_personality_queue(const struct vgpu_device *dev, uint32_t cmd_type)
{
	if (!is_mvisor(dev))
		return 0;
	switch (cmd_type) {
	case WIRE_CMD_GET_CAPSET_INFO:
	case WIRE_CMD_GET_CAPSET:
	case WIRE_CMD_CTX_CREATE:
	case WIRE_CMD_CTX_DESTROY:
		return MVISOR_CONTROL_QUEUE;
	default:
		return MVISOR_COMMAND_QUEUE;
	}
}

bool vgpu_personality_contiguous_backing(const struct vgpu_device *dev)
{
	return is_mvisor(dev);
}

bool vgpu_personality_blob_desc(const struct vgpu_device *dev)
{
	return is_mvisor(dev);
}

bool vgpu_personality_device_places_blobs(const struct vgpu_device *dev)
{
	return is_mvisor(dev);
}
