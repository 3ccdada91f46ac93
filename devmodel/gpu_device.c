/* SPDX-License-Identifier: MIT */
/*
 * The device model's request path: pop a request, apply faults, run the
 * personality's command, write the answer, and give the buffers back at
 * once or when the command's fence retires (held answers, below).
 */
#define VIRGL_RENDERER_UNSTABLE_APIS
#include "gpu_device.h"

#include <linux/virtio_gpu.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <virgl/virglrenderer.h>

#include "gpu_commands.h"
#include "keep_loaded.h"

/* Largest answer: a header and the biggest capset, with room to spare. */
#define RESP_MAX (64u * 1024u)
/* Largest request: SUBMIT_3D's stream or a long backing list. */
#define CMD_MAX (8u << 20)
/* How often pending fences are polled (Mvisor polls every 1 ms too). */
#define FENCE_POLL_MS 1
/* Guest addresses of Mvisor's device-chosen blob mappings start at 256 GiB. */
#define MVISOR_BLOB_GPA_BASE (256ull << 30)
#define DIE_STATUS 3

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void give_back(struct gpu_device *dev, unsigned queue, uint16_t head, uint32_t written)
{
	struct vring_dev *ring = vhost_backend_ring(dev->vb, queue);

	/* A queue stopped meanwhile has forgotten the request (device reset). */
	if (!ring)
		return;
	vring_dev_push(ring, head, written);
	vhost_backend_notify(dev->vb, queue);
}

/* Answer every held request that is neither fenced nor early any more. */
static void release_due(struct gpu_device *dev)
{
	int64_t now = now_ms();
	struct held_answer **pp = &dev->held;

	while (*pp) {
		struct held_answer *h = *pp;

		if (h->fenced || h->due_ms > now) {
			pp = &h->next;
			continue;
		}
		*pp = h->next;
		give_back(dev, h->queue, h->head, h->written);
		free(h);
	}
}

/* A fence retired: so did every earlier one on its timeline. */
static void fence_retired(struct gpu_device *dev, bool ctx_timeline, uint32_t ctx_id,
			  uint8_t ring_idx, uint64_t fence_id)
{
	for (struct held_answer *h = dev->held; h; h = h->next) {
		if (!h->fenced || h->ctx_timeline != ctx_timeline || h->fence_id > fence_id)
			continue;
		if (ctx_timeline && (h->ctx_id != ctx_id || h->ring_idx != ring_idx))
			continue;
		h->fenced = false;
		h->due_ms = now_ms() + h->delay_ms;
	}
}

static void on_fence(void *cookie, uint32_t fence_id)
{
	fence_retired(cookie, false, 0, 0, fence_id);
}

static void on_context_fence(void *cookie, uint32_t ctx_id, uint32_t ring_idx, uint64_t fence_id)
{
	fence_retired(cookie, true, ctx_id, (uint8_t)ring_idx, fence_id);
}

static struct virgl_renderer_callbacks renderer_callbacks = {
	.version = 4,
	.write_fence = on_fence,
	.write_context_fence = on_context_fence,
};

/* Ask the renderer for the fence; false if it refused. */
static bool start_fence(struct held_answer *h)
{
	if (h->ctx_timeline)
		return !virgl_renderer_context_create_fence(h->ctx_id, 0, h->ring_idx, h->fence_id);
	/* The global timeline's ids are 32 bits wide in virglrenderer. */
	if (h->fence_id > UINT32_MAX)
		return false;
	return !virgl_renderer_create_fence((int)(uint32_t)h->fence_id, h->ctx_id);
}

static const struct gpu_cmd_desc *find_cmd(const struct gpu_device *dev, uint32_t type)
{
	const struct gpu_cmd_desc *d = dev->opts.personality == GPU_PERSONALITY_MVISOR
					       ? gpu_mvisor_cmds
					       : gpu_standard_cmds;

	for (; d->type; d++)
		if (d->type == type)
			return d;
	return NULL;
}

static const char *type_name(uint32_t type)
{
	const char *name = faults_type_name(type);

	return name ? name : "unknown";
}

static uint32_t run_command(struct gpu_device *dev, struct gpu_call *call, uint32_t type)
{
	const struct gpu_cmd_desc *d = find_cmd(dev, type);

	if (!d || (d->queue >= 0 && (unsigned)d->queue != call->queue)) {
		fprintf(stderr, "vgpu-devmodel: command 0x%04x (%s) %s\n", type, type_name(type),
			d ? "on the wrong queue" : "not handled by this personality");
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	}
	if (call->len < d->min_len)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	/*
	 * virglrenderer runs resource creation, mapping and the like on whatever GL
	 * context is current, which after a SUBMIT_3D is that guest context's own:
	 * its texture and buffer bindings would change behind the state it caches,
	 * and another process's rendering breaks.  Its own context 0 must be current
	 * for them (as in QEMU); SUBMIT_3D switches to its context by itself.
	 */
	virgl_renderer_force_ctx_0();
	return d->fn(dev, call);
}

/* Keep the answer back until its fence retires and/or its delay passes. */
static void hold(struct gpu_device *dev, unsigned queue, const struct vring_dev_req *req,
		 uint32_t written, const struct virtio_gpu_ctrl_hdr *hdr, bool fenced,
		 uint32_t delay_ms)
{
	struct held_answer *h = calloc(1, sizeof(*h));

	if (!h) {
		give_back(dev, queue, req->head, written);
		return;
	}
	*h = (struct held_answer){
		.queue = queue,
		.head = req->head,
		.written = written,
		.fenced = fenced,
		.ctx_timeline = hdr->flags & VIRTIO_GPU_FLAG_INFO_RING_IDX,
		.ctx_id = hdr->ctx_id,
		.ring_idx = hdr->ring_idx,
		.fence_id = hdr->fence_id,
		.delay_ms = delay_ms,
		.due_ms = now_ms() + delay_ms,
	};
	h->next = dev->held;
	dev->held = h;
	if (fenced && !start_fence(h)) {
		/* Without a fence the work is done as far as anyone can tell. */
		h->fenced = false;
	}
}

static uint32_t write_answer(const struct vring_dev_req *req, struct gpu_call *call,
			     const struct virtio_gpu_ctrl_hdr *cmd, uint32_t type)
{
	struct virtio_gpu_ctrl_hdr *r = (void *)call->resp;

	if (type >= VIRTIO_GPU_RESP_ERR_UNSPEC || type == VIRTIO_GPU_RESP_OK_NODATA)
		call->resp_len = sizeof(*r);
	r->type = type;
	r->flags = cmd->flags & (VIRTIO_GPU_FLAG_FENCE | VIRTIO_GPU_FLAG_INFO_RING_IDX);
	r->fence_id = cmd->fence_id;
	r->ctx_id = cmd->ctx_id;
	r->ring_idx = cmd->ring_idx;
	memset(r->padding, 0, sizeof(r->padding));
	return (uint32_t)vring_dev_write(req, call->resp, call->resp_len);
}

static void handle_request(struct gpu_device *dev, unsigned queue, const struct vring_dev_req *req)
{
	static uint8_t resp[RESP_MAX];
	struct gpu_call call = { .resp = resp, .queue = queue, .resp_len = 0 };
	struct virtio_gpu_ctrl_hdr hdr;
	struct fault_verdict verdict;
	uint8_t *cmd;
	uint32_t type, written;

	cmd = req->readable >= sizeof(hdr) && req->readable <= CMD_MAX &&
			      req->writable >= sizeof(hdr)
		      ? malloc(req->readable)
		      : NULL;
	if (!cmd) {
		/* Not a request we can read or answer: only the buffers go back. */
		fprintf(stderr, "vgpu-devmodel: malformed request on queue %u dropped\n", queue);
		give_back(dev, queue, req->head, 0);
		return;
	}
	call.cmd = cmd;
	call.len = (uint32_t)vring_dev_read(req, cmd, req->readable);
	call.resp_cap = req->writable < RESP_MAX ? (uint32_t)req->writable : RESP_MAX;
	memcpy(&hdr, cmd, sizeof(hdr));
	verdict = faults_check(dev->faults, hdr.type);
	if (verdict.action == FAULT_DIE) {
		fprintf(stderr, "vgpu-devmodel: fault: dying at %s\n", type_name(hdr.type));
		_exit(DIE_STATUS);
	}
	type = verdict.action == FAULT_ERROR ? verdict.resp : run_command(dev, &call, hdr.type);
	free(cmd);
	written = write_answer(req, &call, &hdr, type);
	if (dev->opts.verbose || verdict.action != FAULT_NONE)
		fprintf(stderr, "vgpu-devmodel: q%u %s -> %s%s\n", queue, type_name(hdr.type),
			type_name(type),
			verdict.action == FAULT_DROP    ? " (dropped: fault)"
			: verdict.action == FAULT_DELAY ? " (delayed: fault)"
							: "");
	if (verdict.action == FAULT_DROP)
		return;
	if ((hdr.flags & VIRTIO_GPU_FLAG_FENCE) && type < VIRTIO_GPU_RESP_ERR_UNSPEC)
		hold(dev, queue, req, written, &hdr, true, verdict.delay_ms);
	else if (verdict.action == FAULT_DELAY)
		hold(dev, queue, req, written, &hdr, false, verdict.delay_ms);
	else
		give_back(dev, queue, req->head, written);
}

static void process_queue(struct gpu_device *dev, unsigned queue)
{
	static struct vring_dev_req req;
	struct vring_dev *ring;
	int st;

	while ((ring = vhost_backend_ring(dev->vb, queue)) &&
	       (st = vring_dev_pop(ring, &req)) != VRING_DEV_EMPTY) {
		if (st == VRING_DEV_REQUEST) {
			handle_request(dev, queue, &req);
			continue;
		}
		fprintf(stderr, "vgpu-devmodel: queue %u: bad descriptor chain (%d)\n", queue, st);
		if (!req.head_valid)
			return; /* the ring itself is broken: wait for a reset */
		give_back(dev, queue, req.head, 0);
	}
}

static uint64_t op_features(void *priv)
{
	struct gpu_device *dev = priv;
	uint64_t f = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
		     (1ull << VIRTIO_RING_F_EVENT_IDX) | (1ull << VIRTIO_GPU_F_VIRGL);

	if (dev->opts.personality == GPU_PERSONALITY_STANDARD)
		f |= (1ull << VIRTIO_GPU_F_RESOURCE_BLOB) | (1ull << VIRTIO_GPU_F_CONTEXT_INIT);
	return f;
}

static void op_set_features(void *priv, uint64_t features)
{
	struct gpu_device *dev = priv;

	dev->features = features;
}

static uint32_t op_config(void *priv, uint8_t *buf, uint32_t cap)
{
	struct gpu_device *dev = priv;
	struct virtio_gpu_config c = { .num_scanouts = 0, .num_capsets = gpu_num_capsets() };

	if (dev->opts.personality == GPU_PERSONALITY_MVISOR)
		return gpu_mvisor_config(dev, buf, cap);
	if (cap < sizeof(c))
		return 0;
	memcpy(buf, &c, sizeof(c));
	return sizeof(c);
}

static bool op_host_visible(void *priv, int *fd, struct vhost_user_vgpu_host_visible *hv)
{
	struct gpu_device *dev = priv;

	if (dev->hv.fd < 0)
		return false;
	*fd = dev->hv.fd;
	hv->size = dev->hv.size;
	hv->gpa_base = dev->hv.gpa_base;
	return true;
}

static void op_kicked(void *priv, unsigned index)
{
	process_queue(priv, index);
}

static void op_stopped(void *priv, unsigned index)
{
	struct gpu_device *dev = priv;
	struct held_answer **pp = &dev->held;

	while (*pp) {
		struct held_answer *h = *pp;

		if (h->queue != index) {
			pp = &h->next;
			continue;
		}
		*pp = h->next;
		free(h);
	}
}

const struct vhost_backend_ops gpu_device_backend_ops = {
	.features = op_features,
	.set_features = op_set_features,
	.config = op_config,
	.host_visible = op_host_visible,
	.kicked = op_kicked,
	.stopped = op_stopped,
};

int gpu_device_timeout_ms(const struct gpu_device *dev)
{
	int64_t now = now_ms();
	int64_t best = -1;

	for (const struct held_answer *h = dev->held; h; h = h->next) {
		int64_t wait = h->fenced ? FENCE_POLL_MS : h->due_ms - now;

		if (wait < 0)
			wait = 0;
		if (best < 0 || wait < best)
			best = wait;
	}
	return (int)best;
}

void gpu_device_tick(struct gpu_device *dev)
{
	if (dev->held)
		virgl_renderer_poll();
	release_due(dev);
}

int gpu_device_init(struct gpu_device *dev, const struct gpu_options *opts, struct faults *faults)
{
	uint64_t gpa_base = opts->personality == GPU_PERSONALITY_MVISOR ? MVISOR_BLOB_GPA_BASE : 0;
	int err;

	memset(dev, 0, sizeof(*dev));
	dev->opts = *opts;
	dev->faults = faults;
	dev->hv.fd = -1;
	/* EGL on Mesa's surfaceless platform: llvmpipe, no render node, no display. */
	if (virgl_renderer_init(dev, VIRGL_RENDERER_USE_EGL | VIRGL_RENDERER_USE_SURFACELESS,
				&renderer_callbacks)) {
		fprintf(stderr, "vgpu-devmodel: virglrenderer did not start (surfaceless EGL)\n");
		return -1;
	}
	host_gl_keep_loaded();
	err = host_visible_init(&dev->hv, opts->host_visible_size, gpa_base);
	if (err) {
		fprintf(stderr, "vgpu-devmodel: no host-visible region: %s\n", strerror(-err));
		virgl_renderer_cleanup(dev);
		return -1;
	}
	return 0;
}

void gpu_device_fini(struct gpu_device *dev)
{
	while (dev->held) {
		struct held_answer *h = dev->held;

		dev->held = h->next;
		free(h);
	}
	/* The renderer frees its buffers in cleanup: give their memory back first. */
	while (dev->hv.maps) {
		uint32_t res_id = dev->hv.maps->res_id;

		if (host_visible_unmap(&dev->hv, res_id) != VIRTIO_GPU_RESP_OK_NODATA)
			break;
		virgl_renderer_resource_unmap(res_id);
	}
	host_visible_fini(&dev->hv);
	virgl_renderer_cleanup(dev);
}
