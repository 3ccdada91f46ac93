/* SPDX-License-Identifier: MIT */
#include "personality.h"

#include "device.h"
#include "gpu/commands.h"
#include "gpu/wire.h"

/* Mvisor virtio-vgpu configuration space (packed, little-endian). */
#define MVISOR_CFG_STAGING 0
#define MVISOR_CFG_NUM_QUEUES 1
#define MVISOR_CFG_NUM_CAPSETS 2
#define MVISOR_CFG_BYTES 22
#define MVISOR_COMMAND_QUEUE 0
#define MVISOR_CONTROL_QUEUE 1

/* Mvisor's ATTACH_BACKING: one range, packed. */
struct mvisor_attach_backing {
	struct wire_hdr hdr;
	uint32_t resource_id;
	uint32_t nr_entries;
	uint64_t gpa;
	uint32_t size;
} __attribute__((packed));
_Static_assert(sizeof(struct mvisor_attach_backing) == 44, "Mvisor layout");

static bool is_mvisor(const struct vgpu_device *dev)
{
	return dev->personality == VGPU_PERSONALITY_MVISOR;
}

void vgpu_personality_features(const struct vgpu_device *dev, uint64_t *required,
			       uint64_t *optional)
{
	*optional = (1ull << VGPU_VIRTIO_F_INDIRECT_DESC) | (1ull << VGPU_VIRTIO_F_EVENT_IDX);
	*required = 1ull << VGPU_VIRTIO_F_VERSION_1;
	if (is_mvisor(dev))
		*optional |= 1ull << VIRTIO_GPU_FEAT_VIRGL; /* virgl is all it does */
	else
		*required |= 1ull << VIRTIO_GPU_FEAT_VIRGL;
}

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void vgpu_personality_read_config(struct vgpu_device *dev, struct vgpu_dev_config *cfg)
{
	const struct vgpu_transport *t = dev->transport;

	vgpu_zero(cfg, sizeof(*cfg));
	if (is_mvisor(dev)) {
		uint8_t raw[MVISOR_CFG_BYTES];

		t->ops->config_read(t->priv, 0, raw, sizeof(raw));
		cfg->staging = raw[MVISOR_CFG_STAGING] != 0;
		cfg->num_capsets = le32_at(raw + MVISOR_CFG_NUM_CAPSETS);
		/* It needs both its queues, whatever it claims. */
		cfg->num_queues = 2;
	} else {
		struct wire_config config;

		t->ops->config_read(t->priv, 0, &config, sizeof(config));
		cfg->num_capsets = config.num_capsets;
		cfg->num_scanouts = config.num_scanouts;
		/* Queue 1 is the cursor queue: vgpu draws no cursor. */
		cfg->num_queues = 1;
	}
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

int vgpu_personality_attach_backing(struct vgpu_device *dev, uint32_t res_id,
				    const struct vgpu_backing *backing)
{
	struct vgpu_request *req;
	struct mvisor_attach_backing *cmd;
	int ret;

	if (!is_mvisor(dev))
		return vgpu_cmd_attach_backing(dev, res_id, backing);
	if (backing->nents != 1 || backing->ents[0].len > 0xffffffffu)
		return VGPU_E_INVALID;
	ret = vgpu_cmd_start(dev, WIRE_CMD_RESOURCE_ATTACH_BACKING, 0, sizeof(*cmd),
			     sizeof(struct wire_hdr), &req);
	if (ret != VGPU_OK)
		return ret;
	cmd = vgpu_req_cmd(req);
	cmd->resource_id = res_id;
	cmd->nr_entries = 1;
	cmd->gpa = backing->ents[0].pa;
	cmd->size = (uint32_t)backing->ents[0].len;
	return vgpu_cmd_run_nodata(dev, req);
}
