/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueue, driver side (virtio 1.x, section 2.7).
 *
 * Ring memory: the descriptor table at 0, the available ring right after it
 * and the used ring at the next 4096-aligned offset (the legacy layout,
 * which keeps the device-written part on pages of its own).  Everything the
 * device writes is read once, through a single load, and checked before use.
 */
#include "virtqueue.h"

#include "../util.h"
#include "vgpu/vgpu_abi.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the rings are little-endian and stored without byte swapping"
#endif

#define VQ_DESC_F_NEXT 1u
#define VQ_DESC_F_WRITE 2u
#define VQ_DESC_F_INDIRECT 4u
#define VQ_AVAIL_F_NO_INTERRUPT 1u
#define VQ_USED_F_NO_NOTIFY 1u
#define VQ_USED_ALIGN 4096u

struct vgpu_vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* ring[size] is followed by used_event. */
struct vgpu_vq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

struct vgpu_vq_used_elem {
	uint32_t id;
	uint32_t len;
};

/* ring[size] is followed by avail_event. */
struct vgpu_vq_used {
	uint16_t flags;
	uint16_t idx;
	struct vgpu_vq_used_elem ring[];
};

_Static_assert(sizeof(struct vgpu_vq_desc) == VGPU_VQ_DESC_BYTES, "virtq_desc is 16 bytes");
_Static_assert(sizeof(struct vgpu_vq_used_elem) == 8, "virtq_used_elem is 8 bytes");

static bool vq_size_valid(uint16_t size)
{
	return size != 0 && (size & (size - 1)) == 0 && size <= VGPU_VQ_MAX_SIZE;
}

static size_t vq_avail_offset(uint16_t size)
{
	return sizeof(struct vgpu_vq_desc) * size;
}

static size_t vq_used_offset(uint16_t size)
{
	size_t avail_end = vq_avail_offset(size) + sizeof(struct vgpu_vq_avail) +
			   sizeof(uint16_t) * ((size_t)size + 1);

	return vgpu_align_up(avail_end, VQ_USED_ALIGN);
}

size_t vgpu_vq_ring_bytes(uint16_t size)
{
	size_t used_bytes;

	if (!vq_size_valid(size))
		return 0;
	used_bytes = sizeof(struct vgpu_vq_used) + sizeof(struct vgpu_vq_used_elem) * size +
		     sizeof(uint16_t);
	return vq_used_offset(size) + vgpu_align_up(used_bytes, VQ_USED_ALIGN);
}

/* tokens[size], then chain_len[size], then links[size]: pointers first keeps each aligned. */
size_t vgpu_vq_state_bytes(uint16_t size)
{
	if (!vq_size_valid(size))
		return 0;
	return (sizeof(void *) + 2 * sizeof(uint16_t)) * size;
}

/* Single loads and stores of the fields both sides touch: no torn or repeated reads. */
static uint16_t shared_load16(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static uint32_t shared_load32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void shared_store16(uint16_t *p, uint16_t value)
{
	__atomic_store_n(p, value, __ATOMIC_RELAXED);
}

static uint16_t *vq_used_event(struct vgpu_vq *vq)
{
	return &vq->avail->ring[vq->size];
}

static uint16_t *vq_avail_event(struct vgpu_vq *vq)
{
	return (uint16_t *)&vq->used->ring[vq->size];
}

static void vq_reset_free_list(struct vgpu_vq *vq)
{
	uint16_t i;

	for (i = 0; i < vq->size; i++) {
		vq->tokens[i] = NULL;
		vq->chain_len[i] = 0;
		vq->links[i] = (uint16_t)((i + 1u) & (vq->size - 1u));
	}
	vq->free_head = 0;
	vq->num_free = vq->size;
}

int vgpu_vq_init(struct vgpu_vq *vq, uint16_t index, uint16_t size, const struct vgpu_dma *ring,
		 void *state, bool indirect, bool event_idx)
{
	uint8_t *va;

	if (!vq || !ring || !ring->va || !state || !vq_size_valid(size))
		return VGPU_E_INVALID;
	if (ring->size < vgpu_vq_ring_bytes(size) || ((uintptr_t)ring->va & 15) || (ring->pa & 15))
		return VGPU_E_INVALID;
	if ((uintptr_t)state & (_Alignof(void *) - 1))
		return VGPU_E_INVALID;

	va = ring->va;
	vgpu_zero(va, vgpu_vq_ring_bytes(size));
	vq->index = index;
	vq->size = size;
	vq->indirect = indirect;
	vq->event_idx = event_idx;
	vq->desc = (struct vgpu_vq_desc *)va;
	vq->avail = (struct vgpu_vq_avail *)(va + vq_avail_offset(size));
	vq->used = (struct vgpu_vq_used *)(va + vq_used_offset(size));
	vq->desc_pa = ring->pa;
	vq->avail_pa = ring->pa + vq_avail_offset(size);
	vq->used_pa = ring->pa + vq_used_offset(size);
	vq->avail_idx = 0;
	vq->last_used = 0;
	vq->kicked_idx = 0;
	vq->interrupts = true;
	vq->tokens = state;
	vq->chain_len = (uint16_t *)(vq->tokens + size);
	vq->links = vq->chain_len + size;
	vq_reset_free_list(vq);
	return VGPU_OK;
}

/* Device-readable buffers first, then device-writable ones (spec 2.7.4.2). */
static bool bufs_well_ordered(const struct vgpu_vq_buf *bufs, unsigned n)
{
	unsigned i;

	for (i = 1; i < n; i++) {
		if (bufs[i - 1].device_writes && !bufs[i].device_writes)
			return false;
	}
	return true;
}

static void desc_fill(struct vgpu_vq_desc *desc, const struct vgpu_vq_buf *buf, bool more,
		      uint16_t next)
{
	desc->addr = buf->pa;
	desc->len = buf->len;
	desc->flags = (uint16_t)((buf->device_writes ? VQ_DESC_F_WRITE : 0) |
				 (more ? VQ_DESC_F_NEXT : 0));
	desc->next = more ? next : 0;
}

/* Take `count` descriptors off the free list; returns the head of the new chain. */
static uint16_t vq_take_descs(struct vgpu_vq *vq, uint16_t count)
{
	uint16_t head = vq->free_head;
	uint16_t last = head;
	uint16_t i;

	for (i = 1; i < count; i++)
		last = vq->links[last];
	vq->free_head = vq->links[last];
	vq->num_free -= count;
	return head;
}

static uint16_t vq_write_direct(struct vgpu_vq *vq, const struct vgpu_vq_buf *bufs, unsigned n)
{
	uint16_t head = vq_take_descs(vq, (uint16_t)n);
	uint16_t cur = head;
	unsigned i;

	for (i = 0; i < n; i++) {
		desc_fill(&vq->desc[cur], &bufs[i], i + 1 < n, vq->links[cur]);
		cur = vq->links[cur];
	}
	vq->chain_len[head] = (uint16_t)n;
	return head;
}

static uint16_t vq_write_indirect(struct vgpu_vq *vq, const struct vgpu_vq_buf *bufs, unsigned n,
				  const struct vgpu_dma *table)
{
	struct vgpu_vq_desc *entries = table->va;
	uint16_t head = vq_take_descs(vq, 1);
	unsigned i;

	for (i = 0; i < n; i++)
		desc_fill(&entries[i], &bufs[i], i + 1 < n, (uint16_t)(i + 1));
	vq->desc[head].addr = table->pa;
	vq->desc[head].len = (uint32_t)vgpu_vq_indirect_bytes(n);
	vq->desc[head].flags = VQ_DESC_F_INDIRECT;
	vq->desc[head].next = 0;
	vq->chain_len[head] = 1;
	return head;
}

static int vq_check_add(const struct vgpu_vq *vq, const struct vgpu_vq_buf *bufs, unsigned n,
			const struct vgpu_dma *indirect, const void *token)
{
	if (!vq || !bufs || !token || n == 0 || n > vq->size || !bufs_well_ordered(bufs, n))
		return VGPU_E_INVALID;
	if (indirect) {
		if (!vq->indirect || !indirect->va || (indirect->pa & 15) ||
		    indirect->size < vgpu_vq_indirect_bytes(n))
			return VGPU_E_INVALID;
		return vq->num_free ? VGPU_OK : VGPU_E_NO_MEMORY;
	}
	return n <= vq->num_free ? VGPU_OK : VGPU_E_NO_MEMORY;
}

int vgpu_vq_add(struct vgpu_vq *vq, const struct vgpu_vq_buf *bufs, unsigned n,
		const struct vgpu_dma *indirect, void *token)
{
	int err = vq_check_add(vq, bufs, n, indirect, token);
	uint16_t head;

	if (err)
		return err;
	if (indirect)
		head = vq_write_indirect(vq, bufs, n, indirect);
	else
		head = vq_write_direct(vq, bufs, n);
	vq->tokens[head] = token;

	vq->avail->ring[vq->avail_idx & (vq->size - 1u)] = head;
	vq->avail_idx++;
	/* The device must see the descriptors and the ring entry before the new index. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	shared_store16(&vq->avail->idx, vq->avail_idx);
	return VGPU_OK;
}

/* Did the index move from old to new_idx across event (the device's wish)? */
static bool vq_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1u) < (uint16_t)(new_idx - old);
}

bool vgpu_vq_kick_prepare(struct vgpu_vq *vq)
{
	uint16_t old;

	if (!vq)
		return false;
	/* Our index store must be visible before we read what the device asked for. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	old = vq->kicked_idx;
	vq->kicked_idx = vq->avail_idx;
	if (old == vq->avail_idx)
		return false;
	if (vq->event_idx)
		return vq_need_event(shared_load16(vq_avail_event(vq)), vq->avail_idx, old);
	return !(shared_load16(&vq->used->flags) & VQ_USED_F_NO_NOTIFY);
}

/* Return a request's descriptors to the free list and forget its token. */
static void *vq_detach(struct vgpu_vq *vq, uint16_t head)
{
	void *token = vq->tokens[head];
	uint16_t count = vq->chain_len[head];
	uint16_t last = head;
	uint16_t i;

	for (i = 1; i < count; i++)
		last = vq->links[last];
	vq->links[last] = vq->free_head;
	vq->free_head = head;
	vq->num_free += count;
	vq->tokens[head] = NULL;
	vq->chain_len[head] = 0;
	return token;
}

static void count_bad(uint32_t *bad)
{
	if (bad)
		(*bad)++;
}

/*
 * With EVENT_IDX, ask for an interrupt at the next completion, then look
 * again: a completion that raced with the store would otherwise go unnoticed.
 */
static uint16_t vq_rearm(struct vgpu_vq *vq)
{
	shared_store16(vq_used_event(vq), vq->last_used);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return shared_load16(&vq->used->idx);
}

/*
 * Is a used entry waiting?  When caught up, re-arm the interrupt first.  An
 * index more than a ring ahead cannot be honest: refuse to read past it.
 */
static bool vq_used_pending(struct vgpu_vq *vq, uint32_t *bad)
{
	uint16_t used_idx = shared_load16(&vq->used->idx);

	if (used_idx == vq->last_used && vq->event_idx && vq->interrupts)
		used_idx = vq_rearm(vq);
	if (used_idx == vq->last_used)
		return false;
	if ((uint16_t)(used_idx - vq->last_used) > vq->size) {
		count_bad(bad);
		return false;
	}
	/* Read the entry only after the index that covers it. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return true;
}

void *vgpu_vq_get_used(struct vgpu_vq *vq, uint32_t *written, uint32_t *bad)
{
	uint32_t budget;

	if (!vq)
		return NULL;
	/* Bounded even against a device that keeps publishing bogus entries. */
	for (budget = vq->size; budget && vq_used_pending(vq, bad); budget--) {
		struct vgpu_vq_used_elem *elem = &vq->used->ring[vq->last_used & (vq->size - 1u)];
		uint32_t id = shared_load32(&elem->id);
		uint32_t len = shared_load32(&elem->len);

		vq->last_used++;
		if (id >= vq->size || !vq->tokens[id]) {
			count_bad(bad);
			continue;
		}
		if (written)
			*written = len;
		return vq_detach(vq, (uint16_t)id);
	}
	return NULL;
}

void vgpu_vq_enable_interrupts(struct vgpu_vq *vq, bool enable)
{
	if (!vq)
		return;
	vq->interrupts = enable;
	/* Ignored by an EVENT_IDX device, but harmless, and it keeps both modes one path. */
	shared_store16(&vq->avail->flags, enable ? 0 : VQ_AVAIL_F_NO_INTERRUPT);
	if (enable && vq->event_idx)
		vq_rearm(vq);
	else
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
}
