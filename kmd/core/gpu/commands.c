/* SPDX-License-Identifier: MIT */
#include "commands.h"

#include "../device.h"
#include "wire.h"

int vgpu_cmd_start(struct vgpu_device *dev, uint32_t type, uint32_t ctx_id, uint32_t cmd_len,
		   uint32_t resp_len, struct vgpu_request **out)
{
	struct wire_hdr *hdr;
	int ret = vgpu_req_alloc(dev, cmd_len, resp_len, out);

	if (ret != VGPU_OK)
		return ret;
	hdr = vgpu_req_cmd(*out);
	hdr->type = type;
	hdr->ctx_id = ctx_id;
	return VGPU_OK;
}

int vgpu_cmd_run_nodata(struct vgpu_device *dev, struct vgpu_request *req)
{
	int ret = vgpu_req_run(dev, req, WIRE_RESP_OK_NODATA);

	if (ret == VGPU_OK || ret == VGPU_E_DEVICE)
		vgpu_req_free(dev, req);
	return ret;
}

int vgpu_cmd_run_or_add(struct vgpu_device *dev, struct vgpu_request *req,
			struct vgpu_cmd_batch *batch)
{
	if (!batch)
		return vgpu_cmd_run_nodata(dev, req);
	if (batch->error == VGPU_OK && batch->n == VGPU_CMD_BATCH_MAX)
		batch->error = VGPU_E_INVALID;
	if (batch->error != VGPU_OK) {
		vgpu_req_free(dev, req);
		return batch->error;
	}
	batch->reqs[batch->n++] = req;
	return VGPU_OK;
}

int vgpu_cmd_batch_fail(struct vgpu_cmd_batch *batch, int ret)
{
	if (batch && batch->error == VGPU_OK)
		batch->error = ret;
	return ret;
}

int vgpu_cmd_batch_run(struct vgpu_device *dev, struct vgpu_cmd_batch *batch, int *statuses)
{
	uint32_t i;

	if (batch->error == VGPU_OK)
		return vgpu_req_run_all(dev, batch->reqs, batch->n, WIRE_RESP_OK_NODATA, statuses);
	for (i = 0; i < VGPU_CMD_BATCH_MAX; i++) {
		if (i < batch->n)
			vgpu_req_free(dev, batch->reqs[i]);
		statuses[i] = batch->error;
	}
	return batch->error;
}

int vgpu_cmd_get_capset_info(struct vgpu_device *dev, uint32_t index, struct vgpu_capset_info *info)
{
	struct vgpu_request *req;
	struct wire_get_capset_info *cmd;
	const struct wire_resp_capset_info *resp;
	int ret =
		vgpu_cmd_start(dev, WIRE_CMD_GET_CAPSET_INFO, 0, sizeof(*cmd), sizeof(*resp), &req);

	if (ret != VGPU_OK)
		return ret;
	cmd = vgpu_req_cmd(req);
	cmd->capset_index = index;
	ret = vgpu_req_run(dev, req, WIRE_RESP_OK_CAPSET_INFO);
	if (ret != VGPU_OK && ret != VGPU_E_DEVICE)
		return ret;
	resp = req->resp;
	if (ret == VGPU_OK && req->written < sizeof(*resp))
		ret = VGPU_E_DEVICE;
	if (ret == VGPU_OK) {
		info->id = resp->capset_id;
		info->max_version = resp->capset_max_version;
		info->max_size = resp->capset_max_size;
	}
	vgpu_req_free(dev, req);
	return ret;
}

int vgpu_cmd_get_capset(struct vgpu_device *dev, uint32_t id, uint32_t version, void *buf,
			uint32_t size)
{
	struct vgpu_request *req;
	struct wire_get_capset *cmd;
	uint32_t resp_len = (uint32_t)sizeof(struct wire_hdr) + size;
	int ret;

	if (size > VGPU_REQ_CHUNK_BYTES - sizeof(struct wire_hdr))
		return VGPU_E_UNSUPPORTED;
	ret = vgpu_cmd_start(dev, WIRE_CMD_GET_CAPSET, 0, sizeof(*cmd), resp_len, &req);
	if (ret != VGPU_OK)
		return ret;
	cmd = vgpu_req_cmd(req);
	cmd->capset_id = id;
	cmd->capset_version = version;
	ret = vgpu_req_run(dev, req, WIRE_RESP_OK_CAPSET);
	if (ret != VGPU_OK && ret != VGPU_E_DEVICE)
		return ret;
	/* A short answer would leave stale bytes in the capset: refuse it. */
	if (ret == VGPU_OK && req->written < resp_len)
		ret = VGPU_E_DEVICE;
	if (ret == VGPU_OK)
		vgpu_copy(buf, (const uint8_t *)req->resp + sizeof(struct wire_hdr), size);
	vgpu_req_free(dev, req);
	return ret;
}

int vgpu_cmd_ctx_create(struct vgpu_device *dev, uint32_t ctx_id, uint32_t context_init,
			const char *name, uint32_t name_len)
{
	struct vgpu_request *req;
	struct wire_ctx_create *cmd;
	int ret = vgpu_cmd_start(dev, WIRE_CMD_CTX_CREATE, ctx_id, sizeof(*cmd),
				 sizeof(struct wire_hdr), &req);

	if (ret != VGPU_OK)
		return ret;
	cmd = vgpu_req_cmd(req);
	if (name_len > sizeof(cmd->debug_name))
		name_len = sizeof(cmd->debug_name);
	vgpu_copy(cmd->debug_name, name, name_len);
	cmd->nlen = name_len;
	cmd->context_init = context_init;
	return vgpu_cmd_run_nodata(dev, req);
}

/* Header and, where the command has one (cmd_len says), the resource id; then run. */
static int run_release(struct vgpu_device *dev, struct vgpu_request *req, uint32_t type,
		       uint32_t ctx_id, uint32_t res_id)
{
	struct wire_ctx_resource *cmd = vgpu_req_cmd(req);

	cmd->hdr.type = type;
	cmd->hdr.ctx_id = ctx_id;
	if (req->cmd_len >= sizeof(*cmd))
		cmd->resource_id = res_id;
	return vgpu_cmd_run_nodata(dev, req);
}

/*
 * A command that makes the device let go of something the guest frees or
 * reuses (a resource, its place in a context, a blob's place in the
 * host-visible window, a context), run now.  When memory runs short it
 * goes out on the control queue's kept request rather than not at all.
 */
static int release_now(struct vgpu_device *dev, uint32_t type, uint32_t ctx_id, uint32_t res_id,
		       uint32_t cmd_len)
{
	struct vgpu_request *req;
	int ret = vgpu_req_alloc(dev, cmd_len, sizeof(struct wire_hdr), &req);

	if (ret == VGPU_OK)
		ret = run_release(dev, req, type, ctx_id, res_id);
	if (ret != VGPU_E_NO_MEMORY)
		return ret;
	/* Nothing went out. */
	ret = vgpu_req_take_kept(dev, cmd_len, sizeof(struct wire_hdr), &req);
	if (ret != VGPU_OK)
		return ret;
	return run_release(dev, req, type, ctx_id, res_id);
}

int vgpu_cmd_ctx_destroy(struct vgpu_device *dev, uint32_t ctx_id)
{
	return release_now(dev, WIRE_CMD_CTX_DESTROY, ctx_id, 0, sizeof(struct wire_hdr));
}

int vgpu_cmd_resource_create_3d(struct vgpu_device *dev, uint32_t res_id,
				const struct vgpu_resource_create *desc,
				struct vgpu_cmd_batch *batch)
{
	struct vgpu_request *req;
	struct wire_resource_create_3d *cmd;
	int ret = vgpu_cmd_start(dev, WIRE_CMD_RESOURCE_CREATE_3D, 0, sizeof(*cmd),
				 sizeof(struct wire_hdr), &req);

	if (ret != VGPU_OK)
		return vgpu_cmd_batch_fail(batch, ret);
	cmd = vgpu_req_cmd(req);
	cmd->resource_id = res_id;
	VGPU_CMD_SET_DESC(cmd, desc);
	return vgpu_cmd_run_or_add(dev, req, batch);
}

/* Commands that name one resource and nothing else. */
static int res_only(struct vgpu_device *dev, uint32_t type, uint32_t ctx_id, uint32_t res_id,
		    struct vgpu_cmd_batch *batch)
{
	struct vgpu_request *req;
	struct wire_ctx_resource *cmd; /* same layout as unref, detach_backing, unmap_blob */
	int ret = vgpu_cmd_start(dev, type, ctx_id, sizeof(*cmd), sizeof(struct wire_hdr), &req);

	if (ret != VGPU_OK)
		return vgpu_cmd_batch_fail(batch, ret);
	cmd = vgpu_req_cmd(req);
	cmd->resource_id = res_id;
	return vgpu_cmd_run_or_add(dev, req, batch);
}

int vgpu_cmd_resource_unref(struct vgpu_device *dev, uint32_t res_id, struct vgpu_cmd_batch *batch)
{
	if (!batch)
		return release_now(dev, WIRE_CMD_RESOURCE_UNREF, 0, res_id,
				   sizeof(struct wire_ctx_resource));
	return res_only(dev, WIRE_CMD_RESOURCE_UNREF, 0, res_id, batch);
}

int vgpu_cmd_ctx_attach_resource(struct vgpu_device *dev, uint32_t ctx_id, uint32_t res_id,
				 struct vgpu_cmd_batch *batch)
{
	return res_only(dev, WIRE_CMD_CTX_ATTACH_RESOURCE, ctx_id, res_id, batch);
}

int vgpu_cmd_ctx_detach_resource(struct vgpu_device *dev, uint32_t ctx_id, uint32_t res_id,
				 struct vgpu_cmd_batch *batch)
{
	if (!batch)
		return release_now(dev, WIRE_CMD_CTX_DETACH_RESOURCE, ctx_id, res_id,
				   sizeof(struct wire_ctx_resource));
	return res_only(dev, WIRE_CMD_CTX_DETACH_RESOURCE, ctx_id, res_id, batch);
}

int vgpu_cmd_unmap_blob(struct vgpu_device *dev, uint32_t res_id)
{
	return release_now(dev, WIRE_CMD_RESOURCE_UNMAP_BLOB, 0, res_id,
			   sizeof(struct wire_ctx_resource));
}

void vgpu_cmd_fill_create_blob(struct wire_resource_create_blob *cmd, uint32_t res_id,
			       const struct vgpu_resource_create_blob *blob)
{
	cmd->resource_id = res_id;
	cmd->blob_mem = WIRE_BLOB_MEM_HOST3D;
	cmd->blob_flags =
		(blob->blob_flags & VGPU_BLOB_FLAG_MAPPABLE) ? WIRE_BLOB_FLAG_USE_MAPPABLE : 0;
	cmd->nr_entries = 0;
	cmd->blob_id = blob->blob_id;
	cmd->size = blob->size;
}

int vgpu_cmd_resource_create_blob(struct vgpu_device *dev, uint32_t ctx_id, uint32_t res_id,
				  const struct vgpu_resource_create_blob *blob)
{
	struct vgpu_request *req;
	struct wire_resource_create_blob *cmd;
	int ret = vgpu_cmd_start(dev, WIRE_CMD_RESOURCE_CREATE_BLOB, ctx_id, sizeof(*cmd),
				 sizeof(struct wire_hdr), &req);

	if (ret != VGPU_OK)
		return ret;
	cmd = vgpu_req_cmd(req);
	vgpu_cmd_fill_create_blob(cmd, res_id, blob);
	return vgpu_cmd_run_nodata(dev, req);
}

int vgpu_cmd_map_blob(struct vgpu_device *dev, uint32_t res_id, uint64_t offset, void *answer,
		      uint32_t len, bool *refused)
{
	struct vgpu_request *req;
	struct wire_resource_map_blob *cmd;
	int ret = vgpu_cmd_start(dev, WIRE_CMD_RESOURCE_MAP_BLOB, 0, sizeof(*cmd), len, &req);

	*refused = false;
	if (ret != VGPU_OK)
		return ret;
	cmd = vgpu_req_cmd(req);
	cmd->resource_id = res_id;
	cmd->offset = offset;
	ret = vgpu_req_run(dev, req, WIRE_RESP_OK_MAP_INFO);
	if (ret != VGPU_OK && ret != VGPU_E_DEVICE)
		return ret;
	if (ret == VGPU_OK && req->written < len)
		ret = VGPU_E_DEVICE;
	if (ret == VGPU_OK)
		vgpu_copy(answer, req->resp, len);
	*refused = ret == VGPU_E_DEVICE && req->resp_type >= WIRE_RESP_ERR_UNSPEC;
	/* Host-visible memory full is NO_MEMORY, where the device places blobs too. */
	if (*refused && req->resp_type == WIRE_RESP_ERR_OUT_OF_MEMORY)
		ret = VGPU_E_NO_MEMORY;
	vgpu_req_free(dev, req);
	return ret;
}

/* The device's memory entries hold 32-bit lengths: split longer extents. */
#define MAX_ENTRY_BYTES 0x80000000u

static int append_entries(struct vgpu_device *dev, struct vgpu_request *req,
			  const struct vgpu_backing *backing, uint32_t *count)
{
	uint32_t i;

	*count = 0;
	for (i = 0; i < backing->nents; i++) {
		uint64_t pa = backing->ents[i].pa, left = backing->ents[i].len;

		while (left) {
			struct wire_mem_entry e = { .addr = pa };
			int ret;

			e.length = left > MAX_ENTRY_BYTES ? MAX_ENTRY_BYTES : (uint32_t)left;
			ret = vgpu_req_append(dev, req, &e, sizeof(e));
			if (ret != VGPU_OK)
				return ret;
			pa += e.length;
			left -= e.length;
			(*count)++;
		}
	}
	return VGPU_OK;
}

int vgpu_cmd_attach_backing(struct vgpu_device *dev, uint32_t res_id,
			    const struct vgpu_backing *backing, struct vgpu_cmd_batch *batch)
{
	struct vgpu_request *req;
	struct wire_attach_backing *cmd;
	uint32_t count;
	int ret = vgpu_cmd_start(dev, WIRE_CMD_RESOURCE_ATTACH_BACKING, 0, sizeof(*cmd),
				 sizeof(struct wire_hdr), &req);

	if (ret != VGPU_OK)
		return vgpu_cmd_batch_fail(batch, ret);
	ret = append_entries(dev, req, backing, &count);
	if (ret != VGPU_OK) {
		vgpu_req_free(dev, req);
		return vgpu_cmd_batch_fail(batch, ret);
	}
	cmd = vgpu_req_cmd(req);
	cmd->resource_id = res_id;
	cmd->nr_entries = count;
	return vgpu_cmd_run_or_add(dev, req, batch);
}

int vgpu_cmd_transfer_3d(struct vgpu_device *dev, uint32_t ctx_id, uint32_t res_id,
			 const struct vgpu_transfer *xfer, bool to_host,
			 const struct vgpu_fence_target *target)
{
	struct vgpu_request *req;
	struct wire_transfer_3d *cmd;
	uint32_t type = to_host ? WIRE_CMD_TRANSFER_TO_HOST_3D : WIRE_CMD_TRANSFER_FROM_HOST_3D;
	int ret = vgpu_cmd_start(dev, type, ctx_id, sizeof(*cmd), sizeof(struct wire_hdr), &req);

	if (ret != VGPU_OK)
		return ret;
	cmd = vgpu_req_cmd(req);
	cmd->box = (struct wire_box){ xfer->box.x, xfer->box.y, xfer->box.z,
				      xfer->box.w, xfer->box.h, xfer->box.d };
	cmd->offset = xfer->offset;
	cmd->resource_id = res_id;
	cmd->level = xfer->level;
	cmd->stride = xfer->stride;
	cmd->layer_stride = xfer->layer_stride;
	ret = vgpu_req_send_fenced(dev, req, target);
	if (ret != VGPU_OK)
		vgpu_req_free(dev, req);
	return ret;
}

int vgpu_cmd_submit_3d(struct vgpu_device *dev, uint32_t ctx_id, const void *cmds, uint32_t size,
		       const struct vgpu_fence_target *target)
{
	struct vgpu_request *req;
	struct wire_submit_3d *cmd;
	int ret = vgpu_cmd_start(dev, WIRE_CMD_SUBMIT_3D, ctx_id, sizeof(*cmd),
				 sizeof(struct wire_hdr), &req);

	if (ret != VGPU_OK)
		return ret;
	ret = vgpu_req_append(dev, req, cmds, size);
	if (ret == VGPU_OK) {
		cmd = vgpu_req_cmd(req);
		cmd->size = size;
		ret = vgpu_req_send_fenced(dev, req, target);
	}
	if (ret != VGPU_OK)
		vgpu_req_free(dev, req);
	return ret;
}
