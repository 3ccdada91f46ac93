/* SPDX-License-Identifier: MIT */
/*
 * The fake device's blob commands, in both personalities: CREATE_BLOB
 * (Mvisor's carries the gallium description), MAP_BLOB (the driver places
 * standard blobs, Mvisor's device places them and answers the address,
 * which tests may make it lie about) and UNMAP_BLOB.
 */
#include "fake_gpu_internal.h"

#include <string.h>

/* virgl's resource flags a host mapping needs: virglrenderer maps nothing else. */
#define VIRGL_FLAGS_HOST_MAPPABLE ((1u << 1) | (1u << 2))

/* Mvisor's CREATE_BLOB: the standard fields, then the gallium description. */
struct mvisor_create_blob {
	struct wire_resource_create_blob blob;
	uint32_t format, bind, target, width, height, depth, array_size, last_level, nr_samples,
		flags;
};

/* Mvisor's OK_MAP_INFO, packed. */
struct mvisor_resp_map_info {
	struct wire_hdr hdr;
	uint32_t map_info;
	uint64_t gpa;
	uint64_t size;
	uint32_t pad;
} __attribute__((packed));

static bool blob_supported(const struct fake_gpu *gpu)
{
	if (!gpu->hv_mem)
		return false;
	return gpu->cfg.mvisor || (gpu->driver_features & (1ull << VIRTIO_GPU_FEAT_RESOURCE_BLOB));
}

/* What the standard part of a CREATE_BLOB must say; a violation otherwise. */
static bool blob_fields_ok(struct fake_gpu_command *c, const struct wire_resource_create_blob *b)
{
	if (!blob_supported(c->gpu) || !b->resource_id ||
	    fake_gpu_find_resource(c->gpu, b->resource_id) || b->blob_mem != WIRE_BLOB_MEM_HOST3D ||
	    (b->blob_flags & ~WIRE_BLOB_FLAG_USE_MAPPABLE) || b->nr_entries || !b->blob_id ||
	    b->blob_id > UINT32_MAX || !b->size || b->size % 4096u) {
		fake_gpu_violation(c->gpu,
				   "create_blob %u: mem %u flags 0x%x entries %u id %llu "
				   "size %llu",
				   b->resource_id, b->blob_mem, b->blob_flags, b->nr_entries,
				   (unsigned long long)b->blob_id, (unsigned long long)b->size);
		return false;
	}
	return true;
}

/* Mvisor's description, as RESOURCE_CREATE_3D would carry it. */
static bool mvisor_desc_ok(struct fake_gpu_command *c, const struct mvisor_create_blob *m)
{
	struct wire_resource_create_3d r = {
		.target = m->target,
		.format = m->format,
		.bind = m->bind,
		.width = m->width,
		.height = m->height,
		.depth = m->depth,
		.array_size = m->array_size,
		.last_level = m->last_level,
		.nr_samples = m->nr_samples,
		.flags = m->flags,
	};

	if (!fake_gpu_resource_desc_ok(&r)) {
		fake_gpu_violation(c->gpu, "mvisor create_blob %u: bad description",
				   m->blob.resource_id);
		return false;
	}
	if ((m->blob.blob_flags & WIRE_BLOB_FLAG_USE_MAPPABLE) &&
	    (m->flags & VIRGL_FLAGS_HOST_MAPPABLE) != VIRGL_FLAGS_HOST_MAPPABLE) {
		fake_gpu_violation(c->gpu, "mvisor create_blob %u: mappable, but flags 0x%x",
				   m->blob.resource_id, m->flags);
		return false;
	}
	return true;
}

/* Another live blob of this context already took the virgl object `blob_id`. */
static bool blob_id_taken(const struct fake_gpu *gpu, uint64_t blob_id, uint64_t ctx_bit)
{
	for (unsigned i = 0; i < FAKE_GPU_MAX_RESOURCES; i++) {
		const struct fake_gpu_res *r = &gpu->resources[i];

		if (r->id && r->blob && r->blob_id == blob_id && (r->ctx_mask & ctx_bit))
			return true;
	}
	return false;
}

uint32_t fake_gpu_cmd_create_blob(struct fake_gpu_command *c)
{
	struct mvisor_create_blob m = { 0 };
	size_t want = c->gpu->cfg.mvisor ? sizeof(m) : sizeof(m.blob);
	struct fake_gpu_res *res;

	if (c->len != want) {
		fake_gpu_violation(c->gpu, "create_blob of %zu bytes", c->len);
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
	memcpy(&m, c->buf, want);
	if (!blob_fields_ok(c, &m.blob) || (c->gpu->cfg.mvisor && !mvisor_desc_ok(c, &m)))
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	/* The user's mistake, not the driver's: a real device refuses it too. */
	if (blob_id_taken(c->gpu, m.blob.blob_id, 1ull << c->ctx_slot))
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	res = fake_gpu_free_resource_slot(c->gpu);
	if (!res)
		return WIRE_RESP_ERR_OUT_OF_MEMORY;
	*res = (struct fake_gpu_res){
		.id = m.blob.resource_id,
		.target = m.target,
		.width = m.width,
		.height = m.height,
		.depth = m.depth,
		.array_size = m.array_size,
		.last_level = m.last_level,
		.nr_samples = m.nr_samples,
		.blob = true,
		.blob_flags = m.blob.blob_flags,
		.blob_id = m.blob.blob_id,
		.blob_size = m.blob.size,
	};
	c->gpu->nresources++;
	return WIRE_RESP_OK_NODATA;
}

/* The mapped blob overlapping [offset, offset + size), or NULL. */
static const struct fake_gpu_res *mapped_over(const struct fake_gpu *gpu, uint64_t offset,
					      uint64_t size)
{
	for (unsigned i = 0; i < FAKE_GPU_MAX_RESOURCES; i++) {
		const struct fake_gpu_res *r = &gpu->resources[i];

		if (r->id && r->mapped && offset < r->map_offset + r->blob_size &&
		    r->map_offset < offset + size)
			return r;
	}
	return NULL;
}

/* Mvisor's device places blobs itself: the first free range that fits. */
static bool first_fit(const struct fake_gpu *gpu, uint64_t size, uint64_t *offset)
{
	const struct fake_gpu_res *r;

	*offset = 0;
	while ((r = mapped_over(gpu, *offset, size)))
		*offset = r->map_offset + r->blob_size;
	return *offset <= gpu->cfg.host_visible_size &&
	       size <= gpu->cfg.host_visible_size - *offset;
}

/* Where the driver asked for the blob: free, aligned, inside the region. */
static bool placement_ok(struct fake_gpu_command *c, const struct fake_gpu_res *res,
			 uint64_t offset)
{
	uint64_t size = c->gpu->cfg.host_visible_size;

	if (offset % 4096u || offset > size || res->blob_size > size - offset ||
	    mapped_over(c->gpu, offset, res->blob_size)) {
		fake_gpu_violation(c->gpu,
				   "blob %u mapped at 0x%llx: outside, misaligned or "
				   "overlapping",
				   res->id, (unsigned long long)offset);
		return false;
	}
	return true;
}

static uint32_t answer_map_info(struct fake_gpu_command *c, const struct fake_gpu_res *res)
{
	const struct fake_gpu_map_answer *lie = &c->gpu->map_lie;
	struct mvisor_resp_map_info a = {
		.map_info = (lie->set & FAKE_GPU_MAP_INFO) ? lie->map_info : WIRE_MAP_CACHE_CACHED,
		.gpa = (lie->set & FAKE_GPU_MAP_GPA) ? lie->gpa : c->gpu->hv_pa + res->map_offset,
		.size = (lie->set & FAKE_GPU_MAP_SIZE) ? lie->size : res->blob_size,
	};

	c->gpu->map_lie.set = 0;
	if (c->gpu->cfg.mvisor) {
		memcpy(c->answer->buf, &a, sizeof(a));
		c->answer->len = sizeof(a);
	} else {
		struct wire_resp_map_info std = { .map_info = a.map_info };

		memcpy(c->answer->buf, &std, sizeof(std));
		c->answer->len = sizeof(std);
	}
	return WIRE_RESP_OK_MAP_INFO;
}

uint32_t fake_gpu_cmd_map_blob(struct fake_gpu_command *c)
{
	struct wire_resource_map_blob req;
	struct fake_gpu_res *res =
		fake_gpu_named_resource(c, offsetof(struct wire_resource_map_blob, resource_id));

	memcpy(&req, c->buf, sizeof(req));
	if (!res)
		return WIRE_RESP_ERR_INVALID_RESOURCE_ID;
	if (!res->blob || !(res->blob_flags & WIRE_BLOB_FLAG_USE_MAPPABLE) || res->mapped ||
	    req.pad || (c->gpu->cfg.mvisor && req.offset)) {
		fake_gpu_violation(c->gpu,
				   "map_blob %u: not a mappable blob, mapped already, "
				   "or nonzero pad/offset",
				   res->id);
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
	if (c->gpu->cfg.mvisor) {
		if (!first_fit(c->gpu, res->blob_size, &req.offset))
			return WIRE_RESP_ERR_OUT_OF_MEMORY;
	} else if (!placement_ok(c, res, req.offset)) {
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
	res->mapped = true;
	res->map_offset = req.offset;
	return answer_map_info(c, res);
}

uint32_t fake_gpu_cmd_unmap_blob(struct fake_gpu_command *c)
{
	struct fake_gpu_res *res =
		fake_gpu_named_resource(c, offsetof(struct wire_resource_unmap_blob, resource_id));

	if (!res)
		return WIRE_RESP_ERR_INVALID_RESOURCE_ID;
	if (!res->blob) {
		fake_gpu_violation(c->gpu, "unmap_blob of resource %u, not a blob", res->id);
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
	/* A driver unsure whether a garbled MAP_BLOB answer mapped it may ask: refused. */
	if (!res->mapped)
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	res->mapped = false;
	return WIRE_RESP_OK_NODATA;
}
