/* SPDX-License-Identifier: MIT */
/*
 * The control-queue engine: builds requests in DMA memory, keeps many in
 * flight, matches completions to them and decides what a completion means.
 *
 * A request is one command (header + fixed fields), optional bulk data
 * (command streams, memory entry lists) and one response buffer.  Its DMA
 * memory comes from pools, so that completing a request never frees DMA
 * memory (which would not be allowed at DISPATCH).
 *
 * Ownership: the caller owns a request from vgpu_req_alloc until it hands
 * it over with vgpu_req_run (synchronous) or vgpu_req_send_fenced
 * (asynchronous).  vgpu_req_run gives it back on VGPU_OK and VGPU_E_DEVICE
 * (the caller reads the response, then calls vgpu_req_free); on a timeout
 * or a lost device the device may still write into it, so the engine keeps
 * it and frees it when the device answers or is reset.
 */
#ifndef VGPU_KMD_CTRLQ_H
#define VGPU_KMD_CTRLQ_H

#include <stdbool.h>
#include <stdint.h>

#include "os.h"
#include "util.h"
#include "virtio/virtqueue.h"

struct vgpu_device;
struct vgpu_request;

/* Slot layout: command, response, indirect table, in one 4 KiB block. */
#define VGPU_REQ_SLOT_BYTES 4096u
#define VGPU_REQ_CMD_MAX 2048u
#define VGPU_REQ_RESP_MAX 1024u
#define VGPU_REQ_MAX_BUFS 64u
/* Bulk data travels in chunks of this size (one descriptor each). */
#define VGPU_REQ_CHUNK_BYTES 65536u
/* Fence ids stay below 2^31: QEMU's vhost-user-gpu keeps only 32 bits. */
#define VGPU_FENCE_ID_LIMIT 0x7fffffffu

/* Called with dev->lock held when an asynchronous request completes. */
typedef void (*vgpu_req_done_fn)(struct vgpu_device *dev, struct vgpu_request *req);

/*
 * Where a fenced request reports: `done` with `owner`, and `order`, a list
 * the request joins (through user_node) in the same step that queues it,
 * so that the list is in the device's order.
 */
struct vgpu_fence_target {
	vgpu_req_done_fn done;
	void *owner;
	uint64_t signal;
	struct vgpu_list *order;
};

struct vgpu_request {
	struct vgpu_list node;      /* engine: in flight / abandoned */
	struct vgpu_list user_node; /* free for the submitter (e.g. a timeline) */
	struct vgpu_dma_block *slot;
	struct vgpu_dma_block *chunks[VGPU_REQ_MAX_BUFS];
	uint32_t nchunks;

	struct vgpu_vq_buf bufs[VGPU_REQ_MAX_BUFS];
	uint32_t nbufs;
	uint32_t cmd_len;
	uint32_t resp_cap;
	void *resp;

	uint16_t queue; /* which virtqueue carries it (the personality decides) */
	bool fenced;
	bool done;
	bool abandoned;
	int status;       /* valid when done: VGPU_OK, VGPU_E_DEVICE, VGPU_E_DEVICE_LOST */
	uint32_t written; /* response bytes the device wrote (clamped to resp_cap) */
	uint32_t resp_type;

	vgpu_req_done_fn on_done;
	void *owner;
	uint64_t signal;
};

/* A pooled piece of DMA memory. */
struct vgpu_dma_block {
	struct vgpu_list node;
	struct vgpu_dma dma;
};

struct vgpu_dma_pool {
	size_t block_size;
	struct vgpu_list free;
};

#define VGPU_MAX_QUEUES 2u
#define VGPU_QUEUE_MAX_SIZE 1024u

/* One virtqueue that carries commands, and its requests in flight. */
struct vgpu_queue {
	struct vgpu_vq vq;
	struct vgpu_dma ring;
	void *vq_state;
	struct vgpu_list in_flight;
};

struct vgpu_ctrlq {
	struct vgpu_queue queues[VGPU_MAX_QUEUES];
	uint32_t nqueues;
	bool ready;
	uint32_t fenced_in_flight;
	uint64_t nudged_ns; /* when vgpu_ctrlq_nudge last notified */
	uint32_t next_fence_id;
	uint32_t fence_id_limit;
	struct vgpu_dma_pool slots;
	struct vgpu_dma_pool chunks;
	/*
	 * The request kept for commands that make the device let go of memory
	 * (vgpu_req_take_kept), and the event its run waits on: made at start.
	 */
	struct vgpu_request *kept;
	void *kept_event;
	bool kept_taken;
};

/* Empty pools, no queues: what vgpu_ctrlq_fini may always release.  PASSIVE. */
void vgpu_ctrlq_init(struct vgpu_device *dev);
/* Set up queues 0 .. nqueues-1 for commands, as large as the device allows.  PASSIVE. */
int vgpu_ctrlq_start(struct vgpu_device *dev, uint32_t nqueues, bool indirect, bool event_idx);
/*
 * After the device is reset: release every request, queue and pool block,
 * back to the state of vgpu_ctrlq_init.  PASSIVE.
 */
void vgpu_ctrlq_fini(struct vgpu_device *dev);

/* A fresh request with room for a command of cmd_len bytes and a response of resp_len. */
int vgpu_req_alloc(struct vgpu_device *dev, uint32_t cmd_len, uint32_t resp_len,
		   struct vgpu_request **out);
/*
 * The request kept for a command that makes the device let go of guest
 * memory or of host-visible space (CTX_DETACH_RESOURCE, RESOURCE_UNREF,
 * RESOURCE_UNMAP_BLOB, CTX_DESTROY), for when vgpu_req_alloc or the run's
 * event finds no memory: such a command must still go out, or the device
 * keeps using what the guest frees.  One holder at a time; another waits up
 * to the command timeout.  Its response must fit the slot (at most
 * VGPU_REQ_RESP_MAX).  Run it with vgpu_req_run and give it back as any
 * request.  VGPU_E_TIMEOUT at once while the engine keeps it for a device
 * that did not answer it, VGPU_E_DEVICE_LOST for a lost device, and
 * VGPU_E_NO_MEMORY when there is none, no memory to wait for it, or its
 * holder kept it past the timeout.  PASSIVE.
 */
int vgpu_req_take_kept(struct vgpu_device *dev, uint32_t cmd_len, uint32_t resp_len,
		       struct vgpu_request **out);
/* The command bytes (zeroed, cmd_len long). */
void *vgpu_req_cmd(struct vgpu_request *req);
/* Append bulk data after the command, copied into DMA chunks.  PASSIVE. */
int vgpu_req_append(struct vgpu_device *dev, struct vgpu_request *req, const void *data,
		    uint32_t len);
/*
 * Give back a request the caller owns (the _locked form with dev->lock
 * held, e.g. from a completion callback).  Any level.
 */
void vgpu_req_free(struct vgpu_device *dev, struct vgpu_request *req);
void vgpu_req_free_locked(struct vgpu_device *dev, struct vgpu_request *req);

/*
 * Send and wait (bounded by the device's command timeout) for the answer;
 * the response header's type must be `want_resp`.  See ownership above.
 */
int vgpu_req_run(struct vgpu_device *dev, struct vgpu_request *req, uint32_t want_resp);

/*
 * Send several requests in order, then wait for each (a device answers in
 * order, so this costs one round trip, not one each).  Every response must
 * be `want_resp`.  statuses[i] says how request i ended; returns the first
 * failure in their order.  The engine releases every request, now or, for
 * one the device may still write, when it answers or is reset.  PASSIVE.
 */
int vgpu_req_run_all(struct vgpu_device *dev, struct vgpu_request *const *reqs, uint32_t n,
		     uint32_t want_resp, int *statuses);

/*
 * Send a fenced request and return at once; on completion target->done runs
 * with dev->lock held and must release the request with
 * vgpu_req_free_locked (now or later).  Returns VGPU_OK (the engine owns
 * it) or an error (caller owns it).  When the fence ids reach their limit,
 * it first waits for every fenced request in flight: VGPU_E_TIMEOUT once a
 * whole command timeout passes without one completing.  PASSIVE.
 */
int vgpu_req_send_fenced(struct vgpu_device *dev, struct vgpu_request *req,
			 const struct vgpu_fence_target *target);

/*
 * Notify each queue that has requests in flight while fenced ones are
 * outstanding, with nothing new on it (see vgpu_wait_fences); at most once
 * per VGPU_FENCE_NUDGE_NS for the whole device.  PASSIVE.
 */
void vgpu_ctrlq_nudge(struct vgpu_device *dev);
/*
 * The same from the OS's periodic timer (dev->nudge_timer), which alone
 * nudges when there is one: no interval to keep.  DISPATCH.
 */
void vgpu_ctrlq_nudge_tick(struct vgpu_device *dev);

/* Consume completions.  Caller holds dev->lock.  DISPATCH. */
void vgpu_ctrlq_process(struct vgpu_device *dev);
/* Fail every request in flight with VGPU_E_DEVICE_LOST.  Caller holds dev->lock. */
void vgpu_ctrlq_fail_all(struct vgpu_device *dev);

#endif /* VGPU_KMD_CTRLQ_H */
