/* SPDX-License-Identifier: MIT */
/*
 * The standard virtio-gpu personality: its own encodings (ATTACH_BACKING
 * with a list of entries, CREATE_BLOB, MAP_BLOB at a guest-chosen offset)
 * and its command table.  Everything arrives on the control queue.
 */
#include <linux/virtio_gpu.h>
#include <stdlib.h>

#include "gpu_commands.h"

#define CONTROL_QUEUE 0

/* Read `n` virtio_gpu_mem_entry records following a request of `fixed` bytes. */
static uint32_t entries_iov(struct gpu_device *dev, const struct gpu_call *call, uint32_t fixed,
			    uint32_t n, struct iovec **iov)
{
	const struct virtio_gpu_mem_entry *e = (const void *)(call->cmd + fixed);
	uint64_t *addrs;
	uint32_t *lens;
	uint32_t type;

	*iov = NULL;
	if (n > (call->len - fixed) / sizeof(*e))
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	if (n == 0)
		return VIRTIO_GPU_RESP_OK_NODATA;
	addrs = calloc(n, sizeof(*addrs));
	lens = calloc(n, sizeof(*lens));
	if (!addrs || !lens) {
		free(addrs);
		free(lens);
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	}
	for (uint32_t i = 0; i < n; i++) {
		addrs[i] = e[i].addr;
		lens[i] = e[i].length;
	}
	type = gpu_backing_iov(dev, addrs, lens, n, iov);
	free(addrs);
	free(lens);
	return type;
}

static uint32_t attach_backing(struct gpu_device *dev, struct gpu_call *call)
{
	const struct virtio_gpu_resource_attach_backing *c = (const void *)call->cmd;
	struct iovec *iov;
	uint32_t type;

	if (c->nr_entries == 0)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	type = entries_iov(dev, call, sizeof(*c), c->nr_entries, &iov);
	if (type != VIRTIO_GPU_RESP_OK_NODATA)
		return type;
	return gpu_attach_iov(c->resource_id, iov, c->nr_entries);
}

static bool has_feature(const struct gpu_device *dev, unsigned bit)
{
	return dev->features & (1ull << bit);
}

static uint32_t create_blob(struct gpu_device *dev, struct gpu_call *call)
{
	const struct virtio_gpu_resource_create_blob *c = (const void *)call->cmd;
	struct gpu_blob_args args = {
		.ctx_id = c->hdr.ctx_id,
		.res_id = c->resource_id,
		.blob_mem = c->blob_mem,
		.blob_flags = c->blob_flags,
		.blob_id = c->blob_id,
		.size = c->size,
		.niov = c->nr_entries,
	};
	uint32_t type;

	if (!has_feature(dev, VIRTIO_GPU_F_RESOURCE_BLOB))
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	type = entries_iov(dev, call, sizeof(*c), c->nr_entries, &args.iov);
	if (type != VIRTIO_GPU_RESP_OK_NODATA)
		return type;
	return gpu_blob_create(dev, &args);
}

static uint32_t map_blob(struct gpu_device *dev, struct gpu_call *call)
{
	const struct virtio_gpu_resource_map_blob *c = (const void *)call->cmd;
	struct virtio_gpu_resp_map_info *r = (void *)call->resp;
	uint64_t offset = c->offset, size;
	uint32_t map_info, type;

	if (!has_feature(dev, VIRTIO_GPU_F_RESOURCE_BLOB) || call->resp_cap < sizeof(*r))
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	type = gpu_blob_map(dev, c->resource_id, false, &offset, &map_info, &size);
	if (type != VIRTIO_GPU_RESP_OK_NODATA)
		return type;
	r->map_info = map_info;
	r->padding = 0;
	call->resp_len = sizeof(*r);
	return VIRTIO_GPU_RESP_OK_MAP_INFO;
}

#define CMD(t, s, f)                                                                               \
	{                                                                                          \
		VIRTIO_GPU_CMD_##t, sizeof(struct s), CONTROL_QUEUE, f                             \
	}
const struct gpu_cmd_desc gpu_standard_cmds[] = {
	CMD(GET_CAPSET_INFO, virtio_gpu_get_capset_info, gpu_cmd_get_capset_info),
	CMD(GET_CAPSET, virtio_gpu_get_capset, gpu_cmd_get_capset),
	CMD(CTX_CREATE, virtio_gpu_ctx_create, gpu_cmd_ctx_create),
	CMD(CTX_DESTROY, virtio_gpu_ctx_destroy, gpu_cmd_ctx_destroy),
	CMD(CTX_ATTACH_RESOURCE, virtio_gpu_ctx_resource, gpu_cmd_ctx_attach_resource),
	CMD(CTX_DETACH_RESOURCE, virtio_gpu_ctx_resource, gpu_cmd_ctx_detach_resource),
	CMD(RESOURCE_CREATE_2D, virtio_gpu_resource_create_2d, gpu_cmd_resource_create_2d),
	CMD(RESOURCE_CREATE_3D, virtio_gpu_resource_create_3d, gpu_cmd_resource_create_3d),
	CMD(RESOURCE_UNREF, virtio_gpu_resource_unref, gpu_cmd_resource_unref),
	CMD(RESOURCE_ATTACH_BACKING, virtio_gpu_resource_attach_backing, attach_backing),
	CMD(RESOURCE_DETACH_BACKING, virtio_gpu_resource_detach_backing, gpu_cmd_detach_backing),
	CMD(TRANSFER_TO_HOST_2D, virtio_gpu_transfer_to_host_2d, gpu_cmd_transfer_to_host_2d),
	CMD(TRANSFER_TO_HOST_3D, virtio_gpu_transfer_host_3d, gpu_cmd_transfer_to_host_3d),
	CMD(TRANSFER_FROM_HOST_3D, virtio_gpu_transfer_host_3d, gpu_cmd_transfer_from_host_3d),
	CMD(SUBMIT_3D, virtio_gpu_cmd_submit, gpu_cmd_submit_3d),
	CMD(RESOURCE_CREATE_BLOB, virtio_gpu_resource_create_blob, create_blob),
	CMD(RESOURCE_MAP_BLOB, virtio_gpu_resource_map_blob, map_blob),
	CMD(RESOURCE_UNMAP_BLOB, virtio_gpu_resource_unmap_blob, gpu_cmd_unmap_blob),
	{ 0 },
};
#undef CMD
