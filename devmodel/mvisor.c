/* SPDX-License-Identifier: MIT */
/*
 * The Mvisor virtio-vgpu personality (README, "The Mvisor personality"):
 * its packed config space, its queue split (control: capsets and context
 * create/destroy; commands: the rest), single-range ATTACH_BACKING,
 * CREATE_BLOB carrying the pipe-resource fields (the device creates the
 * virgl object itself) and MAP_BLOB answering a device-chosen address.
 * Commands real Mvisor does not handle are answered ERR_UNSPEC here (real
 * Mvisor aborts the whole VMM on them).
 */
#include <linux/virtio_gpu.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_commands.h"

#define COMMAND_QUEUE 0
#define CONTROL_QUEUE 1
#define MVISOR_NUM_QUEUES 2

/* virgl's PIPE_RESOURCE_CREATE context command: 11 dwords after the header. */
#define VIRGL_CCMD_PIPE_RESOURCE_CREATE 48u
#define PIPE_RESOURCE_CREATE_DWORDS 11u

struct mvisor_config {
	uint8_t staging;
	uint8_t num_queues;
	uint32_t num_capsets;
	uint64_t memory_size;
	uint64_t capabilities;
} __attribute__((packed));
_Static_assert(sizeof(struct mvisor_config) == 22, "Mvisor config layout");

struct mvisor_attach_backing {
	struct virtio_gpu_ctrl_hdr hdr;
	uint32_t resource_id;
	uint32_t nr_entries;
	uint64_t gpa;
	uint32_t size;
} __attribute__((packed));
_Static_assert(sizeof(struct mvisor_attach_backing) == 44, "Mvisor ATTACH_BACKING layout");

/* The standard CREATE_BLOB, then the pipe resource, then nr_entries mem entries. */
struct mvisor_create_blob {
	struct virtio_gpu_resource_create_blob blob;
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
_Static_assert(sizeof(struct mvisor_create_blob) == 96, "Mvisor CREATE_BLOB layout");

struct mvisor_resp_map_info {
	struct virtio_gpu_ctrl_hdr hdr;
	uint32_t map_info;
	uint64_t gpa;
	uint64_t size;
	uint32_t pad;
} __attribute__((packed));
_Static_assert(sizeof(struct mvisor_resp_map_info) == 48, "Mvisor MAP_BLOB answer layout");

uint32_t gpu_mvisor_config(const struct gpu_device *dev, uint8_t *buf, uint32_t cap)
{
	struct mvisor_config c = {
		.staging = dev->opts.staging,
		.num_queues = MVISOR_NUM_QUEUES,
		.num_capsets = gpu_num_capsets(),
		.memory_size = dev->opts.mvisor_memory_size,
		.capabilities = 1ull << VIRTIO_GPU_F_VIRGL,
	};

	if (dev->hv.fd >= 0)
		c.capabilities |= 1ull << VIRTIO_GPU_F_RESOURCE_BLOB;
	if (cap < sizeof(c))
		return 0;
	memcpy(buf, &c, sizeof(c));
	return sizeof(c);
}

static uint32_t attach_backing(struct gpu_device *dev, struct gpu_call *call)
{
	const struct mvisor_attach_backing *c = (const void *)call->cmd;
	uint64_t gpa = c->gpa;
	uint32_t size = c->size;
	struct iovec *iov;
	uint32_t type;

	if (c->nr_entries != 1)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	type = gpu_backing_iov(dev, &gpa, &size, 1, &iov);
	if (type != VIRTIO_GPU_RESP_OK_NODATA)
		return type;
	return gpu_attach_iov(c->resource_id, iov, 1);
}

/* What the guest would have submitted itself on a standard device. */
static uint32_t create_pipe_resource(const struct mvisor_create_blob *c)
{
	uint32_t cmd[1 + PIPE_RESOURCE_CREATE_DWORDS] = {
		VIRGL_CCMD_PIPE_RESOURCE_CREATE | PIPE_RESOURCE_CREATE_DWORDS << 16,
		c->target,
		c->format,
		c->bind,
		c->width,
		c->height,
		c->depth,
		c->array_size,
		c->last_level,
		c->nr_samples,
		c->flags,
		(uint32_t)c->blob.blob_id,
	};

	if (!c->blob.hdr.ctx_id || !c->blob.blob_id || c->blob.blob_id > UINT32_MAX)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	return gpu_submit_stream(c->blob.hdr.ctx_id, cmd, sizeof(cmd) / 4);
}

static uint32_t create_blob(struct gpu_device *dev, struct gpu_call *call)
{
	const struct mvisor_create_blob *c = (const void *)call->cmd;
	const struct virtio_gpu_mem_entry *e = (const void *)(c + 1);
	struct gpu_blob_args args = {
		.ctx_id = c->blob.hdr.ctx_id,
		.res_id = c->blob.resource_id,
		.blob_mem = c->blob.blob_mem,
		.blob_flags = c->blob.blob_flags,
		.blob_id = c->blob.blob_id,
		.size = c->blob.size,
	};
	uint32_t type;

	if (c->blob.blob_mem == VIRTIO_GPU_BLOB_MEM_HOST3D) {
		type = create_pipe_resource(c);
		if (type != VIRTIO_GPU_RESP_OK_NODATA)
			return type;
	} else if (c->blob.nr_entries == 1 && call->len >= sizeof(*c) + sizeof(*e)) {
		/* Guest memory: like ATTACH_BACKING, one contiguous range. */
		uint64_t gpa = e->addr;
		uint32_t len = e->length;

		type = gpu_backing_iov(dev, &gpa, &len, 1, &args.iov);
		if (type != VIRTIO_GPU_RESP_OK_NODATA)
			return type;
		args.niov = 1;
	} else {
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	}
	return gpu_blob_create(dev, &args);
}

static uint32_t map_blob(struct gpu_device *dev, struct gpu_call *call)
{
	const struct virtio_gpu_resource_map_blob *c = (const void *)call->cmd;
	struct mvisor_resp_map_info *r = (void *)call->resp;
	uint64_t offset, size;
	uint32_t map_info, type;

	if (call->resp_cap < sizeof(*r))
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	type = gpu_blob_map(dev, c->resource_id, true, &offset, &map_info, &size);
	if (type != VIRTIO_GPU_RESP_OK_NODATA)
		return type;
	r->map_info = map_info;
	r->gpa = dev->hv.gpa_base + offset;
	r->size = size;
	r->pad = 0;
	call->resp_len = sizeof(*r);
	return VIRTIO_GPU_RESP_OK_MAP_INFO;
}

#define CMD(t, s, q, f)                                                                            \
	{                                                                                          \
		VIRTIO_GPU_CMD_##t, sizeof(struct s), q, f                                         \
	}
const struct gpu_cmd_desc gpu_mvisor_cmds[] = {
	CMD(GET_CAPSET_INFO, virtio_gpu_get_capset_info, CONTROL_QUEUE, gpu_cmd_get_capset_info),
	CMD(GET_CAPSET, virtio_gpu_get_capset, CONTROL_QUEUE, gpu_cmd_get_capset),
	CMD(CTX_CREATE, virtio_gpu_ctx_create, CONTROL_QUEUE, gpu_cmd_ctx_create),
	CMD(CTX_DESTROY, virtio_gpu_ctx_destroy, CONTROL_QUEUE, gpu_cmd_ctx_destroy),
	CMD(RESOURCE_CREATE_2D, virtio_gpu_resource_create_2d, COMMAND_QUEUE,
	    gpu_cmd_resource_create_2d),
	CMD(RESOURCE_CREATE_3D, virtio_gpu_resource_create_3d, COMMAND_QUEUE,
	    gpu_cmd_resource_create_3d),
	CMD(RESOURCE_ATTACH_BACKING, mvisor_attach_backing, COMMAND_QUEUE, attach_backing),
	CMD(RESOURCE_DETACH_BACKING, virtio_gpu_resource_detach_backing, COMMAND_QUEUE,
	    gpu_cmd_detach_backing),
	CMD(CTX_ATTACH_RESOURCE, virtio_gpu_ctx_resource, COMMAND_QUEUE,
	    gpu_cmd_ctx_attach_resource),
	CMD(CTX_DETACH_RESOURCE, virtio_gpu_ctx_resource, COMMAND_QUEUE,
	    gpu_cmd_ctx_detach_resource),
	CMD(SUBMIT_3D, virtio_gpu_cmd_submit, COMMAND_QUEUE, gpu_cmd_submit_3d),
	CMD(RESOURCE_UNREF, virtio_gpu_resource_unref, COMMAND_QUEUE, gpu_cmd_resource_unref),
	CMD(TRANSFER_TO_HOST_3D, virtio_gpu_transfer_host_3d, COMMAND_QUEUE,
	    gpu_cmd_transfer_to_host_3d),
	CMD(TRANSFER_FROM_HOST_3D, virtio_gpu_transfer_host_3d, COMMAND_QUEUE,
	    gpu_cmd_transfer_from_host_3d),
	CMD(TRANSFER_TO_HOST_2D, virtio_gpu_transfer_to_host_2d, COMMAND_QUEUE,
	    gpu_cmd_transfer_to_host_2d),
	CMD(RESOURCE_CREATE_BLOB, mvisor_create_blob, COMMAND_QUEUE, create_blob),
	CMD(RESOURCE_MAP_BLOB, virtio_gpu_resource_map_blob, COMMAND_QUEUE, map_blob),
	CMD(RESOURCE_UNMAP_BLOB, virtio_gpu_resource_unmap_blob, COMMAND_QUEUE, gpu_cmd_unmap_blob),
	{ 0 },
};
#undef CMD
