/* SPDX-License-Identifier: MIT */
#include "personality.h"

#include "device.h"
#include "gpu/commands.h"
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
/*
 * virgl's resource flags for an object the host maps (virglrenderer maps
 * only objects created with both).  A standard caller sets them in its own
 * PIPE_RESOURCE_CREATE; Mvisor's device creates the object from our
 * description, so the core sets them for every mappable blob.
 */
#define VIRGL_RESOURCE_FLAG_MAP_PERSISTENT (1u << 1)
#define VIRGL_RESOURCE_FLAG_MAP_COHERENT (1u << 2)

/* Mvisor's ATTACH_BACKING: one range, packed. */
struct mvisor_attach_backing {
	struct wire_hdr hdr;
	uint32_t resource_id;
	uint32_t nr_entries;
	uint64_t gpa;
	uint32_t size;
} __attribute__((packed));
_Static_assert(sizeof(struct mvisor_attach_backing) == 44, "Mvisor layout");

/* Mvisor's CREATE_BLOB: the standard fields, then the gallium description. */
struct mvisor_create_blob {
	struct wire_resource_create_blob blob;
	uint32_t format;
	uint32_t bind;
	uint32_t target;
	uint32_t width;
	uint32_t height;
	uint32_t depth;
	uint32_t array_size;
	uint32_t last_level;
	uint32_t nr_samples;
	uint32_t flags;
};
_Static_assert(sizeof(struct mvisor_create_blob) == 96, "Mvisor layout");

/* Mvisor's OK_MAP_INFO: where the device placed the blob, packed. */
struct mvisor_resp_map_info {
	struct wire_hdr hdr;
	uint32_t map_info;
	uint64_t gpa;
	uint64_t size;
	uint32_t pad;
} __attribute__((packed));
_Static_assert(sizeof(struct mvisor_resp_map_info) == 48, "Mvisor layout");

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

bool vgpu_personality_blob_desc(const struct vgpu_device *dev)
{
	return is_mvisor(dev);
}

bool vgpu_personality_device_places_blobs(const struct vgpu_device *dev)
{
	return is_mvisor(dev);
}

static int mvisor_create_blob(struct vgpu_device *dev, uint32_t ctx_id, uint32_t res_id,
			      const struct vgpu_resource_create_blob *blob)
{
	const struct vgpu_resource_create *d = &blob->desc;
	struct vgpu_request *req;
	struct mvisor_create_blob *cmd;
	int ret = vgpu_cmd_start(dev, WIRE_CMD_RESOURCE_CREATE_BLOB, ctx_id, sizeof(*cmd),
				 sizeof(struct wire_hdr), &req);

	if (ret != VGPU_OK)
		return ret;
	cmd = vgpu_req_cmd(req);
	vgpu_cmd_fill_create_blob(&cmd->blob, res_id, blob);
	cmd->format = d->format;
	cmd->bind = d->bind;
	cmd->target = d->target;
	cmd->width = d->width;
	cmd->height = d->height;
	cmd->depth = d->depth;
	cmd->array_size = d->array_size;
	cmd->last_level = d->last_level;
	/* As in RESOURCE_CREATE_3D: gallium's 1 sample is virgl's 0. */
	cmd->nr_samples = d->nr_samples > 1 ? d->nr_samples : 0;
	cmd->flags = d->flags;
	if (blob->blob_flags & VGPU_BLOB_FLAG_MAPPABLE)
		cmd->flags |= VIRGL_RESOURCE_FLAG_MAP_PERSISTENT | VIRGL_RESOURCE_FLAG_MAP_COHERENT;
	return vgpu_cmd_run_nodata(dev, req);
}

int vgpu_personality_create_blob(struct vgpu_device *dev, uint32_t ctx_id, uint32_t res_id,
				 const struct vgpu_resource_create_blob *blob)
{
	if (is_mvisor(dev))
		return mvisor_create_blob(dev, ctx_id, res_id, blob);
	return vgpu_cmd_resource_create_blob(dev, ctx_id, res_id, blob);
}

int vgpu_personality_map_blob(struct vgpu_device *dev, uint32_t res_id, uint64_t offset,
			      struct vgpu_blob_map *out)
{
	struct mvisor_resp_map_info mvisor;
	struct wire_resp_map_info standard;
	int ret;

	vgpu_zero(out, sizeof(*out));
	if (!is_mvisor(dev)) {
		ret = vgpu_cmd_map_blob(dev, res_id, offset, &standard, sizeof(standard),
					&out->refused);
		if (ret == VGPU_OK)
			out->map_info = standard.map_info;
		return ret;
	}
	/* The device places the blob: the offset means nothing to it. */
	ret = vgpu_cmd_map_blob(dev, res_id, 0, &mvisor, sizeof(mvisor), &out->refused);
	if (ret == VGPU_OK) {
		out->map_info = mvisor.map_info;
		out->gpa = mvisor.gpa;
		out->size = mvisor.size;
	}
	return ret;
}
