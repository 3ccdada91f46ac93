/* SPDX-License-Identifier: MIT */
/*
 * Blobs: GL's persistent and coherent buffers (GL_ARB_buffer_storage) as
 * HOST3D blob resources.  A persistent mapping must show the host's bytes
 * and the host must see the application's writes without any call in
 * between, which guest backing plus transfers cannot do; a blob's memory
 * is the host's own, mapped through the device's host-visible memory.
 *
 * Mesa's virgl driver offers GL_ARB_buffer_storage when the host's caps
 * have VIRGL_CAP_ARB_BUFFER_STORAGE and the winsys sets supports_coherent,
 * which we do exactly when the device has blobs and host-visible memory:
 * then every buffer it creates with VIRGL_RESOURCE_FLAG_MAP_PERSISTENT or
 * MAP_COHERENT becomes a blob here, and nothing else does.
 *
 * A blob has no guest backing, so no transfer may name it (the kernel
 * refuses them).  The driver never queues one for such a buffer: every
 * map of it is persistent and coherent, and unmapping one writes nothing
 * back; our Mesa patch also keeps it from staging or reallocating such a
 * buffer on a discarding map (the staged copy would never be made) and
 * lets the GL frontend map it directly (glBufferSubData while mapped).
 * What remains is its readback before a map after the host wrote the
 * buffer (transform feedback, copies), which virgl_vgpu_res_transfer
 * answers without a transfer: the mapping already is the host's memory,
 * and the driver's wait for the resource that follows orders the reads
 * after the host's writes.
 */
#include "vgpu_winsys.h"

#include "util/os_misc.h"
#include "util/u_atomic.h"
#include "util/u_math.h"
#include "virtio-gpu/virgl_protocol.h"

/* The ABI's unit for blob sizes; the host may need its own page size too. */
#define BLOB_GRANULE 4096u

bool virgl_vgpu_blob_usable(const struct vgpu_get_info *info)
{
	const uint64_t needed = VGPU_FEATURE_RESOURCE_BLOB | VGPU_FEATURE_HOST_VISIBLE;

	return info && (info->features & needed) == needed && info->host_visible_size;
}

bool virgl_vgpu_blob_wanted(const struct virgl_vgpu_winsys *ws, enum pipe_texture_target target,
			    uint32_t flags)
{
	return ws->base.supports_coherent && target == PIPE_BUFFER &&
	       (flags & (VIRGL_RESOURCE_FLAG_MAP_PERSISTENT | VIRGL_RESOURCE_FLAG_MAP_COHERENT));
}

/*
 * The device model shares whole pages of the host's buffer with us (and
 * the ABI wants 4 KiB multiples): the buffer is made that much wider.
 * 0 when it would not fit in 32 bits.
 */
static uint32_t blob_width(uint32_t width, uint32_t size)
{
	uint64_t page = BLOB_GRANULE;
	uint64_t bytes = MAX2(MAX2(width, size), 1);

	if (os_get_page_size(&page) && page > BLOB_GRANULE && !(page % BLOB_GRANULE))
		bytes = align64(bytes, page);
	bytes = align64(bytes, BLOB_GRANULE);
	return bytes <= UINT32_MAX ? (uint32_t)bytes : 0;
}

/* A fresh blob id: nonzero, below 2^32, never reused by this handle until it wraps. */
static uint32_t next_blob_id(struct virgl_vgpu_winsys *ws)
{
	uint32_t id;

	do
		id = p_atomic_inc_return(&ws->last_blob_id);
	while (!id);
	return id;
}

/*
 * The standard device makes a HOST3D blob from a virgl object that the
 * context created first under the blob's id: submit that creation.  The
 * device runs the context's streams and its blob requests in order.  The
 * host maps only buffers made persistent and coherent; a persistent one
 * that GL lets be non-coherent is served as well by a coherent one.
 */
static bool announce_blob(struct virgl_vgpu_winsys *ws, const struct vgpu_resource_create *desc,
			  uint32_t blob_id)
{
	uint32_t cmd[VIRGL_PIPE_RES_CREATE_SIZE + 1] = {
		[0] = VIRGL_CMD0(VIRGL_CCMD_PIPE_RESOURCE_CREATE, 0, VIRGL_PIPE_RES_CREATE_SIZE),
		[VIRGL_PIPE_RES_CREATE_TARGET] = desc->target,
		[VIRGL_PIPE_RES_CREATE_FORMAT] = desc->format,
		[VIRGL_PIPE_RES_CREATE_BIND] = desc->bind,
		[VIRGL_PIPE_RES_CREATE_WIDTH] = desc->width,
		[VIRGL_PIPE_RES_CREATE_HEIGHT] = desc->height,
		[VIRGL_PIPE_RES_CREATE_DEPTH] = desc->depth,
		[VIRGL_PIPE_RES_CREATE_ARRAY_SIZE] = desc->array_size,
		[VIRGL_PIPE_RES_CREATE_LAST_LEVEL] = desc->last_level,
		[VIRGL_PIPE_RES_CREATE_NR_SAMPLES] = desc->nr_samples,
		[VIRGL_PIPE_RES_CREATE_FLAGS] =
			VIRGL_RESOURCE_FLAG_MAP_PERSISTENT | VIRGL_RESOURCE_FLAG_MAP_COHERENT,
		[VIRGL_PIPE_RES_CREATE_BLOB_ID] = blob_id,
	};
	uint64_t fence = 0;

	if (!virgl_vgpu_ws_ok(ws, vgpu_submit(ws->dev, cmd, sizeof(cmd), NULL, 0, &fence),
			      "creating a blob's object"))
		return false;
	virgl_vgpu_ws_fence_issued(ws, fence);
	return true;
}

static int create_blob_call(struct virgl_vgpu_winsys *ws, struct vgpu_resource_create_blob *req)
{
	int status = vgpu_resource_create_blob(ws->dev, req);

	if (status == VGPU_E_NO_MEMORY) {
		virgl_vgpu_res_make_room(ws);
		status = vgpu_resource_create_blob(ws->dev, req);
	}
	return status;
}

/* Host-visible memory is scarce: what the cache keeps may be what is missing. */
static void *map_blob(struct virgl_vgpu_winsys *ws, uint32_t handle)
{
	void *ptr = NULL;
	int status = vgpu_resource_map(ws->dev, handle, &ptr, NULL);

	if (status == VGPU_E_NO_MEMORY) {
		virgl_vgpu_res_make_room(ws);
		status = vgpu_resource_map(ws->dev, handle, &ptr, NULL);
	}
	return virgl_vgpu_ws_ok(ws, status, "mapping a blob") ? ptr : NULL;
}

/*
 * Mapped at once and for its whole life: the mapping is what the
 * application writes through, and the device model wants blobs mapped
 * before the renderer uses them.
 */
bool virgl_vgpu_blob_create(struct virgl_vgpu_winsys *ws, struct virgl_hw_res *res, uint32_t size)
{
	uint32_t width = blob_width(res->width, size);
	struct vgpu_resource_create_blob req = {
		.blob_mem = VGPU_BLOB_MEM_HOST3D,
		.blob_flags = VGPU_BLOB_FLAG_MAPPABLE,
		.size = width,
		.desc = {
			.target = PIPE_BUFFER,
			.format = pipe_to_virgl_format(res->format),
			.bind = res->bind,
			.width = width,
			.height = 1,
			.depth = 1,
			.array_size = 1,
		},
	};

	if (res->target != PIPE_BUFFER || !width || p_atomic_read(&ws->lost))
		return false;
	req.blob_id = next_blob_id(ws);
	if (!ws->blob_desc && !announce_blob(ws, &req.desc, (uint32_t)req.blob_id))
		return false;
	if (!virgl_vgpu_ws_ok(ws, create_blob_call(ws, &req), "creating a blob"))
		return false;
	res->handle = req.handle;
	res->res_id = req.res_id;
	res->size = width;
	res->blob = true;
	res->ptr = map_blob(ws, req.handle);
	if (res->ptr)
		return true;
	virgl_vgpu_ws_ok(ws, vgpu_resource_destroy(ws->dev, req.handle), "destroying a blob");
	return false;
}
