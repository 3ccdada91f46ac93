/* SPDX-License-Identifier: MIT */
/*
 * The raw way (bench_raw.h): hand-built virtio-gpu commands on the core's
 * split virtqueue, straight to the device backend over vhost-user.
 */
#include "bench_raw.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "bench_stats.h"
#include "gpu/wire.h"
#include "guest_mem.h"
#include "vgpu/vgpu_abi.h"
#include "vhost_user_transport.h"
#include "virgl_stream.h"
#include "virtio/virtqueue.h"

/* Rings, the request slots, the 4 MiB transfer texture and the small ones. */
#define RAW_MEM_BYTES (64ull << 20)
/* The core's own limit on the control queue, so that both rings look alike. */
#define RAW_QUEUE_MAX 1024u
#define RAW_SLOTS 16u
#define RAW_MAX_TEXTURES 16u
#define RAW_CTX_ID 1u
/* The backend's fence callback takes 32 bits; stay well below. */
#define RAW_MAX_SEQ 0x7fffffffull

/* A slot in guest memory: the answer, the indirect table, then the command. */
#define RAW_RESP_OFFSET 0u
#define RAW_TABLE_OFFSET 64u
#define RAW_CMD_OFFSET 128u
#define RAW_CMD_MAX (sizeof(struct wire_submit_3d) + VGPU_MAX_SUBMIT_BYTES)
#define RAW_SLOT_BYTES                                                                             \
	((RAW_CMD_OFFSET + RAW_CMD_MAX + GUEST_MEM_PAGE_SIZE - 1) & ~(GUEST_MEM_PAGE_SIZE - 1))

struct raw_slot {
	uint8_t *va;
	uint64_t gpa;
	bool busy;
	uint64_t seq; /* the request it carries, also its fence id */
};

struct raw_texture {
	uint32_t res_id;  /* 0: unused */
	uint64_t backing; /* offset in guest memory */
	uint64_t bytes;
};

struct bench_raw {
	struct guest_mem *mem;
	struct backend backend;
	struct vhost_user_transport vut;
	bool vut_up;
	struct vgpu_vq vq;
	void *vq_state;
	struct raw_slot slots[RAW_SLOTS];
	struct raw_texture textures[RAW_MAX_TEXTURES];
	uint64_t next_seq;
	uint32_t next_res_id;
	int status; /* the first failure: every later call returns it */
	char error[200];
};

static const char *cmd_name(uint32_t type)
{
	switch (type) {
	case WIRE_CMD_CTX_CREATE:
		return "CTX_CREATE";
	case WIRE_CMD_RESOURCE_CREATE_3D:
		return "RESOURCE_CREATE_3D";
	case WIRE_CMD_RESOURCE_ATTACH_BACKING:
		return "RESOURCE_ATTACH_BACKING";
	case WIRE_CMD_CTX_ATTACH_RESOURCE:
		return "CTX_ATTACH_RESOURCE";
	case WIRE_CMD_CTX_DETACH_RESOURCE:
		return "CTX_DETACH_RESOURCE";
	case WIRE_CMD_RESOURCE_UNREF:
		return "RESOURCE_UNREF";
	case WIRE_CMD_TRANSFER_TO_HOST_3D:
		return "TRANSFER_TO_HOST_3D";
	case WIRE_CMD_TRANSFER_FROM_HOST_3D:
		return "TRANSFER_FROM_HOST_3D";
	case WIRE_CMD_SUBMIT_3D:
		return "SUBMIT_3D";
	default:
		return "command";
	}
}

__attribute__((format(printf, 3, 4))) static int raw_fail(struct bench_raw *raw, int status,
							  const char *fmt, ...)
{
	va_list ap;

	if (raw->status)
		return raw->status;
	raw->status = status;
	va_start(ap, fmt);
	vsnprintf(raw->error, sizeof(raw->error), fmt, ap);
	va_end(ap);
	return status;
}

static const struct vgpu_transport *raw_transport(const struct bench_raw *raw)
{
	return vut_transport(&raw->vut);
}

static void *raw_cmd(const struct raw_slot *slot)
{
	return slot->va + RAW_CMD_OFFSET;
}

static struct wire_hdr raw_hdr(const struct raw_slot *slot, uint32_t type, uint32_t ctx_id,
			       bool fenced)
{
	return (struct wire_hdr){
		.type = type,
		.flags = fenced ? WIRE_FLAG_FENCE : 0,
		.fence_id = fenced ? slot->seq : 0,
		.ctx_id = ctx_id,
	};
}

static void raw_complete(struct bench_raw *raw, struct raw_slot *slot, uint32_t written)
{
	const struct wire_hdr *resp = (const void *)(slot->va + RAW_RESP_OFFSET);
	const struct wire_hdr *cmd = raw_cmd(slot);

	slot->busy = false;
	if (written < sizeof(*resp) || resp->type != WIRE_RESP_OK_NODATA)
		raw_fail(raw, VGPU_E_DEVICE, "%s: the device answered 0x%x (%u bytes)",
			 cmd_name(cmd->type), resp->type, written);
}

/* The backend never speaks first: activity on its connection means it is gone. */
static int raw_check_backend(struct bench_raw *raw, short revents)
{
	char how[64];

	if (!revents)
		return VGPU_OK;
	/* Reap it (bounded), so that we can say how it ended. */
	backend_stop(&raw->backend);
	backend_describe_exit(&raw->backend, how, sizeof(how));
	return raw_fail(raw, VGPU_E_DEVICE_LOST, "the device backend closed the connection (%s)",
			how);
}

/* Take every answer there is; if there is none, sleep on the call eventfd. */
static int raw_pump(struct bench_raw *raw, uint64_t deadline)
{
	struct pollfd pfds[2] = {
		{ .fd = vut_call_fd(&raw->vut, VIRTIO_GPU_QUEUE_CONTROL), .events = POLLIN },
		{ .fd = raw->backend.sock, .events = POLLIN },
	};
	struct raw_slot *slot;
	uint32_t written = 0, bad = 0;
	bool progress = false;
	uint64_t now, count;
	int ready;

	while ((slot = vgpu_vq_get_used(&raw->vq, &written, &bad))) {
		raw_complete(raw, slot, written);
		progress = true;
	}
	if (bad)
		return raw_fail(raw, VGPU_E_DEVICE, "the device returned %u bogus used entries",
				bad);
	if (progress)
		return raw->status;
	now = bench_now_ns();
	if (now >= deadline)
		return raw_fail(raw, VGPU_E_TIMEOUT, "the device did not answer within %llu s",
				BENCH_WAIT_NS / 1000000000ull);
	ready = poll(pfds, 2, (int)((deadline - now + 999999) / 1000000));
	if (ready < 0 && errno != EINTR)
		return raw_fail(raw, VGPU_E_DEVICE, "poll: %s", strerror(errno));
	if (ready > 0 && (pfds[0].revents & POLLIN) &&
	    read(pfds[0].fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return raw_fail(raw, VGPU_E_DEVICE, "call eventfd: %s", strerror(errno));
	return ready > 0 ? raw_check_backend(raw, pfds[1].revents) : VGPU_OK;
}

static bool raw_done_up_to(const struct bench_raw *raw, uint64_t seq)
{
	for (unsigned int i = 0; i < RAW_SLOTS; i++) {
		if (raw->slots[i].busy && raw->slots[i].seq <= seq)
			return false;
	}
	return true;
}

static int raw_wait(void *priv, uint64_t seq)
{
	struct bench_raw *raw = priv;
	uint64_t deadline = bench_now_ns() + BENCH_WAIT_NS;

	if (seq == 0 || seq >= raw->next_seq)
		return raw_fail(raw, VGPU_E_INVALID, "wait for request %llu, never sent",
				(unsigned long long)seq);
	while (!raw->status && !raw_done_up_to(raw, seq))
		raw_pump(raw, deadline);
	return raw->status;
}

/* A free request slot (waiting for one if all are in flight), numbered. */
static int raw_slot_get(struct bench_raw *raw, struct raw_slot **out)
{
	uint64_t deadline = bench_now_ns() + BENCH_WAIT_NS;

	if (raw->next_seq > RAW_MAX_SEQ)
		return raw_fail(raw, VGPU_E_NO_MEMORY, "out of fence ids");
	while (!raw->status) {
		for (unsigned int i = 0; i < RAW_SLOTS; i++) {
			struct raw_slot *slot = &raw->slots[i];

			if (slot->busy)
				continue;
			slot->seq = raw->next_seq++;
			memset(slot->va + RAW_RESP_OFFSET, 0, sizeof(struct wire_hdr));
			*out = slot;
			return VGPU_OK;
		}
		raw_pump(raw, deadline);
	}
	return raw->status;
}

/* Put the slot's command (cmd_len bytes) and its answer on the ring. */
static int raw_queue(struct bench_raw *raw, struct raw_slot *slot, uint32_t cmd_len)
{
	const struct vgpu_transport *t = raw_transport(raw);
	const struct vgpu_vq_buf bufs[2] = {
		{ .pa = slot->gpa + RAW_CMD_OFFSET, .len = cmd_len },
		{ .pa = slot->gpa + RAW_RESP_OFFSET,
		  .len = sizeof(struct wire_hdr),
		  .device_writes = true },
	};
	const struct vgpu_dma table = {
		.va = slot->va + RAW_TABLE_OFFSET,
		.pa = slot->gpa + RAW_TABLE_OFFSET,
		.size = vgpu_vq_indirect_bytes(2),
	};
	int ret = vgpu_vq_add(&raw->vq, bufs, 2, raw->vq.indirect ? &table : NULL, slot);

	if (ret != VGPU_OK)
		return raw_fail(raw, ret, "the control queue refused a request (%d)", ret);
	slot->busy = true;
	if (vgpu_vq_kick_prepare(&raw->vq))
		t->ops->queue_notify(t->priv, VIRTIO_GPU_QUEUE_CONTROL);
	return VGPU_OK;
}

static int raw_run(struct bench_raw *raw, struct raw_slot *slot, uint32_t cmd_len)
{
	int ret = raw_queue(raw, slot, cmd_len);

	return ret ? ret : raw_wait(raw, slot->seq);
}

static int raw_ctx_create(struct bench_raw *raw)
{
	static const char name[] = "vgpu-bench raw";
	struct wire_ctx_create *cmd;
	struct raw_slot *slot;
	int ret = raw_slot_get(raw, &slot);

	if (ret)
		return ret;
	cmd = raw_cmd(slot);
	*cmd = (struct wire_ctx_create){
		.hdr = raw_hdr(slot, WIRE_CMD_CTX_CREATE, RAW_CTX_ID, false),
		.nlen = sizeof(name) - 1,
	};
	memcpy(cmd->debug_name, name, sizeof(name) - 1);
	return raw_run(raw, slot, sizeof(*cmd));
}

/* UNREF, CTX_ATTACH_RESOURCE and CTX_DETACH_RESOURCE: a header and a resource id. */
static int raw_resource_cmd(struct bench_raw *raw, uint32_t type, uint32_t ctx_id, uint32_t res_id)
{
	struct wire_ctx_resource *cmd;
	struct raw_slot *slot;
	int ret = raw_slot_get(raw, &slot);

	if (ret)
		return ret;
	cmd = raw_cmd(slot);
	*cmd = (struct wire_ctx_resource){
		.hdr = raw_hdr(slot, type, ctx_id, false),
		.resource_id = res_id,
	};
	return raw_run(raw, slot, sizeof(*cmd));
}

static int raw_create_3d(struct bench_raw *raw, uint32_t res_id, uint32_t width, uint32_t height)
{
	struct wire_resource_create_3d *cmd;
	struct raw_slot *slot;
	int ret = raw_slot_get(raw, &slot);

	if (ret)
		return ret;
	cmd = raw_cmd(slot);
	*cmd = (struct wire_resource_create_3d){
		.hdr = raw_hdr(slot, WIRE_CMD_RESOURCE_CREATE_3D, 0, false),
		.resource_id = res_id,
		.target = VSTREAM_TARGET_TEXTURE_2D,
		.format = VSTREAM_FORMAT_B8G8R8A8_UNORM,
		.bind = VSTREAM_BIND_RENDER_TARGET | VSTREAM_BIND_SAMPLER_VIEW,
		.width = width,
		.height = height,
		.depth = 1,
		.array_size = 1,
	};
	return raw_run(raw, slot, sizeof(*cmd));
}

static int raw_attach_backing(struct bench_raw *raw, const struct raw_texture *tex)
{
	struct wire_attach_backing *cmd;
	struct wire_mem_entry *entry;
	struct raw_slot *slot;
	int ret = raw_slot_get(raw, &slot);

	if (ret)
		return ret;
	cmd = raw_cmd(slot);
	entry = (struct wire_mem_entry *)(cmd + 1);
	*cmd = (struct wire_attach_backing){
		.hdr = raw_hdr(slot, WIRE_CMD_RESOURCE_ATTACH_BACKING, 0, false),
		.resource_id = tex->res_id,
		.nr_entries = 1,
	};
	*entry = (struct wire_mem_entry){ .addr = guest_mem_gpa(tex->backing),
					  .length = (uint32_t)tex->bytes };
	return raw_run(raw, slot, sizeof(*cmd) + sizeof(*entry));
}

static struct raw_texture *raw_texture_find(struct bench_raw *raw, uint32_t res_id)
{
	for (unsigned int i = 0; i < RAW_MAX_TEXTURES; i++) {
		if (raw->textures[i].res_id == res_id)
			return &raw->textures[i];
	}
	return NULL;
}

static int raw_texture_create(void *priv, uint32_t width, uint32_t height, uint32_t *handle)
{
	struct bench_raw *raw = priv;
	struct raw_texture *tex = raw_texture_find(raw, 0);
	uint64_t bytes = (uint64_t)width * height * BENCH_TEXTURE_BYTES_PER_PIXEL;
	int ret;

	if (raw->status)
		return raw->status;
	if (!width || !height || width > VGPU_MAX_TEXTURE_DIM || height > VGPU_MAX_TEXTURE_DIM)
		return raw_fail(raw, VGPU_E_INVALID, "texture of %ux%u", width, height);
	if (!tex)
		return raw_fail(raw, VGPU_E_NO_MEMORY, "more than %u textures", RAW_MAX_TEXTURES);
	if (guest_mem_alloc_contig(raw->mem, bytes, &tex->backing) != 0)
		return raw_fail(raw, VGPU_E_NO_MEMORY, "guest memory is short");
	tex->bytes = bytes;
	tex->res_id = raw->next_res_id++;
	ret = raw_create_3d(raw, tex->res_id, width, height);
	if (ret == VGPU_OK)
		ret = raw_attach_backing(raw, tex);
	if (ret == VGPU_OK)
		ret = raw_resource_cmd(raw, WIRE_CMD_CTX_ATTACH_RESOURCE, RAW_CTX_ID, tex->res_id);
	if (ret != VGPU_OK) {
		/* A sticky failure ends the run; the device object dies with the backend. */
		guest_mem_free(raw->mem, tex->backing, tex->bytes);
		tex->res_id = 0;
		return ret;
	}
	*handle = tex->res_id;
	return VGPU_OK;
}

static int raw_texture_destroy(void *priv, uint32_t handle)
{
	struct bench_raw *raw = priv;
	struct raw_texture *tex = handle ? raw_texture_find(raw, handle) : NULL;
	int ret;

	if (!tex)
		return raw_fail(raw, VGPU_E_BAD_HANDLE, "destroy of unknown texture %u", handle);
	ret = raw_resource_cmd(raw, WIRE_CMD_CTX_DETACH_RESOURCE, RAW_CTX_ID, tex->res_id);
	if (ret == VGPU_OK)
		ret = raw_resource_cmd(raw, WIRE_CMD_RESOURCE_UNREF, 0, tex->res_id);
	/* The device no longer reads the backing once UNREF is answered. */
	if (ret == VGPU_OK)
		guest_mem_free(raw->mem, tex->backing, tex->bytes);
	tex->res_id = 0;
	return ret;
}

static int raw_transfer(void *priv, uint32_t handle, uint32_t width, uint32_t height, bool to_host,
			uint64_t *fence)
{
	struct bench_raw *raw = priv;
	struct raw_texture *tex = handle ? raw_texture_find(raw, handle) : NULL;
	uint32_t type = to_host ? WIRE_CMD_TRANSFER_TO_HOST_3D : WIRE_CMD_TRANSFER_FROM_HOST_3D;
	struct wire_transfer_3d *cmd;
	struct raw_slot *slot;
	int ret;

	if (!tex)
		return raw_fail(raw, VGPU_E_BAD_HANDLE, "transfer of unknown texture %u", handle);
	if (!width || !height ||
	    (uint64_t)width * height * BENCH_TEXTURE_BYTES_PER_PIXEL > tex->bytes)
		return raw_fail(raw, VGPU_E_INVALID, "transfer of %ux%u beyond the texture", width,
				height);
	ret = raw_slot_get(raw, &slot);
	if (ret)
		return ret;
	cmd = raw_cmd(slot);
	*cmd = (struct wire_transfer_3d){
		.hdr = raw_hdr(slot, type, RAW_CTX_ID, true),
		.box = { .w = width, .h = height, .d = 1 },
		.resource_id = tex->res_id,
		.stride = width * BENCH_TEXTURE_BYTES_PER_PIXEL,
	};
	ret = raw_queue(raw, slot, sizeof(*cmd));
	if (ret == VGPU_OK)
		*fence = slot->seq;
	return ret;
}

static int raw_submit(void *priv, const void *cmds, uint32_t size, uint64_t *fence)
{
	struct bench_raw *raw = priv;
	struct wire_submit_3d *cmd;
	struct raw_slot *slot;
	int ret;

	if (!cmds || !size || size % 4 || size > VGPU_MAX_SUBMIT_BYTES)
		return raw_fail(raw, VGPU_E_INVALID, "submit of %u bytes", size);
	ret = raw_slot_get(raw, &slot);
	if (ret)
		return ret;
	cmd = raw_cmd(slot);
	*cmd = (struct wire_submit_3d){
		.hdr = raw_hdr(slot, WIRE_CMD_SUBMIT_3D, RAW_CTX_ID, true),
		.size = size,
	};
	/* Copied into guest memory, as every driver must (the core does too). */
	memcpy(cmd + 1, cmds, size);
	ret = raw_queue(raw, slot, (uint32_t)sizeof(*cmd) + size);
	if (ret == VGPU_OK)
		*fence = slot->seq;
	return ret;
}

static const char *raw_error(void *priv)
{
	return ((struct bench_raw *)priv)->error;
}

static void raw_close(void *priv)
{
	struct bench_raw *raw = priv;

	if (raw->vut_up) {
		const struct vgpu_transport *t = raw_transport(raw);

		t->ops->reset(t->priv);
		vut_fini(&raw->vut);
	}
	backend_stop(&raw->backend);
	guest_mem_destroy(raw->mem);
	free(raw->vq_state);
	free(raw);
}

static int raw_start_backend(struct bench_raw *raw)
{
	int err;

	raw->mem = guest_mem_create(RAW_MEM_BYTES);
	if (!raw->mem)
		return raw_fail(raw, VGPU_E_NO_MEMORY, "cannot create guest memory: %s",
				strerror(errno));
	err = backend_spawn(BACKEND_DEFAULT_PATH, &raw->backend);
	if (err)
		return raw_fail(raw, VGPU_E_DEVICE, "cannot start %s: %s", BACKEND_DEFAULT_PATH,
				strerror(-err));
	err = vut_init(&raw->vut, raw->backend.sock, raw->mem, VUT_DEFAULT_TIMEOUT_MS);
	if (err)
		return raw_fail(raw, VGPU_E_DEVICE, "vhost-user setup: %s", strerror(-err));
	raw->vut_up = true;
	return VGPU_OK;
}

/* What the core negotiates, so that both ways run the same ring features. */
static int raw_negotiate(struct bench_raw *raw)
{
	const struct vgpu_transport *t = raw_transport(raw);
	uint64_t want = (1ull << VGPU_VIRTIO_F_VERSION_1) | (1ull << VIRTIO_GPU_FEAT_VIRGL);
	uint64_t optional =
		(1ull << VGPU_VIRTIO_F_INDIRECT_DESC) | (1ull << VGPU_VIRTIO_F_EVENT_IDX);
	uint64_t offered;

	if (t->ops->begin(t->priv) != VGPU_OK)
		return raw_fail(raw, VGPU_E_DEVICE, "device handshake: %s", vut_error(&raw->vut));
	offered = t->ops->device_features(t->priv);
	if ((offered & want) != want)
		return raw_fail(raw, VGPU_E_UNSUPPORTED, "the device lacks VERSION_1 or VIRGL");
	if (t->ops->set_features(t->priv, want | (offered & optional)) != VGPU_OK)
		return raw_fail(raw, VGPU_E_DEVICE, "features refused: %s", vut_error(&raw->vut));
	return VGPU_OK;
}

static uint16_t pick_queue_size(uint16_t max)
{
	uint16_t size = 1;

	while ((uint32_t)size * 2 <= max && (uint32_t)size * 2 <= RAW_QUEUE_MAX)
		size *= 2;
	return size;
}

static int raw_queue_init(struct bench_raw *raw)
{
	const struct vgpu_transport *t = raw_transport(raw);
	uint64_t features = t->ops->device_features(t->priv);
	uint16_t max = t->ops->queue_max_size(t->priv, VIRTIO_GPU_QUEUE_CONTROL);
	uint16_t size = pick_queue_size(max);
	struct vgpu_dma ring = { .size = vgpu_vq_ring_bytes(size) };
	uint64_t offset;

	if (!max || guest_mem_alloc_contig(raw->mem, ring.size, &offset) != 0)
		return raw_fail(raw, VGPU_E_DEVICE, "no control queue, or no memory for it");
	ring.va = (uint8_t *)guest_mem_base_va(raw->mem) + offset;
	ring.pa = guest_mem_gpa(offset);
	raw->vq_state = calloc(1, vgpu_vq_state_bytes(size));
	if (!raw->vq_state)
		return raw_fail(raw, VGPU_E_NO_MEMORY, "out of memory");
	if (vgpu_vq_init(&raw->vq, VIRTIO_GPU_QUEUE_CONTROL, size, &ring, raw->vq_state,
			 features & (1ull << VGPU_VIRTIO_F_INDIRECT_DESC),
			 features & (1ull << VGPU_VIRTIO_F_EVENT_IDX)) != VGPU_OK)
		return raw_fail(raw, VGPU_E_INVALID, "virtqueue of %u entries refused", size);
	if (t->ops->queue_enable(t->priv, VIRTIO_GPU_QUEUE_CONTROL, size, raw->vq.desc_pa,
				 raw->vq.avail_pa, raw->vq.used_pa) != VGPU_OK ||
	    t->ops->driver_ok(t->priv) != VGPU_OK)
		return raw_fail(raw, VGPU_E_DEVICE, "queue setup: %s", vut_error(&raw->vut));
	return VGPU_OK;
}

static int raw_slots_init(struct bench_raw *raw)
{
	uint8_t *base = guest_mem_base_va(raw->mem);

	for (unsigned int i = 0; i < RAW_SLOTS; i++) {
		uint64_t offset;

		if (guest_mem_alloc_contig(raw->mem, RAW_SLOT_BYTES, &offset) != 0)
			return raw_fail(raw, VGPU_E_NO_MEMORY, "guest memory is short");
		raw->slots[i] =
			(struct raw_slot){ .va = base + offset, .gpa = guest_mem_gpa(offset) };
	}
	return VGPU_OK;
}

static const struct bench_way_ops raw_ops = {
	.submit = raw_submit,
	.wait = raw_wait,
	.texture_create = raw_texture_create,
	.texture_destroy = raw_texture_destroy,
	.transfer = raw_transfer,
	.error = raw_error,
	.close = raw_close,
};

int bench_raw_open(struct bench_way *way, char *why, size_t why_cap)
{
	struct bench_raw *raw = calloc(1, sizeof(*raw));

	if (!way || !why || !why_cap) {
		free(raw);
		return VGPU_E_INVALID;
	}
	if (!raw) {
		snprintf(why, why_cap, "out of memory");
		return VGPU_E_NO_MEMORY;
	}
	raw->backend = (struct backend){ .pid = -1, .sock = -1, .reaped = true };
	raw->next_seq = 1;
	raw->next_res_id = 1;
	if (raw_start_backend(raw) || raw_negotiate(raw) || raw_queue_init(raw) ||
	    raw_slots_init(raw) || raw_ctx_create(raw)) {
		int status = raw->status;

		snprintf(why, why_cap, "%s", raw->error);
		raw_close(raw);
		return status;
	}
	*way = (struct bench_way){ .name = "raw", .ops = &raw_ops, .priv = raw };
	return VGPU_OK;
}
