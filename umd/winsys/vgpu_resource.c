/* SPDX-License-Identifier: MIT */
/*
 * Resources: device resources with guest backing mapped into the process,
 * their references, waits, transfers, and a cache that keeps released
 * transient buffers (vertex, index, constant, staging) for reuse, as the
 * upstream winsyses do, so that streaming uploads do not create and
 * destroy a device resource each frame.
 */
#include "vgpu_winsys.h"

#include <stdio.h>
#include <stdlib.h>

#include "util/format/u_format.h"
#include "util/u_atomic.h"
#include "util/u_inlines.h"

#define CACHE_TIMEOUT_USEC 1000000

/* Gets the resource holding a cache entry. */
#define res_of_entry(entry)                                                                        \
	((struct virgl_hw_res *)((char *)(entry)-offsetof(struct virgl_hw_res, cache_entry)))

static bool bind_is_cacheable(uint32_t bind)
{
	return bind == VIRGL_BIND_CONSTANT_BUFFER || bind == VIRGL_BIND_INDEX_BUFFER ||
	       bind == VIRGL_BIND_VERTEX_BUFFER || bind == VIRGL_BIND_CUSTOM ||
	       bind == VIRGL_BIND_STAGING;
}

uint32_t virgl_vgpu_res_packed_stride(const struct virgl_hw_res *res)
{
	return util_format_get_stride(res->format, res->width);
}

/*
 * The backing we allocate.  Display targets get room for their whole image
 * even when the driver keeps them host-only (size 1): presenting reads
 * them back into the backing.
 */
static uint64_t backing_size(const struct virgl_hw_res *res, uint32_t size)
{
	uint64_t image;

	if (!(res->bind & (VIRGL_BIND_DISPLAY_TARGET | VIRGL_BIND_SCANOUT)))
		return size ? size : 1;
	image = (uint64_t)virgl_vgpu_res_packed_stride(res) *
		util_format_get_nblocksy(res->format, res->height);
	return MAX2(image, MAX2(size, 1));
}

/*
 * Memory ran out: give back what the cache keeps and wait until the
 * device has finished with everything released, whose memory then returns.
 */
void virgl_vgpu_res_make_room(struct virgl_vgpu_winsys *ws)
{
	mtx_lock(&ws->cache_lock);
	virgl_resource_cache_flush(&ws->cache);
	mtx_unlock(&ws->cache_lock);
	virgl_vgpu_ws_wait_fence(ws, virgl_vgpu_ws_last_fence(ws), PIPE_TIMEOUT_INFINITE);
}

static bool create_on_device(struct virgl_vgpu_winsys *ws, struct virgl_hw_res *res, uint32_t depth,
			     uint32_t array_size, uint32_t last_level, uint32_t nr_samples,
			     uint32_t flags, uint32_t size)
{
	struct vgpu_resource_create req = {
		.target = res->target,
		.format = pipe_to_virgl_format(res->format),
		.bind = res->bind,
		.width = res->width,
		.height = res->height,
		.depth = depth,
		.array_size = array_size,
		.last_level = last_level,
		.nr_samples = nr_samples,
		/* the other virgl flags ask for blob memory: vgpu_blob.c */
		.flags = (flags & VIRGL_RESOURCE_Y_0_TOP) ? VGPU_RESOURCE_FLAG_Y_0_TOP : 0,
		.size = backing_size(res, size),
	};
	int status;

	if (p_atomic_read(&ws->lost))
		return false;
	status = vgpu_resource_create(ws->dev, &req);
	if (status == VGPU_E_NO_MEMORY) {
		virgl_vgpu_res_make_room(ws);
		status = vgpu_resource_create(ws->dev, &req);
	}
	if (!virgl_vgpu_ws_ok(ws, status, "creating a resource"))
		return false;
	res->handle = req.handle;
	res->res_id = req.res_id;
	res->size = req.size;
	return true;
}

struct virgl_hw_res *virgl_vgpu_res_create(struct virgl_vgpu_winsys *ws,
					   enum pipe_texture_target target,
					   const void *map_front_private, uint32_t format,
					   uint32_t bind, uint32_t width, uint32_t height,
					   uint32_t depth, uint32_t array_size, uint32_t last_level,
					   uint32_t nr_samples, uint32_t flags, uint32_t size)
{
	struct virgl_resource_params params = {
		.size = size,
		.bind = bind,
		.format = format,
		.flags = flags,
		.nr_samples = nr_samples,
		.width = width,
		.height = height,
		.depth = depth,
		.array_size = array_size,
		.last_level = last_level,
		.target = target,
	};
	struct virgl_hw_res *res = calloc(1, sizeof(*res));
	bool created;

	if (!res)
		return NULL;
	res->target = target;
	res->format = format;
	res->bind = bind;
	res->width = width;
	res->height = height;
	if (virgl_vgpu_blob_wanted(ws, target, flags))
		created = virgl_vgpu_blob_create(ws, res, size);
	else
		created = create_on_device(ws, res, depth, array_size, last_level, nr_samples,
					   flags, size);
	if (!created) {
		free(res);
		return NULL;
	}
	if ((bind & (VIRGL_BIND_DISPLAY_TARGET | VIRGL_BIND_SCANOUT)) &&
	    !virgl_vgpu_present_attach(ws, res, map_front_private)) {
		virgl_vgpu_res_destroy(ws, res);
		return NULL;
	}
	virgl_resource_cache_entry_init(&res->cache_entry, params);
	pipe_reference_init(&res->reference, 1);
	return res;
}

void virgl_vgpu_res_destroy(struct virgl_vgpu_winsys *ws, struct virgl_hw_res *res)
{
	virgl_vgpu_present_detach(ws, res);
	/* a lost device has nothing left to release; libvgpu still frees our side */
	virgl_vgpu_ws_ok(ws, vgpu_resource_destroy(ws->dev, res->handle), "destroying a resource");
	free(res);
}

static struct virgl_hw_res *
virgl_vgpu_resource_create_cached(struct virgl_winsys *vws, enum pipe_texture_target target,
				  const void *map_front_private, uint32_t format, uint32_t bind,
				  uint32_t width, uint32_t height, uint32_t depth,
				  uint32_t array_size, uint32_t last_level, uint32_t nr_samples,
				  uint32_t flags, uint32_t size)
{
	struct virgl_vgpu_winsys *ws = virgl_vgpu_winsys(vws);
	struct virgl_resource_params params = {
		.size = size,
		.bind = bind,
		.format = format,
		.flags = flags,
		.nr_samples = nr_samples,
		.width = width,
		.height = height,
		.depth = depth,
		.array_size = array_size,
		.last_level = last_level,
		.target = target,
	};
	struct virgl_resource_cache_entry *entry = NULL;

	if (bind_is_cacheable(bind)) {
		mtx_lock(&ws->cache_lock);
		entry = virgl_resource_cache_remove_compatible(&ws->cache, params);
		mtx_unlock(&ws->cache_lock);
	}
	if (entry) {
		struct virgl_hw_res *res = res_of_entry(entry);

		pipe_reference_init(&res->reference, 1);
		return res;
	}
	return virgl_vgpu_res_create(ws, target, map_front_private, format, bind, width, height,
				     depth, array_size, last_level, nr_samples, flags, size);
}

void virgl_vgpu_res_reference(struct virgl_winsys *vws, struct virgl_hw_res **dst,
			      struct virgl_hw_res *src)
{
	struct virgl_vgpu_winsys *ws = virgl_vgpu_winsys(vws);
	struct virgl_hw_res *old = *dst;

	if (pipe_reference(old ? &old->reference : NULL, src ? &src->reference : NULL)) {
		if (bind_is_cacheable(old->bind) && !p_atomic_read(&ws->lost)) {
			mtx_lock(&ws->cache_lock);
			virgl_resource_cache_add(&ws->cache, &old->cache_entry);
			mtx_unlock(&ws->cache_lock);
		} else {
			virgl_vgpu_res_destroy(ws, old);
		}
	}
	*dst = src;
}

void *virgl_vgpu_res_map(struct virgl_winsys *vws, struct virgl_hw_res *res)
{
	struct virgl_vgpu_winsys *ws = virgl_vgpu_winsys(vws);
	void *ptr = NULL;

	if (!res)
		return NULL;
	if (p_atomic_read(&res->ptr))
		return res->ptr;
	/* libvgpu maps a resource once per process: racing callers get the same view */
	if (!virgl_vgpu_ws_ok(ws, vgpu_resource_map(ws->dev, res->handle, &ptr, NULL),
			      "mapping a resource"))
		return NULL;
	p_atomic_set(&res->ptr, ptr);
	return ptr;
}

static void virgl_vgpu_resource_wait(struct virgl_winsys *vws, struct virgl_hw_res *res)
{
	struct virgl_vgpu_winsys *ws = virgl_vgpu_winsys(vws);
	uint64_t start = virgl_vgpu_stats_start(ws);

	virgl_vgpu_presenter_release(ws, res);
	virgl_vgpu_ws_wait_resource(ws, res, PIPE_TIMEOUT_INFINITE);
	virgl_vgpu_stats_end(ws, VIRGL_VGPU_DRIVER_WAIT, start, 0);
}

static boolean virgl_vgpu_resource_is_busy(struct virgl_winsys *vws, struct virgl_hw_res *res)
{
	struct virgl_vgpu_winsys *ws = virgl_vgpu_winsys(vws);

	/* a queued present still reads the backing: the driver may not write it yet */
	return virgl_vgpu_presenter_holds(ws, res) || !virgl_vgpu_ws_wait_resource(ws, res, 0);
}

int virgl_vgpu_res_transfer(struct virgl_vgpu_winsys *ws, bool to_host, struct virgl_hw_res *res,
			    const struct pipe_box *box, uint32_t stride, uint32_t layer_stride,
			    uint32_t buf_offset, uint32_t level, uint64_t *done)
{
	struct vgpu_transfer t = {
		.level = level,
		.offset = buf_offset,
		.stride = stride,
		.layer_stride = layer_stride,
	};
	uint64_t fence = 0;
	int status;

	if (!res || !box || box->x < 0 || box->y < 0 || box->z < 0 || box->width <= 0 ||
	    box->height <= 0 || box->depth <= 0)
		return -1;
	if (p_atomic_read(&ws->lost))
		return -1;
	/* the mapping is the host's memory: nothing to copy (see vgpu_blob.c) */
	if (res->blob) {
		if (done)
			*done = 0;
		return 0;
	}
	t.handle = res->handle;
	t.box = (struct vgpu_box){ box->x, box->y, box->z, box->width, box->height, box->depth };
	status = to_host ? vgpu_transfer_to_host(ws->dev, &t, &fence)
			 : vgpu_transfer_from_host(ws->dev, &t, &fence);
	if (!virgl_vgpu_ws_ok(ws, status, to_host ? "uploading to the host" : "reading back"))
		return -1;
	virgl_vgpu_ws_fence_issued(ws, fence);
	if (done)
		*done = fence;
	return 0;
}

static int virgl_vgpu_transfer_put(struct virgl_winsys *vws, struct virgl_hw_res *res,
				   const struct pipe_box *box, uint32_t stride,
				   uint32_t layer_stride, uint32_t buf_offset, uint32_t level)
{
	struct virgl_vgpu_winsys *ws = virgl_vgpu_winsys(vws);

	virgl_vgpu_presenter_release(ws, res);
	return virgl_vgpu_res_transfer(ws, true, res, box, stride, layer_stride, buf_offset, level,
				       NULL);
}

static int virgl_vgpu_transfer_get(struct virgl_winsys *vws, struct virgl_hw_res *res,
				   const struct pipe_box *box, uint32_t stride,
				   uint32_t layer_stride, uint32_t buf_offset, uint32_t level)
{
	struct virgl_vgpu_winsys *ws = virgl_vgpu_winsys(vws);

	/* the readback would land in the backing a queued present copies from */
	virgl_vgpu_presenter_release(ws, res);
	return virgl_vgpu_res_transfer(ws, false, res, box, stride, layer_stride, buf_offset, level,
				       NULL);
}

static uint32_t virgl_vgpu_resource_get_storage_size(struct virgl_winsys *vws,
						     struct virgl_hw_res *res)
{
	return res ? (uint32_t)res->size : 0;
}

/* Resources cannot be shared with other processes: nothing to import or export. */
static struct virgl_hw_res *
virgl_vgpu_resource_create_from_handle(struct virgl_winsys *vws, struct winsys_handle *whandle,
				       uint32_t *plane, uint32_t *stride, uint32_t *plane_offset,
				       uint64_t *modifier, uint32_t *blob_mem)
{
	return NULL;
}

static boolean virgl_vgpu_resource_get_handle(struct virgl_winsys *vws, struct virgl_hw_res *res,
					      uint32_t stride, struct winsys_handle *whandle)
{
	return false;
}

static bool cache_entry_is_busy(struct virgl_resource_cache_entry *entry, void *user_data)
{
	return !virgl_vgpu_ws_wait_resource(user_data, res_of_entry(entry), 0);
}

static void cache_entry_release(struct virgl_resource_cache_entry *entry, void *user_data)
{
	virgl_vgpu_res_destroy(user_data, res_of_entry(entry));
}

void virgl_vgpu_ws_init_resources(struct virgl_vgpu_winsys *ws)
{
	virgl_resource_cache_init(&ws->cache, CACHE_TIMEOUT_USEC, cache_entry_is_busy,
				  cache_entry_release, ws);
	ws->base.resource_create = virgl_vgpu_resource_create_cached;
	ws->base.resource_reference = virgl_vgpu_res_reference;
	ws->base.resource_map = virgl_vgpu_res_map;
	ws->base.resource_wait = virgl_vgpu_resource_wait;
	ws->base.resource_is_busy = virgl_vgpu_resource_is_busy;
	ws->base.transfer_put = virgl_vgpu_transfer_put;
	ws->base.transfer_get = virgl_vgpu_transfer_get;
	ws->base.resource_get_storage_size = virgl_vgpu_resource_get_storage_size;
	ws->base.resource_create_from_handle = virgl_vgpu_resource_create_from_handle;
	ws->base.resource_get_handle = virgl_vgpu_resource_get_handle;
}
