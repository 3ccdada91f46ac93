/* SPDX-License-Identifier: MIT */
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
#define MAX_BACKING_ENTRIES 16384u

struct command_type {
	uint32_t type;
	uint32_t size;   /* exact request bytes; 0: the handler checks */
	bool in_context; /* hdr.ctx_id must name a live context */
	uint32_t (*run)(struct fake_gpu_command *c);
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

struct fake_gpu_res *fake_gpu_find_resource(struct fake_gpu *gpu, uint32_t id)
{
	for (unsigned i = 0; id && i < FAKE_GPU_MAX_RESOURCES; i++) {
		if (gpu->resources[i].id == id)
			return &gpu->resources[i];
	}
	return NULL;
}

struct fake_gpu_res *fake_gpu_named_resource(struct fake_gpu_command *c, size_t offset)
{
	struct fake_gpu_res *res;
	uint32_t id;

	memcpy(&id, c->buf + offset, sizeof(id));
	res = fake_gpu_find_resource(c->gpu, id);
	if (!res)
		fake_gpu_violation(c->gpu, "cmd 0x%x: unknown resource %u", c->hdr.type, id);
	return res;
}

struct fake_gpu_res *fake_gpu_free_resource_slot(struct fake_gpu *gpu)
{
	for (unsigned i = 0; i < FAKE_GPU_MAX_RESOURCES; i++) {
		if (!gpu->resources[i].id)
			return &gpu->resources[i];
	}
	return NULL;
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

static uint32_t cmd_get_capset_info(struct fake_gpu_command *c)
{
	struct wire_get_capset_info req;
	struct wire_resp_capset_info resp = { 0 };

	memcpy(&req, c->buf, sizeof(req));
	if (req.capset_index >= c->gpu->cfg.num_capsets) {
		fake_gpu_violation(c->gpu, "capset index %u of %u", req.capset_index,
				   c->gpu->cfg.num_capsets);
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
	resp.capset_id = c->gpu->cfg.malformed_capsets ? 0 : req.capset_index + 1;
	resp.capset_max_version = capset_version(resp.capset_id);
	resp.capset_max_size = capset_size(resp.capset_id);
	memcpy(c->answer->buf, &resp, sizeof(resp));
	c->answer->len = sizeof(resp);
	return WIRE_RESP_OK_CAPSET_INFO;
}

static uint32_t cmd_get_capset(struct fake_gpu_command *c)
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

static uint32_t cmd_ctx_create(struct fake_gpu_command *c)
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
	if (req.context_init && !(gpu->driver_features & (1ull << VIRTIO_GPU_FEAT_CONTEXT_INIT)))
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

static uint32_t cmd_ctx_destroy(struct fake_gpu_command *c)
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

bool fake_gpu_resource_desc_ok(const struct wire_resource_create_3d *r)
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

/*
 * A buffer's host bytes: host_byte's pattern repeats every 256 bytes, so
 * one period is computed and the rest copied (buffers of up to
 * HOST_COPY_MAX bytes).
 */
static uint8_t *host_bytes(uint32_t res_id, uint32_t len)
{
	uint8_t *host = malloc(len);
	uint32_t done;

	if (!host)
		return NULL;
	for (done = 0; done < len && done < 256u; done++)
		host[done] = host_byte(res_id, done);
	while (done < len) {
		uint32_t n = len - done < done ? len - done : done;

		memcpy(host + done, host, n);
		done += n;
	}
	return host;
}

static uint32_t cmd_resource_create_3d(struct fake_gpu_command *c)
{
	struct fake_gpu *gpu = c->gpu;
	struct wire_resource_create_3d req;
	struct fake_gpu_res *res;

	memcpy(&req, c->buf, sizeof(req));
	if (!req.resource_id || fake_gpu_find_resource(gpu, req.resource_id)) {
		fake_gpu_violation(gpu, "resource %u created twice or zero", req.resource_id);
		return WIRE_RESP_ERR_INVALID_RESOURCE_ID;
	}
	if (!fake_gpu_resource_desc_ok(&req)) {
		fake_gpu_violation(gpu, "resource %u: bad description", req.resource_id);
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
	res = fake_gpu_free_resource_slot(gpu);
	if (!res)
		return WIRE_RESP_ERR_OUT_OF_MEMORY;
	*res = (struct fake_gpu_res){
		.id = req.resource_id,
		.target = req.target,
		.width = req.width,
		.height = req.height,
		.depth = req.depth,
		.array_size = req.array_size,
		.last_level = req.last_level,
		.nr_samples = req.nr_samples,
	};
	if (req.target == PIPE_BUFFER && req.width <= HOST_COPY_MAX)
		res->host_len = req.width;
	gpu->nresources++;
	return WIRE_RESP_OK_NODATA;
}

static uint32_t cmd_resource_unref(struct fake_gpu_command *c)
{
	struct fake_gpu_res *res =
		fake_gpu_named_resource(c, offsetof(struct wire_resource_unref, resource_id));

	if (!res)
		return WIRE_RESP_ERR_INVALID_RESOURCE_ID;
	if (res->mapped)
		fake_gpu_violation(c->gpu, "blob %u unreferenced while mapped", res->id);
	release_resource(res);
	c->gpu->nresources--;
	return WIRE_RESP_OK_NODATA;
}

static bool backing_entries_ok(struct fake_gpu_command *c, const struct wire_mem_entry *e,
			       uint32_t n)
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

static uint32_t cmd_attach_backing(struct fake_gpu_command *c)
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
	res = fake_gpu_named_resource(c, offsetof(struct wire_attach_backing, resource_id));
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

static uint32_t cmd_mvisor_attach_backing(struct fake_gpu_command *c)
{
	struct mvisor_attach_backing req;
	struct fake_gpu_res *res;

	if (c->len != sizeof(req)) {
		fake_gpu_violation(c->gpu, "mvisor attach_backing of %zu bytes", c->len);
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
	memcpy(&req, c->buf, sizeof(req));
	res = fake_gpu_named_resource(c, offsetof(struct mvisor_attach_backing, resource_id));
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

static uint32_t cmd_detach_backing(struct fake_gpu_command *c)
{
	struct fake_gpu_res *res =
		fake_gpu_named_resource(c, offsetof(struct wire_detach_backing, resource_id));

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

static uint32_t ctx_resource(struct fake_gpu_command *c, bool attach)
{
	struct fake_gpu_res *res =
		fake_gpu_named_resource(c, offsetof(struct wire_ctx_resource, resource_id));
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

static uint32_t cmd_ctx_attach(struct fake_gpu_command *c)
{
	return ctx_resource(c, true);
}

static uint32_t cmd_ctx_detach(struct fake_gpu_command *c)
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

static uint32_t transfer(struct fake_gpu_command *c, bool to_host)
{
	struct wire_transfer_3d req;
	struct fake_gpu_res *res;

	memcpy(&req, c->buf, sizeof(req));
	res = fake_gpu_named_resource(c, offsetof(struct wire_transfer_3d, resource_id));
	if (!res)
		return WIRE_RESP_ERR_INVALID_RESOURCE_ID;
	if (!(res->ctx_mask & (1ull << c->ctx_slot)) || !res->entries || !box_in_level(res, &req) ||
	    req.offset >= res->backing_len) {
		fake_gpu_violation(c->gpu,
				   "transfer of resource %u: not attached, no backing "
				   "or box outside",
				   res->id);
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
	if (res->target != PIPE_BUFFER || !res->host_len)
		return WIRE_RESP_OK_NODATA;
	if (req.offset + req.box.w > res->backing_len) {
		fake_gpu_violation(c->gpu, "buffer transfer past the backing of %u", res->id);
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
	/* Made only now: the fuzzers create large buffers by the thousand and move few. */
	if (!res->host)
		res->host = host_bytes(res->id, res->host_len);
	if (!res->host)
		return WIRE_RESP_ERR_OUT_OF_MEMORY;
	copy_backing(c->gpu, res, req.offset, req.box.w, to_host, req.box.x);
	return WIRE_RESP_OK_NODATA;
}

static uint32_t cmd_transfer_to_host(struct fake_gpu_command *c)
{
	return transfer(c, true);
}

static uint32_t cmd_transfer_from_host(struct fake_gpu_command *c)
{
	return transfer(c, false);
}

static uint32_t cmd_submit_3d(struct fake_gpu_command *c)
{
	struct wire_submit_3d req;

	memcpy(&req, c->buf, sizeof(req));
	if (req.size != c->len - sizeof(req) || req.size % 4 || req.pad) {
		fake_gpu_violation(c->gpu, "submit of %u bytes in %zu", req.size, c->len);
		return WIRE_RESP_ERR_INVALID_PARAMETER;
	}
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
	{ WIRE_CMD_RESOURCE_CREATE_BLOB, 0, true, fake_gpu_cmd_create_blob },
	{ WIRE_CMD_RESOURCE_MAP_BLOB, sizeof(struct wire_resource_map_blob), false,
	  fake_gpu_cmd_map_blob },
	{ WIRE_CMD_RESOURCE_UNMAP_BLOB, sizeof(struct wire_resource_unmap_blob), false,
	  fake_gpu_cmd_unmap_blob },
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
	struct fake_gpu_command c = { .gpu = gpu, .buf = buf, .len = len, .answer = answer };
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

unsigned fake_gpu_freed_backings(struct fake_gpu *gpu)
{
	unsigned n = 0;

	pthread_mutex_lock(&gpu->mutex);
	for (unsigned i = 0; i < FAKE_GPU_MAX_RESOURCES; i++) {
		const struct fake_gpu_res *r = &gpu->resources[i];

		for (uint32_t e = 0; r->id && r->entries && e < r->nr_entries; e++) {
			if (!fake_os_map_pa(gpu->os, r->entries[e].addr, r->entries[e].length)) {
				n++;
				break;
			}
		}
	}
	pthread_mutex_unlock(&gpu->mutex);
	return n;
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
	res = fake_gpu_find_resource(gpu, res_id);
	pthread_mutex_unlock(&gpu->mutex);
	return res;
}
