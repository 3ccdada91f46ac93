/* SPDX-License-Identifier: MIT */
/*
 * The fake virtio-gpu's request flow: chains popped from a ring, recorded,
 * matched against the fault rules, carried out (fake_gpu_commands.c), and
 * answered at once or held: deferred by a rule, or fenced behind an older
 * fence still held, since fenced work completes in fence order.
 */
#include "fake_gpu_internal.h"

#include <stdlib.h>
#include <string.h>

/* Requests larger than this are refused (a submit plus headroom, or a long backing list). */
#define MAX_REQUEST_BYTES (4u << 20)
/* Bytes the device reports for a truncated answer: less than a wire_hdr. */
#define TRUNCATED_BYTES 8u
#define MAX_RECORDED_DATA (64u << 20)

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
		fake_gpu_raise_irq(gpu, p->queue);
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

void fake_gpu_poll_fences(struct fake_gpu *gpu)
{
	struct fake_gpu_pending **link = &gpu->pending;

	while (*link) {
		struct fake_gpu_pending *p = *link;

		if (!p->polled) {
			link = &p->next;
			continue;
		}
		*link = p->next;
		gpu->npending--;
		complete_locked(gpu, p);
	}
}

void fake_gpu_drop_pending(struct fake_gpu *gpu)
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

static bool among_first(struct fake_gpu_pending *const *v, unsigned k,
			const struct fake_gpu_pending *p)
{
	for (unsigned i = 0; i < k; i++) {
		if (v[i] == p)
			return true;
	}
	return false;
}

/* Keep deferred, in arrival order, what is not among the first k of v. */
static void keep_the_rest(struct fake_gpu *gpu, struct fake_gpu_pending *const *v, unsigned k)
{
	struct fake_gpu_pending **tail = &gpu->pending;
	struct fake_gpu_pending *p, *next;

	for (p = gpu->pending; p; p = next) {
		next = p->next;
		if (among_first(v, k, p))
			continue;
		*tail = p;
		tail = &p->next;
	}
	*tail = NULL;
	gpu->npending -= k;
}

unsigned fake_gpu_complete_some(struct fake_gpu *gpu, enum fake_gpu_order order, unsigned max)
{
	struct fake_gpu_pending **v;
	unsigned n, k, i = 0;

	pthread_mutex_lock(&gpu->mutex);
	n = gpu->npending;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v) {
		pthread_mutex_unlock(&gpu->mutex);
		return 0;
	}
	for (struct fake_gpu_pending *p = gpu->pending; p; p = p->next, i++)
		v[order == FAKE_GPU_ARRIVAL ? i : n - 1 - i] = p;
	if (order != FAKE_GPU_REVERSED_ALL)
		order_fenced(v, n);
	k = n < max ? n : max;
	keep_the_rest(gpu, v, k);
	for (i = 0; i < k; i++)
		complete_locked(gpu, v[i]);
	fake_gpu_unlock_and_deliver_inline(gpu);
	free(v);
	fake_gpu_sync_irq(gpu);
	return k;
}

unsigned fake_gpu_complete_pending(struct fake_gpu *gpu, enum fake_gpu_order order)
{
	return fake_gpu_complete_some(gpu, order, ~0u);
}

unsigned fake_gpu_pending_count(struct fake_gpu *gpu)
{
	return fake_gpu_read_count(gpu, &gpu->npending);
}

/* ---- receiving requests ---- */

/* The counter of commands of `type` (2D and 3D groups), or NULL for any other type. */
static uint64_t *command_counter(struct fake_gpu *gpu, uint32_t type)
{
	unsigned group = type >> 8;

	if ((group == 1 || group == 2) && (type & 0xf0) == 0)
		return &gpu->cmd_counts[group - 1][type & 0xf];
	return NULL;
}

static void count_command(struct fake_gpu *gpu, uint32_t type)
{
	uint64_t *counter = command_counter(gpu, type);

	if (counter)
		(*counter)++;
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
		.resource_id = fake_gpu_command_subject(buf, len),
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
	/* Fence ids may start again from 1, but only once every earlier fence is done. */
	if (hdr->fence_id <= gpu->last_fence && (hdr->fence_id != 1 || fenced_pending(gpu)))
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
		type = fake_gpu_execute(gpu, p->queue, buf, len, &p->answer);
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
	p->polled = action == FAKE_GPU_POLLED;
	if (action == FAKE_GPU_DROP)
		free(p);
	else if (action == FAKE_GPU_DEFER || p->polled || (p->fenced && fenced_pending(gpu)))
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
		fake_gpu_raise_irq(gpu, queue);
	}
}

void fake_gpu_process_queue(struct fake_gpu *gpu, uint16_t queue)
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

/* ---- test controls and records ---- */

void fake_gpu_add_rule(struct fake_gpu *gpu, uint32_t cmd, enum fake_gpu_action action,
		       uint32_t error, int count)
{
	pthread_mutex_lock(&gpu->mutex);
	if (gpu->nrules < FAKE_GPU_MAX_RULES)
		gpu->rules[gpu->nrules++] = (struct fake_gpu_rule){
			.cmd = cmd,
			.action = action,
			.error = error,
			.remaining = count,
		};
	pthread_mutex_unlock(&gpu->mutex);
}

void fake_gpu_clear_rules(struct fake_gpu *gpu)
{
	pthread_mutex_lock(&gpu->mutex);
	gpu->nrules = 0;
	pthread_mutex_unlock(&gpu->mutex);
}

uint64_t fake_gpu_count(struct fake_gpu *gpu, uint32_t cmd)
{
	uint64_t *counter, n;

	pthread_mutex_lock(&gpu->mutex);
	counter = command_counter(gpu, cmd);
	n = counter ? *counter : 0;
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
