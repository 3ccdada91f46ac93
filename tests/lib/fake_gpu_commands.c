// SPDX-License-Identifier: MIT
/*
 * The fake virtio-gpu's command set: each command checked against the wire
 * format and the tables of live contexts and resources, then carried out
 * on those tables (and on a buffer's host copy of its bytes).
 */
#include "fake_gpu_internal.h"

#include <stdlib.h>
#include <string.h>

#define PIPE_BUFFER 0u
#define PIPE_TEXTURE_3D 3u
#define PIPE_MAX_TEXTURE_TYPES 9u
/* Buffers up to this size keep a host copy of their bytes. */
#define HOST_COPY_MAX (16u << 20)
/* virgl's resource flags a host mapping needs: virglrenderer maps nothing else. */
#define VIRGL_FLAGS_HOST_MAPPABLE ((1u << 1) | (1u << 2))
#define MAX_BACKING_ENTRIES 16384u

/* What one command handler sees. */
struct command {
	struct fake_gpu *gpu;
	const uint8_t *buf;
	size_t len;
	struct wire_hdr hdr;
	int ctx_slot; /* slot of hdr.ctx_id, -1 if none */
	struct fake_gpu_answer *answer;
};

struct command_type {
	uint32_t type;
	uint32_t size;    /* exact request bytes; 0: the handler checks */
	bool in_context;  /* hdr.ctx_id must name a live context */
	uint32_t (*run)(struct command *c);
};

static uint32_t capset_version(uint32_t id)
{
	return id == VGPU_CAPSET_VIRGL ? FAKE_GPU_CAPSET1_VERSION : FAKE_GPU_CAPSET2_VERSION;
}

static uint32_t capset_size(uint32_t id)
{
	return id == VGPU_CAPSET_VIRGL ? FAKE_GPU_CAPSET1_SIZE : FAKE_GPU_CAPSET2_SIZE;
}

uint8_t fake_gpu_capset_byte(uint32_t id, uint32_t offset)
{
	return (uint8_t)(id * 0x51u + offset * 7u + (offset >> 8));
}

static int find_context(const struct fake_gpu *gpu, uint32_t id)
{
	for (unsigned i = 0; id && i < FAKE_GPU_MAX_CONTEXTS; i++) {
		if (gpu->contexts[i].id == id)
			return (int)i;
	}
	return -1;
}

static struct fake_gpu_res *find_resource(struct fake_gpu *gpu, uint32_t id)
{
	for (unsigned i = 0; id && i < FAKE_GPU_MAX_RESOURCES; i++) {
		if (gpu->resources[i].id == id)
			return &gpu->resources[i];
	}
	return NULL;
}

/* The resource a command names at `offset`, or NULL (a violation: the core sent it). */
static struct fake_gpu_res *named_resource(struct command *c, size_t offset)
{
	struct fake_gpu_res *res;
	uint32_t id;

	memcpy(&id, c->buf + offset, sizeof(id));
	res = find_resource(c->gpu, id);
	if (!res)
		fake_gpu_violation(c->gpu, "cmd 0x%x: unknown resource %u", c->hdr.type, id);
	return res;
}

static void release_resource(struct fake_gpu_res *res)
{
	free(res->entries);
	free(res->host);
	memset(res, 0, sizeof(*res));
}

unsigned fake_gpu_tables_clear(struct fake_gpu *gpu)
{
	unsigned live = gpu->ncontexts + gpu->nresources;

	for (unsigned i = 0; i < FAKE_GPU_MAX_RESOURCES; i++)
		release_resource(&gpu->resources[i]);
	memset(gpu->contexts, 0, sizeof(gpu->contexts));
	gpu->ncontexts = 0;
	gpu->nresources = 0;
	return live;
}

static uint32_t cmd_get_capset_info(struct command *c)
{
	struct wire_get_capset_info req;
	struct wire_resp_capset_info resp = { 0 };

	memcpy(&req, c->buf, sizeof(req));
	if (req.capset_index >= c->gpu->cfg.num_capsets) {
		fake_gpu_violation(c->gpu, "capset index %u of %u", req.capset_index,
				   c->gpu->cfg.num_capsets);
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
	resp.capset_id = req.capset_index + 1;
	resp.capset_max_version = capset_version(resp.capset_id);
	resp.capset_max_size = capset_size(resp.capset_id);
	memcpy(c->answer->buf, &resp, sizeof(resp));
	c->answer->len = sizeof(resp);
	return WIRE_RESP_OK_CAPSET_INFO;
}

static uint32_t cmd_get_capset(struct command *c)
{
	uint8_t *out = c->answer->buf + sizeof(struct wire_hdr);
	struct wire_get_capset req;

	memcpy(&req, c->buf, sizeof(req));
	if (req.capset_id == 0 || req.capset_id > c->gpu->cfg.num_capsets ||
	    req.capset_version > capset_version(req.capset_id)) {
		fake_gpu_violation(c->gpu, "capset %u version %u", req.capset_id,
				   req.capset_version);
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
	for (uint32_t i = 0; i < capset_size(req.capset_id); i++)
		out[i] = fake_gpu_capset_byte(req.capset_id, i);
	c->answer->len = sizeof(struct wire_hdr) + capset_size(req.capset_id);
	return WIRE_RESP_OK_CAPSET;
}

static uint32_t cmd_ctx_create(struct command *c)
{
	struct fake_gpu *gpu = c->gpu;
	struct wire_ctx_create req;
	int slot;

	memcpy(&req, c->buf, sizeof(req));
	if (!req.hdr.ctx_id || find_context(gpu, req.hdr.ctx_id) >= 0) {
		fake_gpu_violation(gpu, "context %u created twice or zero", req.hdr.ctx_id);
		return WIRE_RESP_ERR_INVALID_CONTEXT_ID;
	}
	if (req.nlen > sizeof(req.debug_name))
		fake_gpu_violation(gpu, "context name length %u", req.nlen);
	if (req.context_init &&
	    !(gpu->driver_features & (1ull << VIRTIO_GPU_FEAT_CONTEXT_INIT)))
		fake_gpu_violation(gpu, "context_init 0x%x without CONTEXT_INIT", req.context_init);
	slot = -1;
	for (unsigned i = 0; slot < 0 && i < FAKE_GPU_MAX_CONTEXTS; i++) {
		if (!gpu->contexts[i].id)
			slot = (int)i;
	}
	if (slot < 0)
		return WIRE_RESP_ERR_OUT_OF_MEMORY;
	gpu->contexts[slot].id = req.hdr.ctx_id;
	gpu->contexts[slot].capset = req.context_init & WIRE_CONTEXT_INIT_CAPSET_ID_MASK;
	gpu->ncontexts++;
	return WIRE_RESP_OK_NODATA;
}

static uint32_t cmd_ctx_destroy(struct command *c)
{
	uint64_t bit = 1ull << c->ctx_slot;

	for (unsigned i = 0; i < FAKE_GPU_MAX_RESOURCES; i++)
		c->gpu->resources[i].ctx_mask &= ~bit;
	memset(&c->gpu->contexts[c->ctx_slot], 0, sizeof(c->gpu->contexts[0]));
	c->gpu->ncontexts--;
	return WIRE_RESP_OK_NODATA;
}

static uint32_t level_count_limit(uint32_t w, uint32_t h, uint32_t d)
{
	uint32_t m = w > h ? w : h;
	uint32_t levels = 0;

	m = m > d ? m : d;
	while (m >>= 1)
		levels++;
	return levels;
}

static bool resource_desc_ok(const struct wire_resource_create_3d *r)
{
	if (r->target >= PIPE_MAX_TEXTURE_TYPES || !r->width || !r->height || !r->depth ||
	    !r->array_size || r->pad)
		return false;
	if (r->target == PIPE_BUFFER &&
	    (r->height != 1 || r->depth != 1 || r->array_size != 1 || r->last_level))
		return false;
	return r->last_level <= level_count_limit(r->width, r->height, r->depth);
}

static uint8_t host_byte(uint32_t res_id, uint64_t offset)
{
	return (uint8_t)(res_id * 13u + offset * 3u + 1u);
}

static uint32_t cmd_resource_create_3d(struct command *c)
{
	struct fake_gpu *gpu = c->gpu;
	struct wire_resource_create_3d req;
	struct fake_gpu_res *res;

	memcpy(&req, c->buf, sizeof(req));
	if (!req.resource_id || find_resource(gpu, req.resource_id)) {
		fake_gpu_violation(gpu, "resource %u created twice or zero", req.resource_id);
		return WIRE_RESP_ERR_INVALID_RESOURCE_ID;
	}
	if (!resource_desc_ok(&req)) {
		fake_gpu_violation(gpu, "resource %u: bad description", req.resource_id);
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
	res = NULL;
	for (unsigned i = 0; !res && i < FAKE_GPU_MAX_RESOURCES; i++) {
		if (!gpu->resources[i].id)
			res = &gpu->resources[i];
	}
	if (!res)
		return WIRE_RESP_ERR_OUT_OF_MEMORY;
	*res = (struct fake_gpu_res){
		.id = req.resource_id, .target = req.target, .width = req.width,
		.height = req.height, .depth = req.depth, .array_size = req.array_size,
		.last_level = req.last_level, .nr_samples = req.nr_samples,
	};
	if (req.target == PIPE_BUFFER && req.width <= HOST_COPY_MAX) {
		res->host = malloc(req.width);
		for (uint32_t i = 0; res->host && i < req.width; i++)
			res->host[i] = host_byte(req.resource_id, i);
	}
	gpu->nresources++;
	return WIRE_RESP_OK_NODATA;
}

static uint32_t cmd_resource_unref(struct command *c)
{
	struct fake_gpu_res *res = named_resource(c, offsetof(struct wire_resource_unref,
							       resource_id));

	if (!res)
		return WIRE_RESP_ERR_INVALID_RESOURCE_ID;
	if (res->mapped)
		fake_gpu_violation(c->gpu, "blob %u unreferenced while mapped", res->id);
	release_resource(res);
	c->gpu->nresources--;
	return WIRE_RESP_OK_NODATA;
}

static bool backing_entries_ok(struct command *c, const struct wire_mem_entry *e, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (!e[i].length || e[i].pad ||
		    !fake_os_map_pa(c->gpu->os, e[i].addr, e[i].length)) {
			fake_gpu_violation(c->gpu, "backing entry %u: 0x%llx + %u", i,
					   (unsigned long long)e[i].addr, e[i].length);
			return false;
		}
	}
	return true;
}

static uint32_t cmd_attach_backing(struct command *c)
{
	struct wire_attach_backing req;
	struct fake_gpu_res *res;
	size_t bytes;

	memcpy(&req, c->buf, sizeof(req));
	bytes = (size_t)req.nr_entries * sizeof(struct wire_mem_entry);
	if (!req.nr_entries || req.nr_entries > MAX_BACKING_ENTRIES ||
	    c->len != sizeof(req) + bytes) {
		fake_gpu_violation(c->gpu, "attach_backing: %u entries in %zu bytes",
				   req.nr_entries, c->len);
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
	res = named_resource(c, offsetof(struct wire_attach_backing, resource_id));
	if (!res)
		return WIRE_RESP_ERR_INVALID_RESOURCE_ID;
	if (res->entries || res->blob) {
		fake_gpu_violation(c->gpu, "resource %u: backing attached twice", res->id);
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
	res->entries = malloc(bytes);
	if (!res->entries)
		return WIRE_RESP_ERR_OUT_OF_MEMORY;
	memcpy(res->entries, c->buf + sizeof(req), bytes);
	if (!backing_entries_ok(c, res->entries, req.nr_entries)) {
		free(res->entries);
		res->entries = NULL;
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
	res->nr_entries = req.nr_entries;
	res->backing_len = 0;
	for (uint32_t i = 0; i < req.nr_entries; i++)
		res->backing_len += res->entries[i].length;
	return WIRE_RESP_OK_NODATA;
}

/* Mvisor's ATTACH_BACKING: one range, packed. */
struct mvisor_attach_backing {
	struct wire_hdr hdr;
	uint32_t resource_id;
	uint32_t nr_entries;
	uint64_t gpa;
	uint32_t size;
} __attribute__((packed));

static uint32_t cmd_mvisor_attach_backing(struct command *c)
{
	struct mvisor_attach_backing req;
	struct fake_gpu_res *res;

	if (c->len != sizeof(req)) {
		fake_gpu_violation(c->gpu, "mvisor attach_backing of %zu bytes", c->len);
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
	memcpy(&req, c->buf, sizeof(req));
	res = named_resource(c, offsetof(struct mvisor_attach_backing, resource_id));
	if (!res)
		return WIRE_RESP_ERR_INVALID_RESOURCE_ID;
	if (res->entries || res->blob || req.nr_entries != 1) {
		fake_gpu_violation(c->gpu, "resource %u: mvisor backing twice or %u ranges",
				   res->id, req.nr_entries);
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
	res->entries = malloc(sizeof(*res->entries));
	if (!res->entries)
		return WIRE_RESP_ERR_OUT_OF_MEMORY;
	*res->entries = (struct wire_mem_entry){ .addr = req.gpa, .length = req.size };
	if (!backing_entries_ok(c, res->entries, 1)) {
		free(res->entries);
		res->entries = NULL;
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
	res->nr_entries = 1;
	res->backing_len = req.size;
	return WIRE_RESP_OK_NODATA;
}

static uint32_t cmd_detach_backing(struct command *c)
{
	struct fake_gpu_res *res = named_resource(c, offsetof(struct wire_detach_backing,
							       resource_id));

	if (!res)
		return WIRE_RESP_ERR_INVALID_RESOURCE_ID;
	if (!res->entries) {
		fake_gpu_violation(c->gpu, "resource %u: detach without backing", res->id);
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
	free(res->entries);
	res->entries = NULL;
	res->nr_entries = 0;
	res->backing_len = 0;
	return WIRE_RESP_OK_NODATA;
}

static uint32_t ctx_resource(struct command *c, bool attach)
{
	struct fake_gpu_res *res = named_resource(c, offsetof(struct wire_ctx_resource,
							       resource_id));
	uint64_t bit = 1ull << c->ctx_slot;

	if (!res)
		return WIRE_RESP_ERR_INVALID_RESOURCE_ID;
	if (!!(res->ctx_mask & bit) == attach) {
		fake_gpu_violation(c->gpu, "resource %u %s context %u twice", res->id,
				   attach ? "attached to" : "detached from", c->hdr.ctx_id);
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
	res->ctx_mask ^= bit;
	return WIRE_RESP_OK_NODATA;
}

static uint32_t cmd_ctx_attach(struct command *c)
{
	return ctx_resource(c, true);
}

static uint32_t cmd_ctx_detach(struct command *c)
{
	return ctx_resource(c, false);
}

/* Copy between a buffer's host bytes and its scattered backing. */
static void copy_backing(struct fake_gpu *gpu, struct fake_gpu_res *res, uint64_t offset,
			 uint64_t len, bool to_host, uint64_t host_offset)
{
	for (uint32_t i = 0; i < res->nr_entries && len; i++) {
		const struct wire_mem_entry *e = &res->entries[i];
		uint64_t n;
		uint8_t *va;

		if (offset >= e->length) {
			offset -= e->length;
			continue;
		}
		n = e->length - offset < len ? e->length - offset : len;
		va = fake_os_map_pa(gpu->os, e->addr + offset, n);
		if (!va) {
			fake_gpu_violation(gpu, "resource %u: backing freed under the device",
					   res->id);
			return;
		}
		if (to_host)
			memcpy(res->host + host_offset, va, n);
		else
			memcpy(va, res->host + host_offset, n);
		host_offset += n;
		len -= n;
		offset = 0;
	}
}

static bool box_in_level(const struct fake_gpu_res *res, const struct wire_transfer_3d *t)
{
	uint32_t depth = res->target == PIPE_TEXTURE_3D ? vgpu_minify(res->depth, t->level)
							: res->array_size;
	const struct wire_box *b = &t->box;

	if (!b->w || !b->h || !b->d || t->level > res->last_level)
		return false;
	return (uint64_t)b->x + b->w <= vgpu_minify(res->width, t->level) &&
	       (uint64_t)b->y + b->h <= vgpu_minify(res->height, t->level) &&
	       (uint64_t)b->z + b->d <= depth;
}

static uint32_t transfer(struct command *c, bool to_host)
{
	struct wire_transfer_3d req;
	struct fake_gpu_res *res;

	memcpy(&req, c->buf, sizeof(req));
	res = named_resource(c, offsetof(struct wire_transfer_3d, resource_id));
	if (!res)
		return WIRE_RESP_ERR_INVALID_RESOURCE_ID;
	if (!(res->ctx_mask & (1ull << c->ctx_slot)) || !res->entries || !box_in_level(res, &req) ||
	    req.offset >= res->backing_len) {
		fake_gpu_violation(c->gpu, "transfer of resource %u: not attached, no backing "
				   "or box outside", res->id);
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
	if (res->target != PIPE_BUFFER || !res->host)
		return WIRE_RESP_OK_NODATA;
	if (req.offset + req.box.w > res->backing_len) {
		fake_gpu_violation(c->gpu, "buffer transfer past the backing of %u", res->id);
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
	copy_backing(c->gpu, res, req.offset, req.box.w, to_host, req.box.x);
	return WIRE_RESP_OK_NODATA;
}

static uint32_t cmd_transfer_to_host(struct command *c)
{
	return transfer(c, true);
}

static uint32_t cmd_transfer_from_host(struct command *c)
{
	return transfer(c, false);
}

static uint32_t cmd_submit_3d(struct command *c)
{
	struct wire_submit_3d req;

	memcpy(&req, c->buf, sizeof(req));
	if (req.size != c->len - sizeof(req) || req.size % 4 || req.pad) {
		fake_gpu_violation(c->gpu, "submit of %u bytes in %zu", req.size, c->len);
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
	return WIRE_RESP_OK_NODATA;
}

/* ---- blobs ---- */

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
	return gpu->cfg.mvisor ||
	       (gpu->driver_features & (1ull << VIRTIO_GPU_FEAT_RESOURCE_BLOB));
}

/* What the standard part of a CREATE_BLOB must say; a violation otherwise. */
static bool blob_fields_ok(struct command *c, const struct wire_resource_create_blob *b)
{
	if (!blob_supported(c->gpu) || !b->resource_id || find_resource(c->gpu, b->resource_id) ||
	    b->blob_mem != WIRE_BLOB_MEM_HOST3D || (b->blob_flags & ~WIRE_BLOB_FLAG_USE_MAPPABLE) ||
	    b->nr_entries || !b->blob_id || b->blob_id > UINT32_MAX || !b->size ||
	    b->size % 4096u) {
		fake_gpu_violation(c->gpu, "create_blob %u: mem %u flags 0x%x entries %u id %llu "
				   "size %llu", b->resource_id, b->blob_mem, b->blob_flags,
				   b->nr_entries, (unsigned long long)b->blob_id,
				   (unsigned long long)b->size);
		return false;
	}
	return true;
}

/* Mvisor's description, as RESOURCE_CREATE_3D would carry it. */
static bool mvisor_desc_ok(struct command *c, const struct mvisor_create_blob *m)
{
	struct wire_resource_create_3d r = {
		.target = m->target, .format = m->format, .bind = m->bind, .width = m->width,
		.height = m->height, .depth = m->depth, .array_size = m->array_size,
		.last_level = m->last_level, .nr_samples = m->nr_samples, .flags = m->flags,
	};

	if (!resource_desc_ok(&r)) {
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

static uint32_t cmd_create_blob(struct command *c)
{
	struct mvisor_create_blob m = { 0 };
	size_t want = c->gpu->cfg.mvisor ? sizeof(m) : sizeof(m.blob);
	struct fake_gpu_res *res = NULL;

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
	for (unsigned i = 0; !res && i < FAKE_GPU_MAX_RESOURCES; i++) {
		if (!c->gpu->resources[i].id)
			res = &c->gpu->resources[i];
	}
	if (!res)
		return WIRE_RESP_ERR_OUT_OF_MEMORY;
	*res = (struct fake_gpu_res){
		.id = m.blob.resource_id, .target = m.target, .width = m.width,
		.height = m.height, .depth = m.depth, .array_size = m.array_size,
		.last_level = m.last_level, .nr_samples = m.nr_samples, .blob = true,
		.blob_flags = m.blob.blob_flags, .blob_id = m.blob.blob_id,
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
static bool placement_ok(struct command *c, const struct fake_gpu_res *res, uint64_t offset)
{
	uint64_t size = c->gpu->cfg.host_visible_size;

	if (offset % 4096u || offset > size || res->blob_size > size - offset ||
	    mapped_over(c->gpu, offset, res->blob_size)) {
		fake_gpu_violation(c->gpu, "blob %u mapped at 0x%llx: outside, misaligned or "
				   "overlapping", res->id, (unsigned long long)offset);
		return false;
	}
	return true;
}

static uint32_t answer_map_info(struct command *c, const struct fake_gpu_res *res)
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

static uint32_t cmd_map_blob(struct command *c)
{
	struct wire_resource_map_blob req;
	struct fake_gpu_res *res = named_resource(c, offsetof(struct wire_resource_map_blob,
							       resource_id));

	memcpy(&req, c->buf, sizeof(req));
	if (!res)
		return WIRE_RESP_ERR_INVALID_RESOURCE_ID;
	if (!res->blob || !(res->blob_flags & WIRE_BLOB_FLAG_USE_MAPPABLE) || res->mapped ||
	    req.pad || (c->gpu->cfg.mvisor && req.offset)) {
		fake_gpu_violation(c->gpu, "map_blob %u: not a mappable blob, mapped already, "
				   "or nonzero pad/offset", res->id);
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

static uint32_t cmd_unmap_blob(struct command *c)
{
	struct fake_gpu_res *res = named_resource(c, offsetof(struct wire_resource_unmap_blob,
							       resource_id));

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

static const struct command_type command_types[] = {
	{ WIRE_CMD_GET_CAPSET_INFO, sizeof(struct wire_get_capset_info), false,
	  cmd_get_capset_info },
	{ WIRE_CMD_GET_CAPSET, sizeof(struct wire_get_capset), false, cmd_get_capset },
	{ WIRE_CMD_CTX_CREATE, sizeof(struct wire_ctx_create), false, cmd_ctx_create },
	{ WIRE_CMD_CTX_DESTROY, sizeof(struct wire_hdr), true, cmd_ctx_destroy },
	{ WIRE_CMD_RESOURCE_CREATE_3D, sizeof(struct wire_resource_create_3d), false,
	  cmd_resource_create_3d },
	{ WIRE_CMD_RESOURCE_UNREF, sizeof(struct wire_resource_unref), false, cmd_resource_unref },
	{ WIRE_CMD_RESOURCE_ATTACH_BACKING, 0, false, cmd_attach_backing },
	{ WIRE_CMD_RESOURCE_DETACH_BACKING, sizeof(struct wire_detach_backing), false,
	  cmd_detach_backing },
	{ WIRE_CMD_CTX_ATTACH_RESOURCE, sizeof(struct wire_ctx_resource), true, cmd_ctx_attach },
	{ WIRE_CMD_CTX_DETACH_RESOURCE, sizeof(struct wire_ctx_resource), true, cmd_ctx_detach },
	{ WIRE_CMD_TRANSFER_TO_HOST_3D, sizeof(struct wire_transfer_3d), true,
	  cmd_transfer_to_host },
	{ WIRE_CMD_TRANSFER_FROM_HOST_3D, sizeof(struct wire_transfer_3d), true,
	  cmd_transfer_from_host },
	{ WIRE_CMD_SUBMIT_3D, 0, true, cmd_submit_3d },
	{ WIRE_CMD_RESOURCE_CREATE_BLOB, 0, true, cmd_create_blob },
	{ WIRE_CMD_RESOURCE_MAP_BLOB, sizeof(struct wire_resource_map_blob), false, cmd_map_blob },
	{ WIRE_CMD_RESOURCE_UNMAP_BLOB, sizeof(struct wire_resource_unmap_blob), false,
	  cmd_unmap_blob },
};

static const struct command_type *command_type(uint32_t type)
{
	for (size_t i = 0; i < sizeof(command_types) / sizeof(command_types[0]); i++) {
		if (command_types[i].type == type)
			return &command_types[i];
	}
	return NULL;
}

/* Mvisor's VMM takes capset queries and contexts on queue 1, the rest on queue 0. */
static uint16_t expected_queue(const struct fake_gpu *gpu, uint32_t type)
{
	if (!gpu->cfg.mvisor)
		return 0;
	return type == WIRE_CMD_GET_CAPSET_INFO || type == WIRE_CMD_GET_CAPSET ||
	       type == WIRE_CMD_CTX_CREATE || type == WIRE_CMD_CTX_DESTROY;
}

uint32_t fake_gpu_execute(struct fake_gpu *gpu, uint16_t queue, const uint8_t *buf, size_t len,
			  struct fake_gpu_answer *answer)
{
	struct command c = { .gpu = gpu, .buf = buf, .len = len, .answer = answer };
	const struct command_type *ct;

	memcpy(&c.hdr, buf, sizeof(c.hdr));
	if (queue != expected_queue(gpu, c.hdr.type))
		fake_gpu_violation(gpu, "cmd 0x%x on queue %u", c.hdr.type, queue);
	if (gpu->cfg.mvisor && c.hdr.type == WIRE_CMD_RESOURCE_ATTACH_BACKING) {
		c.ctx_slot = -1;
		return cmd_mvisor_attach_backing(&c);
	}
	ct = command_type(c.hdr.type);
	if (!ct) {
		fake_gpu_violation(gpu, "unknown command 0x%x", c.hdr.type);
		return WIRE_RESP_ERR_UNSPEC;
	}
	if (ct->size ? len != ct->size : len < sizeof(struct wire_submit_3d)) {
		fake_gpu_violation(gpu, "cmd 0x%x of %zu bytes", c.hdr.type, len);
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
	c.ctx_slot = find_context(gpu, c.hdr.ctx_id);
	if (ct->in_context && c.ctx_slot < 0) {
		fake_gpu_violation(gpu, "cmd 0x%x: unknown context %u", c.hdr.type, c.hdr.ctx_id);
		return WIRE_RESP_ERR_INVALID_CONTEXT_ID;
	}
	return ct->run(&c);
}

uint32_t fake_gpu_command_subject(const uint8_t *buf, size_t len)
{
	struct wire_hdr hdr;
	size_t at = sizeof(hdr);
	uint32_t id = 0;

	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.type == WIRE_CMD_TRANSFER_TO_HOST_3D || hdr.type == WIRE_CMD_TRANSFER_FROM_HOST_3D)
		at = offsetof(struct wire_transfer_3d, resource_id);
	else if (hdr.type == WIRE_CMD_CTX_CREATE || hdr.type == WIRE_CMD_CTX_DESTROY ||
		 hdr.type == WIRE_CMD_SUBMIT_3D || hdr.type == WIRE_CMD_GET_CAPSET_INFO)
		return 0;
	if (len >= at + sizeof(id))
		memcpy(&id, buf + at, sizeof(id));
	return id;
}

unsigned fake_gpu_live_contexts(struct fake_gpu *gpu)
{
	return fake_gpu_read_count(gpu, &gpu->ncontexts);
}

unsigned fake_gpu_live_resources(struct fake_gpu *gpu)
{
	return fake_gpu_read_count(gpu, &gpu->nresources);
}

unsigned fake_gpu_mapped_blobs(struct fake_gpu *gpu)
{
	unsigned n = 0;

	pthread_mutex_lock(&gpu->mutex);
	for (unsigned i = 0; i < FAKE_GPU_MAX_RESOURCES; i++)
		n += gpu->resources[i].id && gpu->resources[i].mapped;
	pthread_mutex_unlock(&gpu->mutex);
	return n;
}

const struct fake_gpu_res *fake_gpu_resource(struct fake_gpu *gpu, uint32_t res_id)
{
	const struct fake_gpu_res *res;

	pthread_mutex_lock(&gpu->mutex);
	res = find_resource(gpu, res_id);
	pthread_mutex_unlock(&gpu->mutex);
	return res;
}
