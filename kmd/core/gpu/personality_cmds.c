/* SPDX-License-Identifier: MIT */
/*
 * The commands each personality encodes its own way (see personality.h
 * for what Mvisor's device expects): ATTACH_BACKING, CREATE_BLOB and
 * MAP_BLOB.  Standard devices get the plain commands of commands.c.
 */
#include "personality_cmds.h"

#include "../device.h"
#include "../personality.h"
#include "commands.h"
#include "wire.h"

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

int vgpu_personality_attach_backing(struct vgpu_device *dev, uint32_t res_id,
				    const struct vgpu_backing *backing,
				    struct vgpu_cmd_batch *batch)
{
	struct vgpu_request *req;
	struct mvisor_attach_backing *cmd;
	int ret;

	if (!vgpu_personality_contiguous_backing(dev))
		return vgpu_cmd_attach_backing(dev, res_id, backing, batch);
	ret = backing->nents != 1 || backing->ents[0].len > 0xffffffffu
		      ? VGPU_E_INVALID
		      : vgpu_cmd_start(dev, WIRE_CMD_RESOURCE_ATTACH_BACKING, 0, sizeof(*cmd),
				       sizeof(struct wire_hdr), &req);
	if (ret != VGPU_OK)
		return vgpu_cmd_batch_fail(batch, ret);
	cmd = vgpu_req_cmd(req);
	cmd->resource_id = res_id;
	cmd->nr_entries = 1;
	cmd->gpa = backing->ents[0].pa;
	cmd->size = (uint32_t)backing->ents[0].len;
	return vgpu_cmd_run_or_add(dev, req, batch);
}

static int mvisor_create_blob(struct vgpu_device *dev, uint32_t ctx_id, uint32_t res_id,
			      const struct vgpu_resource_create_blob *blob)
{
	struct vgpu_request *req;
	struct mvisor_create_blob *cmd;
	int ret = vgpu_cmd_start(dev, WIRE_CMD_RESOURCE_CREATE_BLOB, ctx_id, sizeof(*cmd),
				 sizeof(struct wire_hdr), &req);

	if (ret != VGPU_OK)
		return ret;
	cmd = vgpu_req_cmd(req);
	vgpu_cmd_fill_create_blob(&cmd->blob, res_id, blob);
	VGPU_CMD_SET_DESC(cmd, &blob->desc);
	if (blob->blob_flags & VGPU_BLOB_FLAG_MAPPABLE)
		cmd->flags |= VIRGL_RESOURCE_FLAG_MAP_PERSISTENT | VIRGL_RESOURCE_FLAG_MAP_COHERENT;
	return vgpu_cmd_run_nodata(dev, req);
}

int vgpu_personality_create_blob(struct vgpu_device *dev, uint32_t ctx_id, uint32_t res_id,
				 const struct vgpu_resource_create_blob *blob)
{
	if (vgpu_personality_blob_desc(dev))
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
	if (!vgpu_personality_device_places_blobs(dev)) {
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
