/* SPDX-License-Identifier: MIT */
/*
 * Device side of a split virtqueue (test device model, fake device).  Every
 * descriptor is copied out of the shared table once before it is looked at,
 * so a driver that rewrites the table meanwhile cannot make the walk check
 * one value and use another.
 */
#include "vring_device.h"

#include <string.h>

#define DESC_F_NEXT 1u
#define DESC_F_WRITE 2u
#define DESC_F_INDIRECT 4u
#define AVAIL_F_NO_INTERRUPT 1u

struct vring_dev_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* ring[size] is followed by used_event (EVENT_IDX). */
struct vring_dev_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

struct vring_dev_used_elem {
	uint32_t id;
	uint32_t len;
};

/* ring[size] is followed by avail_event (EVENT_IDX). */
struct vring_dev_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_dev_used_elem ring[];
};

static uint16_t load_acquire16(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_release16(uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static uint16_t *used_event(const struct vring_dev *vr)
{
	return &vr->avail->ring[vr->size];
}

static uint16_t *avail_event(const struct vring_dev *vr)
{
	return (uint16_t *)&vr->used->ring[vr->size];
}

static bool is_power_of_two(uint32_t v)
{
	return v && !(v & (v - 1));
}

int vring_dev_init(struct vring_dev *vr, uint16_t size, uint64_t desc_pa, uint64_t avail_pa,
		   uint64_t used_pa, bool indirect, bool event_idx, vring_dev_map_fn map,
		   void *map_ctx)
{
	uint64_t desc_len = 16ull * size;
	uint64_t avail_len = 6ull + 2ull * size;
	uint64_t used_len = 6ull + 8ull * size;

	memset(vr, 0, sizeof(*vr));
	if (!is_power_of_two(size) || size > 32768u || !map)
		return VRING_DEV_E_HEAD;
	if ((desc_pa & 15) || (avail_pa & 1) || (used_pa & 3))
		return VRING_DEV_E_ADDR;
	vr->desc = map(map_ctx, desc_pa, desc_len);
	vr->avail = map(map_ctx, avail_pa, avail_len);
	vr->used = map(map_ctx, used_pa, used_len);
	if (!vr->desc || !vr->avail || !vr->used)
		return VRING_DEV_E_ADDR;
	vr->size = size;
	vr->indirect = indirect;
	vr->event_idx = event_idx;
	vr->map = map;
	vr->map_ctx = map_ctx;
	return 0;
}

static int add_segment(struct vring_dev *vr, struct vring_dev_req *req,
		       const struct vring_dev_desc *d)
{
	bool writes = d->flags & DESC_F_WRITE;
	void *va;

	if (d->len == 0)
		return VRING_DEV_E_EMPTY_BUF;
	if (!writes && req->writable)
		return VRING_DEV_E_ORDER;
	if (req->nsegs >= VRING_DEV_MAX_SEGS)
		return VRING_DEV_E_TOO_LONG;
	va = vr->map(vr->map_ctx, d->addr, d->len);
	if (!va)
		return VRING_DEV_E_ADDR;
	req->segs[req->nsegs].va = va;
	req->segs[req->nsegs].len = d->len;
	req->segs[req->nsegs].device_writes = writes;
	req->nsegs++;
	if (writes)
		req->writable += d->len;
	else
		req->readable += d->len;
	return 0;
}

/*
 * Switch the walk from the ring's table into the indirect table `d` names.
 * Allowed once per chain, only as its sole descriptor's target (the spec
 * forbids INDIRECT together with NEXT and indirect tables inside indirect
 * tables).
 */
static int enter_indirect(struct vring_dev *vr, const struct vring_dev_desc *d, bool *in_indirect,
			  const struct vring_dev_desc **table, uint32_t *table_size)
{
	if (!vr->indirect || *in_indirect || (d->flags & DESC_F_NEXT))
		return VRING_DEV_E_INDIRECT;
	if (d->len == 0 || d->len % sizeof(struct vring_dev_desc))
		return VRING_DEV_E_INDIRECT_LEN;
	if (d->len / sizeof(struct vring_dev_desc) > VRING_DEV_MAX_SEGS)
		return VRING_DEV_E_TOO_LONG;
	*table = vr->map(vr->map_ctx, d->addr, d->len);
	if (!*table)
		return VRING_DEV_E_ADDR;
	*table_size = d->len / sizeof(struct vring_dev_desc);
	*in_indirect = true;
	return 0;
}

static int walk_chain(struct vring_dev *vr, struct vring_dev_req *req)
{
	const struct vring_dev_desc *table = vr->desc;
	uint32_t table_size = vr->size;
	uint32_t idx = req->head;
	uint32_t steps = 0;
	bool in_indirect = false;
	int err;

	for (;;) {
		struct vring_dev_desc d;

		if (steps++ >= table_size)
			return VRING_DEV_E_LOOP;
		memcpy(&d, &table[idx], sizeof(d));
		if (d.flags & DESC_F_INDIRECT) {
			err = enter_indirect(vr, &d, &in_indirect, &table, &table_size);
			if (err)
				return err;
			idx = 0;
			steps = 0;
			continue;
		}
		err = add_segment(vr, req, &d);
		if (err)
			return err;
		if (!(d.flags & DESC_F_NEXT))
			return VRING_DEV_REQUEST;
		if (d.next >= table_size)
			return VRING_DEV_E_NEXT;
		idx = d.next;
	}
}

/*
 * With EVENT_IDX, ask to be notified when the driver makes the entry after
 * the last one we read available; then look again so that an entry added
 * in between is not missed.
 */
static bool drained(struct vring_dev *vr)
{
	if (vr->event_idx) {
		store_release16(avail_event(vr), vr->last_avail);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
	return load_acquire16(&vr->avail->idx) == vr->last_avail;
}

int vring_dev_pop(struct vring_dev *vr, struct vring_dev_req *req)
{
	uint16_t avail_idx;

	req->nsegs = 0;
	req->readable = 0;
	req->writable = 0;
	req->head_valid = false;
	if (!vr->size || drained(vr))
		return VRING_DEV_EMPTY;
	avail_idx = load_acquire16(&vr->avail->idx);
	if ((uint16_t)(avail_idx - vr->last_avail) > vr->size)
		return VRING_DEV_E_AVAIL_IDX;
	req->head = __atomic_load_n(&vr->avail->ring[vr->last_avail % vr->size], __ATOMIC_RELAXED);
	vr->last_avail++;
	if (req->head >= vr->size)
		return VRING_DEV_E_HEAD;
	req->head_valid = true;
	return walk_chain(vr, req);
}

void vring_dev_push(struct vring_dev *vr, uint32_t id, uint32_t written)
{
	struct vring_dev_used_elem *e = &vr->used->ring[vr->used_idx % vr->size];

	e->id = id;
	e->len = written;
	vr->used_idx++;
	store_release16(&vr->used->idx, vr->used_idx);
}

bool vring_dev_should_interrupt(struct vring_dev *vr)
{
	uint16_t old = vr->signalled;
	uint16_t now = vr->used_idx;
	bool want;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vr->event_idx) {
		uint16_t event = load_acquire16(used_event(vr));

		want = (uint16_t)(now - event - 1) < (uint16_t)(now - old);
	} else {
		want = now != old && !(load_acquire16(&vr->avail->flags) & AVAIL_F_NO_INTERRUPT);
	}
	vr->signalled = now;
	return want;
}

bool vring_dev_head_queued(const struct vring_dev *vr, uint32_t head)
{
	uint16_t avail_idx = load_acquire16(&vr->avail->idx);
	uint16_t n = (uint16_t)(avail_idx - vr->last_avail);

	if (n > vr->size)
		n = vr->size;
	for (uint16_t i = 0; i < n; i++) {
		if (vr->avail->ring[(uint16_t)(vr->last_avail + i) % vr->size] == head)
			return true;
	}
	return false;
}

size_t vring_dev_read(const struct vring_dev_req *req, void *dst, size_t len)
{
	size_t done = 0;

	for (unsigned i = 0; i < req->nsegs && done < len; i++) {
		const struct vring_dev_seg *s = &req->segs[i];
		size_t n = s->len < len - done ? s->len : len - done;

		if (s->device_writes)
			break;
		memcpy((char *)dst + done, s->va, n);
		done += n;
	}
	return done;
}

size_t vring_dev_write(const struct vring_dev_req *req, const void *src, size_t len)
{
	size_t done = 0;

	for (unsigned i = 0; i < req->nsegs && done < len; i++) {
		const struct vring_dev_seg *s = &req->segs[i];
		size_t n = s->len < len - done ? s->len : len - done;

		if (!s->device_writes)
			continue;
		memcpy(s->va, (const char *)src + done, n);
		done += n;
	}
	return done;
}
