/* SPDX-License-Identifier: MIT */
/*
 * A split virtqueue (virtio 1.x, section 2.7), driver side, freestanding.
 *
 * The queue keeps no memory of its own beyond what its owner gives it: the
 * ring (one DMA allocation of vgpu_vq_ring_bytes()) and, per request, an
 * optional indirect descriptor table.  It is not thread-safe: the owner
 * serialises every call on one queue with its lock.
 */
#ifndef VGPU_KMD_VIRTQUEUE_H
#define VGPU_KMD_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../os.h"

#define VGPU_VQ_MAX_SIZE 32768u

/* One buffer of a request: device-readable (out) or device-writable (in). */
struct vgpu_vq_buf {
	uint64_t pa;
	uint32_t len;
	bool device_writes;
};

struct vgpu_vq {
	uint16_t index;
	uint16_t size;
	bool event_idx;
	bool indirect;

	/* ring memory, inside `ring` */
	struct vgpu_vq_desc *desc;
	struct vgpu_vq_avail *avail;
	struct vgpu_vq_used *used;
	uint64_t desc_pa, avail_pa, used_pa;

	uint16_t free_head; /* first free descriptor, chained through links */
	uint16_t num_free;
	uint16_t avail_idx;  /* our shadow of avail->idx */
	uint16_t last_used;  /* next used entry to consume */
	uint16_t kicked_idx; /* avail_idx at the last notification decision */
	bool interrupts;     /* the owner wants an interrupt per completion */

	/* per head descriptor: the owner's token and the chain length */
	void **tokens;
	uint16_t *chain_len;
	/*
	 * per descriptor: the next one in its chain or in the free list.  The
	 * device can scribble over the shared table, so its next fields are
	 * only ever written, never trusted back.
	 */
	uint16_t *links;
};

/*
 * Bytes of DMA memory the rings of a `size`-entry queue need (page aligned
 * parts); 0 for a size vgpu_vq_init would refuse.
 */
size_t vgpu_vq_ring_bytes(uint16_t size);
/* Bytes the vgpu_vq_init bookkeeping arrays need (allocated by the caller). */
size_t vgpu_vq_state_bytes(uint16_t size);

/*
 * Lay out the rings of queue `index` in `ring` (zeroed by this call, at least
 * 16-byte aligned) and the bookkeeping in `state` (vgpu_vq_state_bytes(size)
 * bytes, pointer aligned).  size must be a power of two no larger than
 * VGPU_VQ_MAX_SIZE.  Returns 0 or VGPU_E_INVALID.
 */
int vgpu_vq_init(struct vgpu_vq *vq, uint16_t index, uint16_t size, const struct vgpu_dma *ring,
		 void *state, bool indirect, bool event_idx);

/* One descriptor, in the ring or in an indirect table. */
#define VGPU_VQ_DESC_BYTES 16u

/* Bytes an indirect table for `nbufs` buffers needs. */
static inline size_t vgpu_vq_indirect_bytes(unsigned nbufs)
{
	return (size_t)nbufs * VGPU_VQ_DESC_BYTES;
}

/*
 * Make a request of `n` buffers (all device-readable ones first) available
 * to the device.  With `indirect` non-NULL (16-byte aligned, and the queue
 * negotiated INDIRECT_DESC) the chain is written there and takes one ring slot;
 * otherwise it takes n slots.  `token` comes back from vgpu_vq_get_used.
 * Returns 0, VGPU_E_NO_MEMORY (no room now: retry after completions) or
 * VGPU_E_INVALID (n == 0, NULL token, out after in, indirect not negotiated
 * or table too small, chain longer than the queue).
 */
int vgpu_vq_add(struct vgpu_vq *vq, const struct vgpu_vq_buf *bufs, unsigned n,
		const struct vgpu_dma *indirect, void *token);

/* After one or more adds: does the device want a notification? */
bool vgpu_vq_kick_prepare(struct vgpu_vq *vq);

/*
 * Take the next completed request: its token, and in *written the bytes the
 * device says it wrote (unchecked: the owner clamps it).  NULL when none is
 * pending.  A used entry that names a descriptor not in flight (a misbehaving
 * device) is skipped and counted in *bad (if non-NULL) instead of being
 * trusted; so is a used index more than the queue size ahead, which is
 * counted and left unconsumed (the owner should give up on the device).
 */
void *vgpu_vq_get_used(struct vgpu_vq *vq, uint32_t *written, uint32_t *bad);

/* Ask the device to interrupt (or not) on the next completion. */
void vgpu_vq_enable_interrupts(struct vgpu_vq *vq, bool enable);

#endif /* VGPU_KMD_VIRTQUEUE_H */
