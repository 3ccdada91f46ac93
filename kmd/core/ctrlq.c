/* SPDX-License-Identifier: MIT */
#include "ctrlq.h"

#include "device.h"
#include "personality.h"
#include "gpu/wire.h"
#include "wait.h"

/* Where the parts of a request live inside its 4 KiB slot. */
#define SLOT_RESP_OFFSET VGPU_REQ_CMD_MAX
#define SLOT_INDIRECT_OFFSET (VGPU_REQ_CMD_MAX + VGPU_REQ_RESP_MAX)
#define SLOT_INDIRECT_BYTES (VGPU_REQ_MAX_BUFS * VGPU_VQ_DESC_BYTES)
_Static_assert(SLOT_INDIRECT_OFFSET + SLOT_INDIRECT_BYTES <= VGPU_REQ_SLOT_BYTES,
	       "indirect table must fit in the slot");

static void pool_init(struct vgpu_dma_pool *pool, size_t block_size)
{
	pool->block_size = block_size;
	vgpu_list_init(&pool->free);
}

static struct vgpu_dma_block *pool_get(struct vgpu_device *dev, struct vgpu_dma_pool *pool)
{
	const struct vgpu_os *os = dev->os;
	struct vgpu_dma_block *block = NULL;

	vgpu_dev_lock(dev);
	if (!vgpu_list_empty(&pool->free)) {
		block = vgpu_list_first(&pool->free, struct vgpu_dma_block, node);
		vgpu_list_del(&block->node);
	}
	vgpu_dev_unlock(dev);
	if (block)
		return block;

	block = vgpu_dev_alloc(dev, sizeof(*block));
	if (!block)
		return NULL;
	vgpu_list_init(&block->node);
	if (os->dma_alloc(os->ctx, pool->block_size, &block->dma) != VGPU_OK) {
		vgpu_dev_free(dev, block);
		return NULL;
	}
	return block;
}

/*
 * Caller holds dev->lock.  Blocks are parked, never freed here (freeing DMA
 * needs PASSIVE): the pool keeps the peak until the device goes.
 */
static void pool_put_locked(struct vgpu_dma_pool *pool, struct vgpu_dma_block *block)
{
	vgpu_list_add_tail(&pool->free, &block->node);
}

static void pool_release_all(struct vgpu_device *dev, struct vgpu_dma_pool *pool)
{
	struct vgpu_list *pos, *tmp;

	vgpu_list_for_each_safe(pos, tmp, &pool->free)
	{
		struct vgpu_dma_block *block = vgpu_container_of(pos, struct vgpu_dma_block, node);

		vgpu_list_del(&block->node);
		dev->os->dma_free(dev->os->ctx, &block->dma);
		vgpu_dev_free(dev, block);
	}
}

/* The largest power of two the device allows, within what we need. */
static uint16_t pick_queue_size(uint16_t max)
{
	uint16_t size = 1;

	while ((uint32_t)size * 2 <= max && (uint32_t)size * 2 <= VGPU_QUEUE_MAX_SIZE)
		size *= 2;
	return size;
}

static void queue_free(struct vgpu_device *dev, struct vgpu_queue *queue)
{
	if (!queue->vq_state)
		return;
	vgpu_dev_free(dev, queue->vq_state);
	queue->vq_state = NULL;
	dev->os->dma_free(dev->os->ctx, &queue->ring);
}

static int queue_init(struct vgpu_device *dev, struct vgpu_queue *queue, uint16_t index,
		      bool indirect, bool event_idx)
{
	const struct vgpu_os *os = dev->os;
	const struct vgpu_transport *t = dev->transport;
	uint16_t max = t->ops->queue_max_size(t->priv, index);
	uint16_t size = pick_queue_size(max);
	int ret;

	if (max == 0)
		return VGPU_E_DEVICE;
	if (os->dma_alloc(os->ctx, vgpu_vq_ring_bytes(size), &queue->ring) != VGPU_OK)
		return VGPU_E_NO_MEMORY;
	queue->vq_state = vgpu_dev_alloc(dev, vgpu_vq_state_bytes(size));
	if (!queue->vq_state) {
		os->dma_free(os->ctx, &queue->ring);
		return VGPU_E_NO_MEMORY;
	}
	ret = vgpu_vq_init(&queue->vq, index, size, &queue->ring, queue->vq_state, indirect,
			   event_idx);
	if (ret == VGPU_OK)
		ret = t->ops->queue_enable(t->priv, index, size, queue->vq.desc_pa,
					   queue->vq.avail_pa, queue->vq.used_pa);
	if (ret != VGPU_OK)
		queue_free(dev, queue);
	return ret;
}

/* The kept request, its slot and event; none of them if any cannot be had. */
static int kept_make(struct vgpu_device *dev)
{
	const struct vgpu_os *os = dev->os;
	struct vgpu_ctrlq *q = &dev->ctrlq;
	struct vgpu_request *req = vgpu_dev_alloc(dev, sizeof(*req));
	void *event = os->event_create(os->ctx);
	struct vgpu_dma_block *slot = req && event ? pool_get(dev, &q->slots) : NULL;

	if (!slot) {
		if (event)
			os->event_destroy(os->ctx, event);
		vgpu_dev_free(dev, req);
		return VGPU_E_NO_MEMORY;
	}
	req->slot = slot;
	q->kept = req;
	q->kept_event = event;
	q->kept_taken = false;
	return VGPU_OK;
}

/* After the reset (nothing in flight): the kept request's slot back to its pool. */
static void kept_release(struct vgpu_device *dev)
{
	const struct vgpu_os *os = dev->os;
	struct vgpu_ctrlq *q = &dev->ctrlq;

	if (!q->kept)
		return;
	vgpu_dev_lock(dev);
	pool_put_locked(&q->slots, q->kept->slot);
	vgpu_dev_unlock(dev);
	vgpu_dev_free(dev, q->kept);
	os->event_destroy(os->ctx, q->kept_event);
	q->kept = NULL;
	q->kept_event = NULL;
	q->kept_taken = false;
}

void vgpu_ctrlq_init(struct vgpu_device *dev)
{
	pool_init(&dev->ctrlq.slots, VGPU_REQ_SLOT_BYTES);
	pool_init(&dev->ctrlq.chunks, VGPU_REQ_CHUNK_BYTES);
}

int vgpu_ctrlq_start(struct vgpu_device *dev, uint32_t nqueues, bool indirect, bool event_idx)
{
	struct vgpu_ctrlq *q = &dev->ctrlq;
	uint32_t i;
	int ret;

	if (nqueues == 0 || nqueues > VGPU_MAX_QUEUES)
		return VGPU_E_INVALID;
	q->next_fence_id = 1;
	q->fence_id_limit = VGPU_FENCE_ID_LIMIT;
	for (i = 0; i < nqueues; i++) {
		vgpu_list_init(&q->queues[i].in_flight);
		ret = queue_init(dev, &q->queues[i], (uint16_t)i, indirect, event_idx);
		if (ret != VGPU_OK) {
			while (i--)
				queue_free(dev, &q->queues[i]);
			return ret;
		}
	}
	q->nqueues = nqueues;
	ret = kept_make(dev);
	if (ret != VGPU_OK)
		return ret; /* the caller's vgpu_ctrlq_fini frees the queues */
	q->ready = true;
	return VGPU_OK;
}

static void req_release_locked(struct vgpu_device *dev, struct vgpu_request *req)
{
	struct vgpu_ctrlq *q = &dev->ctrlq;
	uint32_t i;

	if (req == q->kept) {
		/* Its slot stays with it; its response lies in the slot, so it has no chunks. */
		q->kept_taken = false;
		vgpu_wake_all(dev);
		return;
	}
	for (i = 0; i < req->nchunks; i++)
		pool_put_locked(&q->chunks, req->chunks[i]);
	if (req->slot)
		pool_put_locked(&q->slots, req->slot);
	vgpu_dev_free(dev, req);
}

void vgpu_ctrlq_fini(struct vgpu_device *dev)
{
	struct vgpu_ctrlq *q = &dev->ctrlq;
	struct vgpu_list *pos, *tmp;
	uint32_t i;

	/*
	 * The device has been reset: nothing it held can be written any more.
	 * A late interrupt may still run: once not ready, it leaves the lists alone.
	 */
	vgpu_dev_lock(dev);
	q->ready = false;
	vgpu_dev_unlock(dev);
	for (i = 0; i < q->nqueues; i++) {
		vgpu_list_for_each_safe(pos, tmp, &q->queues[i].in_flight)
		{
			struct vgpu_request *req =
				vgpu_container_of(pos, struct vgpu_request, node);

			vgpu_list_del(&req->node);
			req_release_locked(dev, req);
		}
		queue_free(dev, &q->queues[i]);
	}
	q->nqueues = 0;
	kept_release(dev);
	pool_release_all(dev, &q->slots);
	pool_release_all(dev, &q->chunks);
}

/*
 * A request with all but its slot zero (as os->alloc gives it) made ready:
 * the command zeroed, and the response in the slot when it fits there
 * (else the caller adds a chunk for it).
 */
static void req_prepare(struct vgpu_request *req, uint32_t cmd_len, uint32_t resp_len)
{
	struct vgpu_dma_block *block = req->slot;
	uint8_t *slot = block->dma.va;

	vgpu_list_init(&req->node);
	vgpu_list_init(&req->user_node);
	/* Only what the device reads or writes: zeroing whole slots cost more than the rest. */
	vgpu_zero(slot, cmd_len);
	req->cmd_len = cmd_len;
	req->bufs[0] = (struct vgpu_vq_buf){ .pa = block->dma.pa, .len = cmd_len };
	req->nbufs = 1;
	req->resp_cap = resp_len;
	if (resp_len <= VGPU_REQ_RESP_MAX) {
		req->resp = slot + SLOT_RESP_OFFSET;
		vgpu_zero(req->resp, resp_len);
		req->bufs[VGPU_REQ_MAX_BUFS - 1] =
			(struct vgpu_vq_buf){ .pa = block->dma.pa + SLOT_RESP_OFFSET,
					      .len = resp_len,
					      .device_writes = true };
	}
}

int vgpu_req_alloc(struct vgpu_device *dev, uint32_t cmd_len, uint32_t resp_len,
		   struct vgpu_request **out)
{
	struct vgpu_request *req;

	if (cmd_len < sizeof(struct wire_hdr) || cmd_len > VGPU_REQ_CMD_MAX ||
	    resp_len < sizeof(struct wire_hdr) || resp_len > VGPU_REQ_CHUNK_BYTES)
		return VGPU_E_INVALID;

	req = vgpu_dev_alloc(dev, sizeof(*req));
	if (!req)
		return VGPU_E_NO_MEMORY;
	req->slot = pool_get(dev, &dev->ctrlq.slots);
	if (!req->slot) {
		vgpu_dev_free(dev, req);
		return VGPU_E_NO_MEMORY;
	}
	req_prepare(req, cmd_len, resp_len);
	if (resp_len > VGPU_REQ_RESP_MAX) {
		struct vgpu_dma_block *block = pool_get(dev, &dev->ctrlq.chunks);

		if (!block) {
			vgpu_req_free(dev, req);
			return VGPU_E_NO_MEMORY;
		}
		req->chunks[req->nchunks++] = block;
		req->resp = block->dma.va;
		vgpu_zero(req->resp, sizeof(struct wire_hdr));
		req->bufs[VGPU_REQ_MAX_BUFS - 1] = (struct vgpu_vq_buf){ .pa = block->dma.pa,
									 .len = resp_len,
									 .device_writes = true };
	}
	*out = req;
	return VGPU_OK;
}

struct kept_claim {
	struct vgpu_device *dev;
	bool taken;
};

/*
 * Takes the kept request if it is free.  Nothing to wait for when there is
 * none, the device is lost, or the engine holds it for a device that did
 * not answer it.
 */
static bool claim_kept(void *arg)
{
	struct kept_claim *c = arg;
	struct vgpu_ctrlq *q = &c->dev->ctrlq;

	if (!q->kept || c->dev->lost)
		return true;
	if (q->kept_taken)
		return q->kept->abandoned;
	q->kept_taken = c->taken = true;
	return true;
}

int vgpu_req_take_kept(struct vgpu_device *dev, uint32_t cmd_len, uint32_t resp_len,
		       struct vgpu_request **out)
{
	struct vgpu_ctrlq *q = &dev->ctrlq;
	struct kept_claim claim = { .dev = dev };
	int ret;

	if (cmd_len < sizeof(struct wire_hdr) || cmd_len > VGPU_REQ_CMD_MAX ||
	    resp_len < sizeof(struct wire_hdr) || resp_len > VGPU_REQ_RESP_MAX)
		return VGPU_E_INVALID;
	ret = vgpu_wait_until(dev, claim_kept, &claim, dev->command_timeout_ns);
	if (claim.taken) {
		struct vgpu_dma_block *slot = q->kept->slot;

		/* what its last run left, cleared as a fresh allocation would be */
		vgpu_zero(q->kept, sizeof(*q->kept));
		q->kept->slot = slot;
		req_prepare(q->kept, cmd_len, resp_len);
		*out = q->kept;
		return VGPU_OK;
	}
	/* A holder still busy with a working device is no silence: as if memory ran out. */
	if (ret != VGPU_OK || !q->kept)
		return VGPU_E_NO_MEMORY;
	return dev->lost ? VGPU_E_DEVICE_LOST : VGPU_E_TIMEOUT;
}

void *vgpu_req_cmd(struct vgpu_request *req)
{
	return req->slot->dma.va;
}

int vgpu_req_append(struct vgpu_device *dev, struct vgpu_request *req, const void *data,
		    uint32_t len)
{
	const uint8_t *src = data;

	while (len) {
		struct vgpu_vq_buf *last = &req->bufs[req->nbufs - 1];
		struct vgpu_dma_block *chunk =
			req->nbufs > 1 ? req->chunks[req->nchunks - 1] : NULL;
		uint32_t room, n;

		/* The last out buffer is a data chunk with room left: fill it first. */
		if (chunk && last->pa == chunk->dma.pa && last->len < VGPU_REQ_CHUNK_BYTES) {
			room = VGPU_REQ_CHUNK_BYTES - last->len;
		} else {
			if (req->nbufs + 1 >= VGPU_REQ_MAX_BUFS ||
			    req->nchunks >= VGPU_REQ_MAX_BUFS)
				return VGPU_E_INVALID;
			chunk = pool_get(dev, &dev->ctrlq.chunks);
			if (!chunk)
				return VGPU_E_NO_MEMORY;
			req->chunks[req->nchunks++] = chunk;
			last = &req->bufs[req->nbufs++];
			*last = (struct vgpu_vq_buf){ .pa = chunk->dma.pa, .len = 0 };
			room = VGPU_REQ_CHUNK_BYTES;
		}
		n = len < room ? len : room;
		vgpu_copy((uint8_t *)chunk->dma.va + last->len, src, n);
		last->len += n;
		src += n;
		len -= n;
	}
	return VGPU_OK;
}

/* A request on the in-flight list is the device's: its memory may still be written. */
void vgpu_req_free_locked(struct vgpu_device *dev, struct vgpu_request *req)
{
	if (!vgpu_list_empty(&req->node))
		req->abandoned = true; /* released when the device lets go, or at reset */
	else
		req_release_locked(dev, req);
}

void vgpu_req_free(struct vgpu_device *dev, struct vgpu_request *req)
{
	vgpu_dev_lock(dev);
	vgpu_req_free_locked(dev, req);
	vgpu_dev_unlock(dev);
}

struct enqueue {
	struct vgpu_device *dev;
	struct vgpu_request *req;
	struct vgpu_list *order;
	int result;
	bool kick;
	bool draining;       /* waiting at the fence id wrap */
	uint32_t drain_left; /* fenced requests in flight when it last looked */
};

/*
 * Whether q->next_fence_id may go out now.  At the limit, ids restart only
 * when no fenced request is in flight, so that "every fence up to this id"
 * keeps its meaning on the device.  Caller holds dev->lock.
 */
static bool fence_id_ready(struct vgpu_ctrlq *q, struct enqueue *e)
{
	if (q->next_fence_id >= q->fence_id_limit) {
		if (q->fenced_in_flight) {
			if (!e->draining)
				e->drain_left = q->fenced_in_flight;
			e->draining = true;
			return false;
		}
		q->next_fence_id = 1;
	}
	e->draining = false;
	return true;
}

/* The request's indirect descriptor table, at the end of its slot. */
static struct vgpu_dma slot_indirect(const struct vgpu_request *req)
{
	return (struct vgpu_dma){ .va = (uint8_t *)req->slot->dma.va + SLOT_INDIRECT_OFFSET,
				  .pa = req->slot->dma.pa + SLOT_INDIRECT_OFFSET,
				  .size = SLOT_INDIRECT_BYTES };
}

/* Runs under dev->lock: false means "no room yet, wait for completions". */
static bool try_enqueue(void *arg)
{
	struct enqueue *e = arg;
	struct vgpu_ctrlq *q = &e->dev->ctrlq;
	struct vgpu_request *req = e->req;
	struct vgpu_queue *queue = &q->queues[req->queue];
	struct vgpu_dma indirect = slot_indirect(req);
	int ret;

	if (e->dev->lost) {
		e->result = VGPU_E_DEVICE_LOST;
		return true;
	}
	if (req->fenced) {
		struct wire_hdr *hdr = vgpu_req_cmd(req);

		if (!fence_id_ready(q, e))
			return false;
		hdr->flags |= WIRE_FLAG_FENCE;
		hdr->fence_id = q->next_fence_id;
	}

	ret = vgpu_vq_add(&queue->vq, req->bufs, req->nbufs, queue->vq.indirect ? &indirect : NULL,
			  req);
	if (ret == VGPU_E_NO_MEMORY)
		return false;
	e->result = ret;
	if (ret != VGPU_OK)
		return true;

	vgpu_list_add_tail(&queue->in_flight, &req->node);
	if (e->order)
		vgpu_list_add_tail(e->order, &req->user_node);
	e->dev->stats.requests_in_flight++;
	if (req->fenced) {
		q->fenced_in_flight++;
		q->next_fence_id++;
	}
	e->kick = vgpu_vq_kick_prepare(&queue->vq);
	return true;
}

/*
 * The wrap waits for every fenced request in flight, which may take a
 * healthy device more than one command timeout: a timeout counts only if
 * no fenced request completed during it.  None can be queued meanwhile, so
 * the count only falls and the rounds are bounded by it.
 */
static bool drain_progressed(struct vgpu_device *dev, struct enqueue *e)
{
	bool progressed;

	vgpu_dev_lock(dev);
	progressed = e->draining && dev->ctrlq.fenced_in_flight < e->drain_left;
	e->drain_left = dev->ctrlq.fenced_in_flight;
	vgpu_dev_unlock(dev);
	return progressed;
}

/* event: what a wait for room on the ring uses (NULL: one of its own, which can fail). */
static int enqueue(struct vgpu_device *dev, struct vgpu_request *req, struct vgpu_list *order,
		   void *event)
{
	const struct vgpu_transport *t = dev->transport;
	struct enqueue e = { .dev = dev, .req = req, .order = order, .result = VGPU_E_TIMEOUT };
	int ret;

	/* The response buffer goes last: every device-readable buffer precedes it. */
	req->bufs[req->nbufs++] = req->bufs[VGPU_REQ_MAX_BUFS - 1];
	req->queue = vgpu_personality_queue(dev, ((struct wire_hdr *)vgpu_req_cmd(req))->type);
	do {
		ret = event ? vgpu_wait_until_event(dev, try_enqueue, &e, dev->command_timeout_ns,
						    event)
			    : vgpu_wait_until(dev, try_enqueue, &e, dev->command_timeout_ns);
	} while (ret == VGPU_E_TIMEOUT && drain_progressed(dev, &e));
	if (ret != VGPU_OK || e.result != VGPU_OK) {
		req->nbufs--;
		return ret != VGPU_OK ? ret : e.result;
	}
	/* Notify outside dev->lock: a synchronous device may complete right here. */
	if (e.kick)
		t->ops->queue_notify(t->priv, req->queue);
	return VGPU_OK;
}

static void nudge(struct vgpu_device *dev, bool keep_interval)
{
	const struct vgpu_transport *t = dev->transport;
	struct vgpu_ctrlq *q = &dev->ctrlq;
	bool busy[VGPU_MAX_QUEUES] = { false };
	uint64_t now = dev->os->now_ns(dev->os->ctx);
	uint32_t i, n = 0;

	vgpu_dev_lock(dev);
	/* One nudge per interval for the device, however many threads wait. */
	if (!dev->lost && q->ready && q->fenced_in_flight &&
	    (!keep_interval || now - q->nudged_ns >= VGPU_FENCE_NUDGE_NS)) {
		q->nudged_ns = now;
		n = q->nqueues;
	}
	for (i = 0; i < n; i++)
		busy[i] = !vgpu_list_empty(&q->queues[i].in_flight);
	vgpu_dev_unlock(dev);
	/* Outside dev->lock, as after queueing: a synchronous device may complete here. */
	for (i = 0; i < n; i++)
		if (busy[i])
			t->ops->queue_notify(t->priv, (uint16_t)i);
}

void vgpu_ctrlq_nudge(struct vgpu_device *dev)
{
	nudge(dev, true);
}

void vgpu_ctrlq_nudge_tick(struct vgpu_device *dev)
{
	nudge(dev, false);
}

static bool req_done(void *arg)
{
	return ((struct vgpu_request *)arg)->done;
}

/*
 * The outcome of a sent request once its wait ended with `waited`.  On a
 * timeout or a lost device the device may still write into it: the engine
 * keeps it.  Otherwise the caller owns it again.
 */
static int answered(struct vgpu_device *dev, struct vgpu_request *req, int waited,
		    uint32_t want_resp)
{
	uint32_t type = ((struct wire_hdr *)vgpu_req_cmd(req))->type;
	int ret = waited;

	vgpu_dev_lock(dev);
	/* An answer that came after all (or that was not waited for) counts. */
	if (req->done)
		ret = VGPU_OK;
	if (ret == VGPU_OK && req->status == VGPU_OK && req->resp_type != want_resp)
		req->status = VGPU_E_DEVICE;
	if (ret == VGPU_OK)
		ret = req->status;
	if (ret == VGPU_E_TIMEOUT || ret == VGPU_E_DEVICE_LOST) {
		/* Released now if the engine no longer tracks it: the type was read before. */
		vgpu_req_free_locked(dev, req);
		if (ret == VGPU_E_TIMEOUT)
			vgpu_dev_log(dev, VGPU_LOG_ERROR, "device did not answer command", type, 0);
	}
	vgpu_dev_unlock(dev);
	return ret;
}

int vgpu_req_run(struct vgpu_device *dev, struct vgpu_request *req, uint32_t want_resp)
{
	const struct vgpu_os *os = dev->os;
	bool kept = req == dev->ctrlq.kept, sent;
	/* Made before the command goes out: once it has, waiting must not fail. */
	void *event = kept ? dev->ctrlq.kept_event : os->event_create(os->ctx);
	int ret;

	if (!event) {
		vgpu_req_free(dev, req);
		return VGPU_E_NO_MEMORY;
	}
	ret = enqueue(dev, req, NULL, event);
	sent = ret == VGPU_OK;
	if (sent)
		ret = vgpu_wait_until_event(dev, req_done, req, dev->command_timeout_ns, event);
	if (!kept)
		os->event_destroy(os->ctx, event);
	if (sent)
		return answered(dev, req, ret, want_resp);
	vgpu_req_free(dev, req);
	return ret;
}

int vgpu_req_run_all(struct vgpu_device *dev, struct vgpu_request *const *reqs, uint32_t n,
		     uint32_t want_resp, int *statuses)
{
	const struct vgpu_os *os = dev->os;
	void *event = os->event_create(os->ctx);
	int ret = event ? VGPU_OK : VGPU_E_NO_MEMORY, silence = VGPU_OK, first = VGPU_OK;
	uint32_t sent = 0, i;

	while (ret == VGPU_OK && sent < n) {
		ret = enqueue(dev, reqs[sent], NULL, event);
		if (ret == VGPU_OK)
			sent++;
	}
	for (i = sent; i < n; i++) {
		vgpu_req_free(dev, reqs[i]);
		statuses[i] = ret;
	}
	for (i = 0; i < sent; i++) {
		/* After a silence the rest is not waited for: the engine keeps it. */
		int waited = silence != VGPU_OK
				     ? silence
				     : vgpu_wait_until_event(dev, req_done, reqs[i],
							     dev->command_timeout_ns, event);

		statuses[i] = answered(dev, reqs[i], waited, want_resp);
		if (statuses[i] == VGPU_OK || statuses[i] == VGPU_E_DEVICE)
			vgpu_req_free(dev, reqs[i]);
		if (statuses[i] == VGPU_E_TIMEOUT || statuses[i] == VGPU_E_DEVICE_LOST)
			silence = statuses[i];
	}
	if (event)
		os->event_destroy(os->ctx, event);
	for (i = 0; i < n && first == VGPU_OK; i++)
		first = statuses[i];
	return first;
}

int vgpu_req_send_fenced(struct vgpu_device *dev, struct vgpu_request *req,
			 const struct vgpu_fence_target *target)
{
	req->fenced = true;
	req->on_done = target->done;
	req->owner = target->owner;
	req->signal = target->signal;
	return enqueue(dev, req, target->order, NULL);
}

/* What a completion says: the device's answer is untrusted input. */
static void classify(struct vgpu_device *dev, struct vgpu_request *req, uint32_t written)
{
	const struct wire_hdr *resp = req->resp;

	req->written = written < req->resp_cap ? written : req->resp_cap;
	if (req->written < sizeof(*resp)) {
		req->resp_type = 0;
		req->status = VGPU_E_DEVICE;
		dev->stats.bad_completions++;
	} else {
		req->resp_type = resp->type;
		req->status =
			(resp->type >= WIRE_RESP_OK_NODATA && resp->type < WIRE_RESP_ERR_UNSPEC)
				? VGPU_OK
				: VGPU_E_DEVICE;
	}
	if (req->status != VGPU_OK) {
		dev->stats.device_errors++;
		vgpu_dev_log(dev, VGPU_LOG_WARN, "device answered with an error", req->resp_type,
			     ((struct wire_hdr *)vgpu_req_cmd(req))->type);
	}
}

static void finish(struct vgpu_device *dev, struct vgpu_request *req)
{
	req->done = true;
	if (req->on_done)
		req->on_done(dev, req);
	else if (req->abandoned)
		vgpu_req_free_locked(dev, req);
}

/* Consume one queue's completions; true if there were any. */
static bool process_queue(struct vgpu_device *dev, struct vgpu_queue *queue, uint32_t *bad)
{
	struct vgpu_ctrlq *q = &dev->ctrlq;
	struct vgpu_request *req;
	uint32_t written;
	bool any = false;

	for (;;) {
		req = vgpu_vq_get_used(&queue->vq, &written, bad);
		if (!req) {
			/* Re-arm, then look once more: a completion may have raced the re-arm. */
			vgpu_vq_enable_interrupts(&queue->vq, true);
			req = vgpu_vq_get_used(&queue->vq, &written, bad);
			if (!req)
				break;
		}
		any = true;
		vgpu_list_del(&req->node);
		dev->stats.requests_in_flight--;
		if (req->fenced)
			q->fenced_in_flight--;
		if (req->done) {
			/* Already failed when the device was declared lost. */
			if (req->abandoned)
				vgpu_req_free_locked(dev, req);
			continue;
		}
		classify(dev, req, written);
		finish(dev, req);
	}
	return any;
}

void vgpu_ctrlq_process(struct vgpu_device *dev)
{
	struct vgpu_ctrlq *q = &dev->ctrlq;
	uint32_t i, bad = 0;
	bool any = false;

	if (!q->ready)
		return;
	for (i = 0; i < q->nqueues; i++)
		any |= process_queue(dev, &q->queues[i], &bad);
	dev->stats.bad_completions += bad;
	if (any || bad)
		vgpu_wake_all(dev);
}

void vgpu_ctrlq_fail_all(struct vgpu_device *dev)
{
	struct vgpu_ctrlq *q = &dev->ctrlq;
	struct vgpu_list *pos, *tmp;
	uint32_t i;

	for (i = 0; i < q->nqueues; i++) {
		vgpu_list_for_each_safe(pos, tmp, &q->queues[i].in_flight)
		{
			struct vgpu_request *req =
				vgpu_container_of(pos, struct vgpu_request, node);

			if (req->done)
				continue;
			req->status = VGPU_E_DEVICE_LOST;
			finish(dev, req);
		}
	}
	vgpu_wake_all(dev);
}
