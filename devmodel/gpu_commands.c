/* SPDX-License-Identifier: MIT */
/*
 * virtio-gpu 3D commands on virglrenderer.  Every request was checked to be
 * at least its fixed size (the tables' min_len); variable parts are checked
 * here.  virglrenderer's own failures become ERR_UNSPEC, as in QEMU.
 */
#define VIRGL_RENDERER_UNSTABLE_APIS
#include "gpu_commands.h"

#include <linux/virtio_gpu.h>
#include <stdlib.h>
#include <string.h>
#include <virgl/virglrenderer.h>

/* Layout of virglrenderer's box (only declared in its header). */
struct virgl_box {
	uint32_t x, y, z;
	uint32_t w, h, d;
};

#define PIPE_TEXTURE_2D 2u
#define VIRGL_BIND_RENDER_TARGET (1u << 1)
#define MAX_BACKING_ENTRIES 65536u

static const uint32_t capset_ids[] = { VIRTIO_GPU_CAPSET_VIRGL, VIRTIO_GPU_CAPSET_VIRGL2 };

uint32_t gpu_num_capsets(void)
{
	return sizeof(capset_ids) / sizeof(capset_ids[0]);
}

static const struct virtio_gpu_ctrl_hdr *hdr_of(const struct gpu_call *call)
{
	return (const struct virtio_gpu_ctrl_hdr *)call->cmd;
}

static uint32_t status(int ret)
{
	return ret ? VIRTIO_GPU_RESP_ERR_UNSPEC : VIRTIO_GPU_RESP_OK_NODATA;
}

uint32_t gpu_cmd_ctx_create(struct gpu_device *dev, struct gpu_call *call)
{
	const struct virtio_gpu_ctx_create *c = (const void *)call->cmd;
	char name[sizeof(c->debug_name) + 1] = { 0 };
	uint32_t ctx_id = c->hdr.ctx_id;

	if (!ctx_id || c->nlen > sizeof(c->debug_name))
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	memcpy(name, c->debug_name, c->nlen);
	if (c->context_init) {
		if (!(dev->features & (1ull << VIRTIO_GPU_F_CONTEXT_INIT)))
			return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
		return status(virgl_renderer_context_create_with_flags(ctx_id, c->context_init,
								       c->nlen, name));
	}
	return status(virgl_renderer_context_create(ctx_id, c->nlen, name));
}

uint32_t gpu_cmd_ctx_destroy(struct gpu_device *dev, struct gpu_call *call)
{
	virgl_renderer_context_destroy(hdr_of(call)->ctx_id);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

uint32_t gpu_cmd_ctx_attach_resource(struct gpu_device *dev, struct gpu_call *call)
{
	const struct virtio_gpu_ctx_resource *c = (const void *)call->cmd;

	virgl_renderer_ctx_attach_resource((int)c->hdr.ctx_id, (int)c->resource_id);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

uint32_t gpu_cmd_ctx_detach_resource(struct gpu_device *dev, struct gpu_call *call)
{
	const struct virtio_gpu_ctx_resource *c = (const void *)call->cmd;

	virgl_renderer_ctx_detach_resource((int)c->hdr.ctx_id, (int)c->resource_id);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

uint32_t gpu_cmd_resource_create_2d(struct gpu_device *dev, struct gpu_call *call)
{
	const struct virtio_gpu_resource_create_2d *c = (const void *)call->cmd;
	struct virgl_renderer_resource_create_args args = {
		.handle = c->resource_id,
		.target = PIPE_TEXTURE_2D,
		.format = c->format,
		.bind = VIRGL_BIND_RENDER_TARGET,
		.width = c->width,
		.height = c->height,
		.depth = 1,
		.array_size = 1,
	};

	if (!c->resource_id)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	return status(virgl_renderer_resource_create(&args, NULL, 0));
}

uint32_t gpu_cmd_resource_create_3d(struct gpu_device *dev, struct gpu_call *call)
{
	const struct virtio_gpu_resource_create_3d *c = (const void *)call->cmd;
	struct virgl_renderer_resource_create_args args = {
		.handle = c->resource_id,
		.target = c->target,
		.format = c->format,
		.bind = c->bind,
		.width = c->width,
		.height = c->height,
		.depth = c->depth,
		.array_size = c->array_size,
		.last_level = c->last_level,
		.nr_samples = c->nr_samples,
		.flags = c->flags,
	};

	if (!c->resource_id)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	return status(virgl_renderer_resource_create(&args, NULL, 0));
}

/* Take the resource's backing back from the renderer and free our iovec array. */
static void release_backing(uint32_t res_id)
{
	struct iovec *iov = NULL;
	int n = 0;

	virgl_renderer_resource_detach_iov((int)res_id, &iov, &n);
	free(iov);
}

uint32_t gpu_cmd_resource_unref(struct gpu_device *dev, struct gpu_call *call)
{
	const struct virtio_gpu_resource_unref *c = (const void *)call->cmd;

	/* The renderer's memory must be its own again before it frees it. */
	if (host_visible_is_mapped(&dev->hv, c->resource_id)) {
		host_visible_unmap(&dev->hv, c->resource_id);
		virgl_renderer_resource_unmap(c->resource_id);
	}
	release_backing(c->resource_id);
	virgl_renderer_resource_unref(c->resource_id);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

uint32_t gpu_backing_iov(struct gpu_device *dev, const uint64_t *addrs, const uint32_t *lens,
			 uint32_t n, struct iovec **iov)
{
	*iov = NULL;
	if (n == 0)
		return VIRTIO_GPU_RESP_OK_NODATA;
	if (n > MAX_BACKING_ENTRIES)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	*iov = calloc(n, sizeof(**iov));
	if (!*iov)
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	for (uint32_t i = 0; i < n; i++) {
		void *p = lens[i] ? vhost_backend_gpa(dev->vb, addrs[i], lens[i]) : NULL;

		if (!p) {
			free(*iov);
			*iov = NULL;
			return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
		}
		(*iov)[i].iov_base = p;
		(*iov)[i].iov_len = lens[i];
	}
	return VIRTIO_GPU_RESP_OK_NODATA;
}

uint32_t gpu_attach_iov(uint32_t res_id, struct iovec *iov, uint32_t n)
{
	if (virgl_renderer_resource_attach_iov((int)res_id, iov, (int)n)) {
		free(iov);
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	}
	return VIRTIO_GPU_RESP_OK_NODATA;
}

uint32_t gpu_cmd_detach_backing(struct gpu_device *dev, struct gpu_call *call)
{
	const struct virtio_gpu_resource_detach_backing *c = (const void *)call->cmd;

	release_backing(c->resource_id);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

uint32_t gpu_cmd_transfer_to_host_2d(struct gpu_device *dev, struct gpu_call *call)
{
	const struct virtio_gpu_transfer_to_host_2d *c = (const void *)call->cmd;
	struct virgl_box box = {
		.x = c->r.x, .y = c->r.y, .w = c->r.width, .h = c->r.height, .d = 1
	};

	return status(virgl_renderer_transfer_write_iov(c->resource_id, 0, 0, 0, 0, &box, c->offset,
							NULL, 0));
}

static struct virgl_box box_of(const struct virtio_gpu_transfer_host_3d *c)
{
	return (struct virgl_box){ .x = c->box.x,
				   .y = c->box.y,
				   .z = c->box.z,
				   .w = c->box.w,
				   .h = c->box.h,
				   .d = c->box.d };
}

uint32_t gpu_cmd_transfer_to_host_3d(struct gpu_device *dev, struct gpu_call *call)
{
	const struct virtio_gpu_transfer_host_3d *c = (const void *)call->cmd;
	struct virgl_box box = box_of(c);

	return status(virgl_renderer_transfer_write_iov(c->resource_id, c->hdr.ctx_id,
							(int)c->level, c->stride, c->layer_stride,
							&box, c->offset, NULL, 0));
}

uint32_t gpu_cmd_transfer_from_host_3d(struct gpu_device *dev, struct gpu_call *call)
{
	const struct virtio_gpu_transfer_host_3d *c = (const void *)call->cmd;
	struct virgl_box box = box_of(c);

	return status(virgl_renderer_transfer_read_iov(c->resource_id, c->hdr.ctx_id, c->level,
						       c->stride, c->layer_stride, &box, c->offset,
						       NULL, 0));
}

uint32_t gpu_cmd_submit_3d(struct gpu_device *dev, struct gpu_call *call)
{
	const struct virtio_gpu_cmd_submit *c = (const void *)call->cmd;

	if (c->size % 4 || c->size > call->len - sizeof(*c))
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	/* The request is our own copy: the renderer may decode it in place. */
	return gpu_submit_stream(c->hdr.ctx_id, (uint32_t *)(c + 1), c->size / 4);
}

uint32_t gpu_submit_stream(uint32_t ctx_id, uint32_t *stream, uint32_t ndw)
{
	return status(virgl_renderer_submit_cmd(stream, (int)ctx_id, (int)ndw));
}

uint32_t gpu_cmd_get_capset_info(struct gpu_device *dev, struct gpu_call *call)
{
	const struct virtio_gpu_get_capset_info *c = (const void *)call->cmd;
	struct virtio_gpu_resp_capset_info *r = (void *)call->resp;
	uint32_t version, size;

	if (c->capset_index >= gpu_num_capsets() || call->resp_cap < sizeof(*r))
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	virgl_renderer_get_cap_set(capset_ids[c->capset_index], &version, &size);
	r->capset_id = capset_ids[c->capset_index];
	r->capset_max_version = version;
	r->capset_max_size = size;
	r->padding = 0;
	call->resp_len = sizeof(*r);
	return VIRTIO_GPU_RESP_OK_CAPSET_INFO;
}

uint32_t gpu_cmd_get_capset(struct gpu_device *dev, struct gpu_call *call)
{
	const struct virtio_gpu_get_capset *c = (const void *)call->cmd;
	uint32_t version, size;
	bool known = false;

	for (uint32_t i = 0; i < gpu_num_capsets(); i++)
		known |= capset_ids[i] == c->capset_id;
	if (!known)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	virgl_renderer_get_cap_set(c->capset_id, &version, &size);
	if (c->capset_version > version ||
	    call->resp_cap < sizeof(struct virtio_gpu_ctrl_hdr) + size)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	memset(call->resp + sizeof(struct virtio_gpu_ctrl_hdr), 0, size);
	virgl_renderer_fill_caps(c->capset_id, c->capset_version,
				 call->resp + sizeof(struct virtio_gpu_ctrl_hdr));
	call->resp_len = sizeof(struct virtio_gpu_ctrl_hdr) + size;
	return VIRTIO_GPU_RESP_OK_CAPSET;
}

uint32_t gpu_blob_create(struct gpu_device *dev, struct gpu_blob_args *a)
{
	struct virgl_renderer_resource_create_blob_args args = {
		.res_handle = a->res_id,
		.ctx_id = a->ctx_id,
		.blob_mem = a->blob_mem,
		.blob_flags = a->blob_flags,
		.blob_id = a->blob_id,
		.size = a->size,
		.iovecs = a->iov,
		.num_iovs = a->niov,
	};

	if (!a->res_id || !a->size) {
		free(a->iov);
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	}
	if (virgl_renderer_resource_create_blob(&args)) {
		free(a->iov);
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	}
	return VIRTIO_GPU_RESP_OK_NODATA;
}

uint32_t gpu_blob_map(struct gpu_device *dev, uint32_t res_id, bool device_places, uint64_t *offset,
		      uint32_t *map_info, uint64_t *size)
{
	uint32_t type;
	void *ptr;

	if (dev->hv.fd < 0 || host_visible_is_mapped(&dev->hv, res_id))
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	if (virgl_renderer_resource_map(res_id, &ptr, size))
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	if (device_places && !host_visible_find_space(&dev->hv, *size, offset)) {
		virgl_renderer_resource_unmap(res_id);
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	}
	/* The guest gets the region's pages: ordinary cached memory, whatever the renderer's. */
	*map_info = VIRTIO_GPU_MAP_CACHE_CACHED;
	type = host_visible_map(&dev->hv, res_id, *offset, ptr, *size);
	if (type != VIRTIO_GPU_RESP_OK_NODATA)
		virgl_renderer_resource_unmap(res_id);
	return type;
}

uint32_t gpu_cmd_unmap_blob(struct gpu_device *dev, struct gpu_call *call)
{
	const struct virtio_gpu_resource_unmap_blob *c = (const void *)call->cmd;
	uint32_t type = host_visible_unmap(&dev->hv, c->resource_id);

	if (type == VIRTIO_GPU_RESP_OK_NODATA && virgl_renderer_resource_unmap(c->resource_id))
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	return type;
}
