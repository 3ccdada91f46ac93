// SPDX-License-Identifier: MIT
/*
 * The fake virtio-gpu device: transport operations, request handling,
 * the command set with its tables of contexts and resources, deferred
 * completion and fault injection.
 */
#include "fake_gpu.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_ACKNOWLEDGE 1u
#define STATUS_DRIVER 2u
#define STATUS_DRIVER_OK 4u
#define STATUS_FEATURES_OK 8u
#define STATUS_FAILED 128u
/* Requests larger than this are refused (a submit plus headroom, or a long backing list). */
#define MAX_REQUEST_BYTES (4u << 20)
/* Bytes the device reports for a truncated answer: less than a wire_hdr. */
#define TRUNCATED_BYTES 8u
#define MAX_RECORDED_DATA (64u << 20)

__attribute__((format(printf, 2, 3)))
static void fake_gpu_violation(struct fake_gpu *gpu, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(gpu->last_violation, sizeof(gpu->last_violation), fmt, ap);
	va_end(ap);
	gpu->stats.violations++;
	fprintf(stderr, "fake_gpu: violation: %s\n", gpu->last_violation);
}

struct fake_gpu_config fake_gpu_default_config(void)
{
	return (struct fake_gpu_config){
		.features = (1ull << VIRTIO_GPU_FEAT_VIRGL) | (1ull << VGPU_VIRTIO_F_VERSION_1) |
			    (1ull << VGPU_VIRTIO_F_INDIRECT_DESC) |
			    (1ull << VGPU_VIRTIO_F_EVENT_IDX),
		.queue_size = 64,
		.num_capsets = 2,
		.num_scanouts = 0,
	};
}

/* ---- the command set: tables of contexts and resources ---- */

#define ANSWER_MAX (sizeof(struct wire_hdr) + FAKE_GPU_CAPSET2_SIZE)
#define PIPE_BUFFER 0u
#define PIPE_TEXTURE_3D 3u
#define PIPE_MAX_TEXTURE_TYPES 9u
/* Buffers up to this size keep a host copy of their bytes. */
#define HOST_COPY_MAX (16u << 20)
#define MAX_BACKING_ENTRIES 16384u

struct fake_gpu_answer {
	uint32_t len;
	uint8_t buf[ANSWER_MAX];
};

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

static unsigned tables_clear(struct fake_gpu *gpu)
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
		.last_level = req.last_level,
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
	if (res->entries) {
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
};

static const struct command_type *command_type(uint32_t type)
{
	for (size_t i = 0; i < sizeof(command_types) / sizeof(command_types[0]); i++) {
		if (command_types[i].type == type)
			return &command_types[i];
	}
	return NULL;
}

/* Check the command's size and context, run it; returns the answer type. */
static uint32_t execute(struct fake_gpu *gpu, const uint8_t *buf, size_t len,
			struct fake_gpu_answer *answer)
{
	struct command c = { .gpu = gpu, .buf = buf, .len = len, .answer = answer };
	const struct command_type *ct;

	memcpy(&c.hdr, buf, sizeof(c.hdr));
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

/* The id a command is about, for the record: resource, or capset for GET_CAPSET. */
static uint32_t command_subject(const uint8_t *buf, size_t len)
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
	unsigned n;

	pthread_mutex_lock(&gpu->mutex);
	n = gpu->ncontexts;
	pthread_mutex_unlock(&gpu->mutex);
	return n;
}

unsigned fake_gpu_live_resources(struct fake_gpu *gpu)
{
	unsigned n;

	pthread_mutex_lock(&gpu->mutex);
	n = gpu->nresources;
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

struct fake_gpu_pending {
	struct fake_gpu_pending *next;
	uint16_t queue;
	bool fenced;
	bool bogus;
	uint64_t fence_id;
	uint32_t report_len;
	struct fake_gpu_answer answer;
	struct vring_dev_req req;
};

/* ---- interrupt line ---- */

static void raise_irq_locked(struct fake_gpu *gpu, uint16_t queue)
{
	if (!vring_dev_should_interrupt(&gpu->queues[queue]))
		return;
	gpu->isr |= 1;
	gpu->irq_raised++;
	gpu->stats.interrupts++;
	pthread_cond_broadcast(&gpu->irq_cond);
}

static void *irq_thread_main(void *arg)
{
	struct fake_gpu *gpu = arg;

	pthread_mutex_lock(&gpu->mutex);
	while (!gpu->irq_stop) {
		if (gpu->irq_fn && !gpu->irq_inline && gpu->irq_delivered < gpu->irq_raised) {
			uint64_t upto = gpu->irq_raised;
			fake_gpu_irq_fn fn = gpu->irq_fn;
			void *fn_arg = gpu->irq_arg;

			gpu->irq_busy = true;
			pthread_mutex_unlock(&gpu->mutex);
			fn(fn_arg);
			pthread_mutex_lock(&gpu->mutex);
			gpu->irq_busy = false;
			gpu->irq_delivered = upto;
			pthread_cond_broadcast(&gpu->irq_cond);
			continue;
		}
		pthread_cond_wait(&gpu->irq_cond, &gpu->mutex);
	}
	pthread_mutex_unlock(&gpu->mutex);
	return NULL;
}

void fake_gpu_set_irq(struct fake_gpu *gpu, fake_gpu_irq_fn fn, void *arg)
{
	pthread_mutex_lock(&gpu->mutex);
	while (gpu->irq_busy)
		pthread_cond_wait(&gpu->irq_cond, &gpu->mutex);
	gpu->irq_fn = fn;
	gpu->irq_arg = arg;
	pthread_cond_broadcast(&gpu->irq_cond);
	pthread_mutex_unlock(&gpu->mutex);
}

void fake_gpu_set_irq_inline(struct fake_gpu *gpu, bool inline_irq)
{
	pthread_mutex_lock(&gpu->mutex);
	gpu->irq_inline = inline_irq;
	pthread_cond_broadcast(&gpu->irq_cond);
	pthread_mutex_unlock(&gpu->mutex);
}

/*
 * Inline mode: run the handler for what this notify raised on the caller's
 * thread.  Called with the mutex held; returns with it released.
 */
static void unlock_and_deliver_inline(struct fake_gpu *gpu)
{
	fake_gpu_irq_fn fn = gpu->irq_fn;
	void *arg = gpu->irq_arg;
	bool deliver = gpu->irq_inline && fn && gpu->irq_delivered < gpu->irq_raised;

	if (deliver)
		gpu->irq_delivered = gpu->irq_raised;
	pthread_mutex_unlock(&gpu->mutex);
	if (deliver)
		fn(arg);
}

void fake_gpu_sync_irq(struct fake_gpu *gpu)
{
	pthread_mutex_lock(&gpu->mutex);
	while (gpu->irq_fn && !gpu->irq_stop && !gpu->irq_inline &&
	       (gpu->irq_delivered < gpu->irq_raised || gpu->irq_busy))
		pthread_cond_wait(&gpu->irq_cond, &gpu->mutex);
	pthread_mutex_unlock(&gpu->mutex);
}

/* ---- completing requests ---- */

static bool head_in_flight(struct fake_gpu *gpu, uint16_t queue, uint32_t head)
{
	for (struct fake_gpu_pending *p = gpu->pending; p; p = p->next) {
		if (p->queue == queue && p->req.head == head)
			return true;
	}
	return vring_dev_head_queued(&gpu->queues[queue], head);
}

/*
 * Before the real answer, complete two ids the driver does not have in
 * flight: one inside the queue (not a head the device holds or the driver
 * queued) and one past its end.
 */
static void push_bogus_ids(struct fake_gpu *gpu, const struct fake_gpu_pending *p)
{
	struct vring_dev *vr = &gpu->queues[p->queue];

	for (uint32_t k = 1; k < vr->size; k++) {
		uint32_t id = (p->req.head + k) % vr->size;

		if (!head_in_flight(gpu, p->queue, id)) {
			vring_dev_push(vr, id, sizeof(struct wire_hdr));
			gpu->stats.bogus_used++;
			break;
		}
	}
	vring_dev_push(vr, vr->size + p->req.head, sizeof(struct wire_hdr));
	gpu->stats.bogus_used++;
}

static void complete_locked(struct fake_gpu *gpu, struct fake_gpu_pending *p)
{
	struct vring_dev *vr = &gpu->queues[p->queue];

	if (gpu->queue_live[p->queue] && !gpu->dead) {
		vring_dev_write(&p->req, p->answer.buf, p->answer.len);
		if (p->bogus)
			push_bogus_ids(gpu, p);
		vring_dev_push(vr, p->req.head, p->report_len);
		gpu->stats.answered++;
		raise_irq_locked(gpu, p->queue);
	}
	free(p);
}

static bool fenced_pending(const struct fake_gpu *gpu)
{
	for (const struct fake_gpu_pending *p = gpu->pending; p; p = p->next) {
		if (p->fenced)
			return true;
	}
	return false;
}

static void append_pending(struct fake_gpu *gpu, struct fake_gpu_pending *p)
{
	struct fake_gpu_pending **tail = &gpu->pending;

	while (*tail)
		tail = &(*tail)->next;
	p->next = NULL;
	*tail = p;
	gpu->npending++;
	gpu->stats.pending++;
}

static void drop_pending(struct fake_gpu *gpu)
{
	while (gpu->pending) {
		struct fake_gpu_pending *p = gpu->pending;

		gpu->pending = p->next;
		free(p);
	}
	gpu->npending = 0;
}

/* Keep the order of unfenced requests; put fenced ones in fence order in their slots. */
static void order_fenced(struct fake_gpu_pending **v, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (!v[i]->fenced)
			continue;
		for (unsigned j = i + 1; j < n; j++) {
			if (v[j]->fenced && v[j]->fence_id < v[i]->fence_id) {
				struct fake_gpu_pending *t = v[i];

				v[i] = v[j];
				v[j] = t;
			}
		}
	}
}

unsigned fake_gpu_complete_pending(struct fake_gpu *gpu, enum fake_gpu_order order)
{
	struct fake_gpu_pending **v;
	unsigned n, i = 0;

	pthread_mutex_lock(&gpu->mutex);
	n = gpu->npending;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v) {
		pthread_mutex_unlock(&gpu->mutex);
		return 0;
	}
	for (struct fake_gpu_pending *p = gpu->pending; p; p = p->next, i++)
		v[order == FAKE_GPU_REVERSED ? n - 1 - i : i] = p;
	order_fenced(v, n);
	gpu->pending = NULL;
	gpu->npending = 0;
	for (i = 0; i < n; i++)
		complete_locked(gpu, v[i]);
	unlock_and_deliver_inline(gpu);
	free(v);
	fake_gpu_sync_irq(gpu);
	return n;
}

unsigned fake_gpu_pending_count(struct fake_gpu *gpu)
{
	unsigned n;

	pthread_mutex_lock(&gpu->mutex);
	n = gpu->npending;
	pthread_mutex_unlock(&gpu->mutex);
	return n;
}

/* ---- receiving requests ---- */

static void count_command(struct fake_gpu *gpu, uint32_t type)
{
	unsigned group = type >> 8;

	if ((group == 1 || group == 2) && (type & 0xf0) == 0)
		gpu->cmd_counts[group - 1][type & 0xf]++;
}

static void record_command(struct fake_gpu *gpu, uint16_t queue, const uint8_t *buf, size_t len)
{
	struct fake_gpu_record *r;
	struct wire_hdr hdr;

	if (gpu->nrecords >= FAKE_GPU_MAX_RECORDS)
		return;
	memcpy(&hdr, buf, sizeof(hdr));
	r = &gpu->records[gpu->nrecords++];
	*r = (struct fake_gpu_record){
		.queue = queue,
		.type = hdr.type,
		.flags = hdr.flags,
		.fence_id = hdr.fence_id,
		.ctx_id = hdr.ctx_id,
		.resource_id = command_subject(buf, len),
		.request_bytes = (uint32_t)len,
	};
	if (hdr.type == WIRE_CMD_SUBMIT_3D && len > sizeof(struct wire_submit_3d) &&
	    gpu->recorded_data + len <= MAX_RECORDED_DATA) {
		r->data_len = (uint32_t)(len - sizeof(struct wire_submit_3d));
		r->data = malloc(r->data_len);
		if (r->data)
			memcpy(r->data, buf + sizeof(struct wire_submit_3d), r->data_len);
		gpu->recorded_data += len;
	}
}

static const struct fake_gpu_rule *take_rule(struct fake_gpu *gpu, uint32_t type)
{
	for (unsigned i = 0; i < gpu->nrules; i++) {
		struct fake_gpu_rule *r = &gpu->rules[i];

		if (r->remaining == 0 || (r->cmd && r->cmd != type))
			continue;
		if (r->remaining > 0)
			r->remaining--;
		gpu->stats.injected++;
		return r;
	}
	return NULL;
}

static void check_header(struct fake_gpu *gpu, const struct wire_hdr *hdr)
{
	uint32_t allowed = WIRE_FLAG_FENCE;

	if (gpu->driver_features & (1ull << VIRTIO_GPU_FEAT_CONTEXT_INIT))
		allowed |= WIRE_FLAG_INFO_RING_IDX;
	if (hdr->flags & ~allowed)
		fake_gpu_violation(gpu, "cmd 0x%x: flags 0x%x", hdr->type, hdr->flags);
	if (hdr->ring_idx && !(hdr->flags & WIRE_FLAG_INFO_RING_IDX))
		fake_gpu_violation(gpu, "cmd 0x%x: ring_idx without the flag", hdr->type);
	if (hdr->pad[0] || hdr->pad[1] || hdr->pad[2])
		fake_gpu_violation(gpu, "cmd 0x%x: nonzero header pad", hdr->type);
	if (!(hdr->flags & WIRE_FLAG_FENCE))
		return;
	if (hdr->fence_id <= gpu->last_fence)
		fake_gpu_violation(gpu, "cmd 0x%x: fence %llu after %llu", hdr->type,
				   (unsigned long long)hdr->fence_id,
				   (unsigned long long)gpu->last_fence);
	else
		gpu->last_fence = hdr->fence_id;
}

static void set_answer_header(struct fake_gpu_answer *a, uint32_t type, const struct wire_hdr *req)
{
	struct wire_hdr *h = (struct wire_hdr *)a->buf;

	if (a->len < sizeof(*h))
		a->len = sizeof(*h);
	memset(h, 0, sizeof(*h));
	h->type = type;
	if (req && (req->flags & WIRE_FLAG_FENCE)) {
		h->flags = req->flags & (WIRE_FLAG_FENCE | WIRE_FLAG_INFO_RING_IDX);
		h->fence_id = req->fence_id;
		h->ctx_id = req->ctx_id;
		h->ring_idx = req->ring_idx;
	}
}

/* Carry out (or refuse) the command in `buf` and build the answer in p. */
static enum fake_gpu_action build_answer(struct fake_gpu *gpu, struct fake_gpu_pending *p,
					 const uint8_t *buf, size_t len)
{
	const struct fake_gpu_rule *rule;
	enum fake_gpu_action action;
	struct wire_hdr hdr;
	uint32_t type;

	memcpy(&hdr, buf, sizeof(hdr));
	count_command(gpu, hdr.type);
	record_command(gpu, p->queue, buf, len);
	check_header(gpu, &hdr);
	rule = take_rule(gpu, hdr.type);
	action = rule ? rule->action : FAKE_GPU_ANSWER;
	p->answer.len = 0;
	if (action == FAKE_GPU_ERROR)
		type = rule->error;
	else
		type = execute(gpu, buf, len, &p->answer);
	set_answer_header(&p->answer, type, &hdr);
	p->fenced = hdr.flags & WIRE_FLAG_FENCE;
	p->fence_id = hdr.fence_id;
	return action;
}

static void handle_request(struct fake_gpu *gpu, uint16_t queue, const struct vring_dev_req *req)
{
	enum fake_gpu_action action = FAKE_GPU_ANSWER;
	struct fake_gpu_pending *p = calloc(1, sizeof(*p));
	uint8_t *buf = NULL;

	if (!p)
		return;
	p->queue = queue;
	p->req = *req;
	gpu->stats.requests++;
	if (req->readable < sizeof(struct wire_hdr) || req->readable > MAX_REQUEST_BYTES)
		fake_gpu_violation(gpu, "request of %llu bytes", (unsigned long long)req->readable);
	else
		buf = malloc(req->readable);
	if (buf) {
		vring_dev_read(req, buf, req->readable);
		action = build_answer(gpu, p, buf, req->readable);
		free(buf);
	} else {
		set_answer_header(&p->answer, WIRE_RESP_ERR_UNSPEC, NULL);
	}
	if (req->writable < p->answer.len) {
		fake_gpu_violation(gpu, "answer of %u bytes, room for %llu", p->answer.len,
				   (unsigned long long)req->writable);
		p->answer.len = (uint32_t)req->writable;
	}
	p->report_len = action == FAKE_GPU_TRUNCATE ? TRUNCATED_BYTES : p->answer.len;
	p->bogus = action == FAKE_GPU_BOGUS_ID;
	if (action == FAKE_GPU_DROP)
		free(p);
	else if (action == FAKE_GPU_DEFER || (p->fenced && fenced_pending(gpu)))
		append_pending(gpu, p);
	else
		complete_locked(gpu, p);
}

/* A malformed chain: count it and, when its head is known, give it back empty. */
static void refuse_chain(struct fake_gpu *gpu, uint16_t queue, int err,
			 const struct vring_dev_req *req)
{
	fake_gpu_violation(gpu, "queue %u: malformed chain (%d)", queue, err);
	if (req->head_valid) {
		vring_dev_push(&gpu->queues[queue], req->head, 0);
		raise_irq_locked(gpu, queue);
	}
}

static void process_queue(struct fake_gpu *gpu, uint16_t queue)
{
	struct vring_dev_req *req = &gpu->scratch;

	for (;;) {
		int rc = vring_dev_pop(&gpu->queues[queue], req);

		if (rc == VRING_DEV_EMPTY)
			return;
		if (rc == VRING_DEV_REQUEST) {
			handle_request(gpu, queue, req);
			continue;
		}
		refuse_chain(gpu, queue, rc, req);
		if (rc == VRING_DEV_E_AVAIL_IDX)
			return;
	}
}

/* ---- transport ---- */

static struct fake_gpu *to_gpu(void *t)
{
	return t;
}

static void reset_locked(struct fake_gpu *gpu)
{
	drop_pending(gpu);
	memset(gpu->queue_live, 0, sizeof(gpu->queue_live));
	gpu->stats.leaked_at_reset += tables_clear(gpu);
	gpu->status = 0;
	gpu->driver_features = 0;
	gpu->isr = 0;
	gpu->last_fence = 0;
}

static int t_begin(void *t)
{
	struct fake_gpu *gpu = to_gpu(t);
	int rc;

	pthread_mutex_lock(&gpu->mutex);
	reset_locked(gpu);
	gpu->status = STATUS_ACKNOWLEDGE | STATUS_DRIVER;
	rc = gpu->dead ? VGPU_E_DEVICE : 0;
	pthread_mutex_unlock(&gpu->mutex);
	return rc;
}

static uint64_t t_device_features(void *t)
{
	return to_gpu(t)->cfg.features;
}

static int t_set_features(void *t, uint64_t features)
{
	struct fake_gpu *gpu = to_gpu(t);
	int rc = 0;

	pthread_mutex_lock(&gpu->mutex);
	if (features & ~gpu->cfg.features) {
		fake_gpu_violation(gpu, "features 0x%llx not offered",
				   (unsigned long long)(features & ~gpu->cfg.features));
		rc = VGPU_E_DEVICE;
	} else if (!(features & (1ull << VGPU_VIRTIO_F_VERSION_1))) {
		fake_gpu_violation(gpu, "VERSION_1 not accepted");
		rc = VGPU_E_DEVICE;
	} else if (gpu->status != (STATUS_ACKNOWLEDGE | STATUS_DRIVER)) {
		fake_gpu_violation(gpu, "set_features in status 0x%x", gpu->status);
		rc = VGPU_E_DEVICE;
	} else {
		gpu->driver_features = features;
		gpu->status |= STATUS_FEATURES_OK;
	}
	pthread_mutex_unlock(&gpu->mutex);
	return rc;
}

static void t_config_read(void *t, uint32_t offset, void *buf, uint32_t len)
{
	struct fake_gpu *gpu = to_gpu(t);

	pthread_mutex_lock(&gpu->mutex);
	if (offset > sizeof(gpu->config) || len > sizeof(gpu->config) - offset) {
		fake_gpu_violation(gpu, "config read at %u, %u bytes", offset, len);
		memset(buf, 0, len);
	} else {
		memcpy(buf, (const uint8_t *)&gpu->config + offset, len);
	}
	pthread_mutex_unlock(&gpu->mutex);
}

static void t_config_write(void *t, uint32_t offset, const void *buf, uint32_t len)
{
	struct fake_gpu *gpu = to_gpu(t);
	uint32_t clear;

	pthread_mutex_lock(&gpu->mutex);
	if (offset != offsetof(struct wire_config, events_clear) || len != sizeof(clear)) {
		fake_gpu_violation(gpu, "config write at %u, %u bytes", offset, len);
	} else {
		memcpy(&clear, buf, sizeof(clear));
		gpu->config.events_read &= ~clear;
	}
	pthread_mutex_unlock(&gpu->mutex);
}

static uint16_t t_queue_max_size(void *t, uint16_t index)
{
	return index < FAKE_GPU_QUEUES ? to_gpu(t)->cfg.queue_size : 0;
}

static int t_queue_enable(void *t, uint16_t index, uint16_t size, uint64_t desc_pa,
			  uint64_t avail_pa, uint64_t used_pa)
{
	struct fake_gpu *gpu = to_gpu(t);
	bool indirect, event_idx;
	int rc = VGPU_E_DEVICE;

	pthread_mutex_lock(&gpu->mutex);
	indirect = gpu->driver_features & (1ull << VGPU_VIRTIO_F_INDIRECT_DESC);
	event_idx = gpu->driver_features & (1ull << VGPU_VIRTIO_F_EVENT_IDX);
	if (index >= FAKE_GPU_QUEUES || size > gpu->cfg.queue_size)
		fake_gpu_violation(gpu, "queue %u of size %u", index, size);
	else if (!(gpu->status & STATUS_FEATURES_OK) || (gpu->status & STATUS_DRIVER_OK))
		fake_gpu_violation(gpu, "queue %u enabled in status 0x%x", index, gpu->status);
	else if (vring_dev_init(&gpu->queues[index], size, desc_pa, avail_pa, used_pa, indirect,
				event_idx, fake_os_map_pa, gpu->os) != 0)
		fake_gpu_violation(gpu, "queue %u: rings outside driver memory", index);
	else
		rc = 0;
	gpu->queue_live[index < FAKE_GPU_QUEUES ? index : 0] |= rc == 0;
	pthread_mutex_unlock(&gpu->mutex);
	return rc;
}

static void t_queue_notify(void *t, uint16_t index)
{
	struct fake_gpu *gpu = to_gpu(t);

	pthread_mutex_lock(&gpu->mutex);
	gpu->stats.notifies++;
	if (gpu->dead || (gpu->status & STATUS_FAILED)) {
		pthread_mutex_unlock(&gpu->mutex);
		return;
	}
	if (index >= FAKE_GPU_QUEUES || !gpu->queue_live[index] ||
	    !(gpu->status & STATUS_DRIVER_OK))
		fake_gpu_violation(gpu, "notify of queue %u in status 0x%x", index, gpu->status);
	else
		process_queue(gpu, index);
	unlock_and_deliver_inline(gpu);
}

static int t_driver_ok(void *t)
{
	struct fake_gpu *gpu = to_gpu(t);
	int rc = 0;

	pthread_mutex_lock(&gpu->mutex);
	if (!(gpu->status & STATUS_FEATURES_OK)) {
		fake_gpu_violation(gpu, "DRIVER_OK before FEATURES_OK");
		rc = VGPU_E_DEVICE;
	}
	gpu->status |= STATUS_DRIVER_OK;
	if (gpu->dead)
		rc = VGPU_E_DEVICE;
	pthread_mutex_unlock(&gpu->mutex);
	return rc;
}

static void t_fail(void *t)
{
	struct fake_gpu *gpu = to_gpu(t);

	pthread_mutex_lock(&gpu->mutex);
	gpu->status |= STATUS_FAILED;
	drop_pending(gpu);
	pthread_mutex_unlock(&gpu->mutex);
}

static uint32_t t_isr(void *t)
{
	struct fake_gpu *gpu = to_gpu(t);
	uint32_t isr;

	pthread_mutex_lock(&gpu->mutex);
	isr = gpu->isr;
	gpu->isr = 0;
	pthread_mutex_unlock(&gpu->mutex);
	return isr;
}

static void t_reset(void *t)
{
	struct fake_gpu *gpu = to_gpu(t);

	pthread_mutex_lock(&gpu->mutex);
	reset_locked(gpu);
	gpu->stats.resets++;
	pthread_mutex_unlock(&gpu->mutex);
}

static const struct vgpu_transport_ops fake_gpu_ops = {
	.begin = t_begin,
	.device_features = t_device_features,
	.set_features = t_set_features,
	.config_read = t_config_read,
	.config_write = t_config_write,
	.queue_max_size = t_queue_max_size,
	.queue_enable = t_queue_enable,
	.queue_notify = t_queue_notify,
	.driver_ok = t_driver_ok,
	.fail = t_fail,
	.isr = t_isr,
	.reset = t_reset,
};

/* ---- life cycle and test controls ---- */

int fake_gpu_init(struct fake_gpu *gpu, struct fake_os *os, const struct fake_gpu_config *cfg)
{
	memset(gpu, 0, sizeof(*gpu));
	gpu->cfg = cfg ? *cfg : fake_gpu_default_config();
	gpu->os = os;
	gpu->transport.ops = &fake_gpu_ops;
	gpu->transport.priv = gpu;
	gpu->config.num_capsets = gpu->cfg.num_capsets;
	gpu->config.num_scanouts = gpu->cfg.num_scanouts;
	if (pthread_mutex_init(&gpu->mutex, NULL) != 0)
		return -1;
	if (pthread_cond_init(&gpu->irq_cond, NULL) != 0 ||
	    pthread_create(&gpu->irq_thread, NULL, irq_thread_main, gpu) != 0) {
		pthread_mutex_destroy(&gpu->mutex);
		return -1;
	}
	return 0;
}

void fake_gpu_fini(struct fake_gpu *gpu)
{
	pthread_mutex_lock(&gpu->mutex);
	gpu->irq_stop = true;
	pthread_cond_broadcast(&gpu->irq_cond);
	pthread_mutex_unlock(&gpu->mutex);
	pthread_join(gpu->irq_thread, NULL);
	drop_pending(gpu);
	tables_clear(gpu);
	for (unsigned i = 0; i < gpu->nrecords; i++)
		free(gpu->records[i].data);
	pthread_cond_destroy(&gpu->irq_cond);
	pthread_mutex_destroy(&gpu->mutex);
}

void fake_gpu_add_rule(struct fake_gpu *gpu, uint32_t cmd, enum fake_gpu_action action,
		       uint32_t error, int count)
{
	pthread_mutex_lock(&gpu->mutex);
	if (gpu->nrules < FAKE_GPU_MAX_RULES)
		gpu->rules[gpu->nrules++] = (struct fake_gpu_rule){
			.cmd = cmd, .action = action, .error = error, .remaining = count,
		};
	pthread_mutex_unlock(&gpu->mutex);
}

void fake_gpu_clear_rules(struct fake_gpu *gpu)
{
	pthread_mutex_lock(&gpu->mutex);
	gpu->nrules = 0;
	pthread_mutex_unlock(&gpu->mutex);
}

void fake_gpu_die(struct fake_gpu *gpu)
{
	pthread_mutex_lock(&gpu->mutex);
	gpu->dead = true;
	drop_pending(gpu);
	pthread_mutex_unlock(&gpu->mutex);
}

struct fake_gpu_stats fake_gpu_stats(struct fake_gpu *gpu)
{
	struct fake_gpu_stats s;

	pthread_mutex_lock(&gpu->mutex);
	s = gpu->stats;
	pthread_mutex_unlock(&gpu->mutex);
	return s;
}

uint64_t fake_gpu_count(struct fake_gpu *gpu, uint32_t cmd)
{
	unsigned group = cmd >> 8;
	uint64_t n = 0;

	pthread_mutex_lock(&gpu->mutex);
	if ((group == 1 || group == 2) && (cmd & 0xf0) == 0)
		n = gpu->cmd_counts[group - 1][cmd & 0xf];
	pthread_mutex_unlock(&gpu->mutex);
	return n;
}

uint64_t fake_gpu_total_commands(struct fake_gpu *gpu)
{
	uint64_t n;

	pthread_mutex_lock(&gpu->mutex);
	n = gpu->stats.requests;
	pthread_mutex_unlock(&gpu->mutex);
	return n;
}

bool fake_gpu_last(struct fake_gpu *gpu, uint32_t cmd, struct fake_gpu_record *out)
{
	bool found = false;

	pthread_mutex_lock(&gpu->mutex);
	for (unsigned i = gpu->nrecords; i-- > 0;) {
		if (!cmd || gpu->records[i].type == cmd) {
			*out = gpu->records[i];
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&gpu->mutex);
	return found;
}
