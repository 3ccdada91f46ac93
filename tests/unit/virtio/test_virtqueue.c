/* SPDX-License-Identifier: MIT */
/*
 * The split virtqueue against a fake device written here from the spec's
 * ring layout (virtio 1.x, 2.7): it reads the available ring and the
 * descriptors through raw offsets, not through the driver's structs, and
 * writes used entries, sometimes wrong ones on purpose.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "vgpu/vgpu_abi.h"
#include "virtio/virtqueue.h"

#define DESC_F_NEXT 1u
#define DESC_F_WRITE 2u
#define DESC_F_INDIRECT 4u
#define USED_F_NO_NOTIFY 1u
#define AVAIL_F_NO_INTERRUPT 1u
#define MAX_CHAIN 64u

/* ---- fake guest memory: each allocation gets its own guest-physical window ---- */

#define PA_BASE 0x40000000ull
#define PA_STRIDE 0x01000000ull
#define MAX_REGIONS 32u

static struct vgpu_dma regions[MAX_REGIONS];
static unsigned nregions;

static struct vgpu_dma dma_new(size_t size)
{
	struct vgpu_dma dma = { 0 };
	size_t rounded = (size + 4095u) & ~(size_t)4095u;

	if (nregions == MAX_REGIONS) {
		printf("# out of fake DMA regions\n");
		exit(2);
	}
	dma.va = aligned_alloc(4096, rounded ? rounded : 4096);
	if (!dma.va) {
		printf("# out of memory\n");
		exit(2);
	}
	memset(dma.va, 0xa5, rounded); /* garbage the driver must not rely on */
	dma.pa = PA_BASE + PA_STRIDE * nregions;
	dma.size = size;
	regions[nregions++] = dma;
	return dma;
}

static void dma_free_all(void)
{
	while (nregions)
		free(regions[--nregions].va);
}

/* What the device reaches at `pa`; NULL (and a failed check) when it is not guest memory. */
static uint8_t *pa_to_va(uint64_t pa, uint64_t len)
{
	unsigned i;

	for (i = 0; i < nregions; i++) {
		if (pa >= regions[i].pa && pa + len <= regions[i].pa + regions[i].size)
			return (uint8_t *)regions[i].va + (pa - regions[i].pa);
	}
	CHECK(!"device address outside guest memory");
	return NULL;
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void wr16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* ---- the fake device ---- */

struct dev_buf {
	uint64_t pa;
	uint32_t len;
	bool device_writes;
};

struct dev_req {
	uint16_t head;
	bool indirect;
	unsigned n;
	struct dev_buf bufs[MAX_CHAIN];
};

struct fake_dev {
	uint16_t size;
	uint8_t *desc, *avail, *used;
	uint16_t last_avail;
	uint16_t used_idx;
};

static size_t spec_used_offset(uint16_t size)
{
	return (16u * size + 6u + 2u * size + 4095u) & ~(size_t)4095u;
}

static uint8_t *avail_used_event(struct fake_dev *dev)
{
	return dev->avail + 4 + 2u * dev->size;
}

static uint8_t *used_avail_event(struct fake_dev *dev)
{
	return dev->used + 4 + 8u * dev->size;
}

static uint16_t dev_avail_idx(struct fake_dev *dev)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return rd16(dev->avail + 2);
}

/* Walk a descriptor table the way a device does: flags, next, bounded by the table size. */
static bool dev_walk(struct dev_req *req, const uint8_t *table, unsigned table_size, uint16_t first,
		     bool top_level)
{
	uint16_t i = first;

	for (;;) {
		const uint8_t *d;
		uint16_t flags;

		if (i >= table_size || req->n == MAX_CHAIN)
			return false;
		d = table + 16u * i;
		flags = rd16(d + 12);
		if (flags & DESC_F_INDIRECT) {
			uint32_t len = rd32(d + 8);
			const uint8_t *sub;

			if (!top_level || req->n || (flags & DESC_F_NEXT) || len % 16)
				return false;
			sub = pa_to_va(rd64(d), len);
			req->indirect = true;
			return sub && dev_walk(req, sub, len / 16, 0, false);
		}
		req->bufs[req->n].pa = rd64(d);
		req->bufs[req->n].len = rd32(d + 8);
		req->bufs[req->n].device_writes = flags & DESC_F_WRITE;
		req->n++;
		if (!(flags & DESC_F_NEXT))
			return true;
		i = rd16(d + 14);
	}
}

/* Take the next available request; false when none. */
static bool dev_pop(struct fake_dev *dev, struct dev_req *req)
{
	bool ok;

	if (dev->last_avail == dev_avail_idx(dev))
		return false;
	memset(req, 0, sizeof(*req));
	req->head = rd16(dev->avail + 4 + 2u * (dev->last_avail % dev->size));
	dev->last_avail++;
	ok = dev_walk(req, dev->desc, dev->size, req->head, true);
	CHECK(ok);
	return ok;
}

static void dev_publish_used(struct fake_dev *dev)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
	wr16(dev->used + 2, dev->used_idx);
}

/* Complete `id` (honest or not) having written `len` bytes. */
static void dev_push(struct fake_dev *dev, uint32_t id, uint32_t len)
{
	uint8_t *elem = dev->used + 4 + 8u * (dev->used_idx % dev->size);

	wr32(elem, id);
	wr32(elem + 4, len);
	dev->used_idx++;
	dev_publish_used(dev);
}

/* ---- a queue with its memory and its device ---- */

struct fixture {
	struct vgpu_vq vq;
	struct vgpu_dma ring;
	void *state;
	struct fake_dev dev;
};

static void fixture_init(struct fixture *f, uint16_t size, bool indirect, bool event_idx)
{
	int err;

	memset(f, 0, sizeof(*f));
	f->ring = dma_new(vgpu_vq_ring_bytes(size));
	f->state = malloc(vgpu_vq_state_bytes(size));
	CHECK(f->state != NULL);
	err = vgpu_vq_init(&f->vq, 0, size, &f->ring, f->state, indirect, event_idx);
	CHECK_EQ(err, VGPU_OK);
	f->dev.size = size;
	f->dev.desc = pa_to_va(f->vq.desc_pa, 16u * size);
	f->dev.avail = pa_to_va(f->vq.avail_pa, 6u + 2u * size);
	f->dev.used = pa_to_va(f->vq.used_pa, 6u + 8u * size);
}

static void fixture_fini(struct fixture *f)
{
	free(f->state);
	dma_free_all();
}

/* Requests in flight: the heads whose token the queue still holds. */
static unsigned in_flight(const struct vgpu_vq *vq)
{
	unsigned i, n = 0;

	for (i = 0; i < vq->size; i++)
		n += vq->tokens[i] != NULL;
	return n;
}

static void *token_of(unsigned id)
{
	return (void *)(uintptr_t)(id + 1u);
}

static unsigned id_of(void *token)
{
	return (unsigned)((uintptr_t)token - 1u);
}

static int add_simple(struct fixture *f, unsigned id)
{
	struct vgpu_vq_buf buf = { .pa = 0x1000u * (id + 1u), .len = 64, .device_writes = true };

	return vgpu_vq_add(&f->vq, &buf, 1, NULL, token_of(id));
}

/* ---- cases ---- */

static void test_init_layout(void)
{
	struct fixture f;
	uint8_t *ring;
	size_t i, nonzero = 0;

	CHECK_EQ(vgpu_vq_ring_bytes(256), 12288);
	CHECK_EQ(vgpu_vq_ring_bytes(3), 0);
	CHECK_EQ(vgpu_vq_ring_bytes(0), 0);
	CHECK(vgpu_vq_state_bytes(256) >= 256 * (sizeof(void *) + 2));

	fixture_init(&f, 256, false, false);
	CHECK_EQ(f.vq.desc_pa, f.ring.pa);
	CHECK_EQ(f.vq.avail_pa, f.ring.pa + 16 * 256);
	CHECK_EQ(f.vq.used_pa, f.ring.pa + spec_used_offset(256));
	CHECK_EQ(f.vq.used_pa % 4096, 0);
	CHECK_EQ(f.vq.num_free, 256);
	CHECK_EQ(in_flight(&f.vq), 0);
	ring = f.ring.va;
	for (i = 0; i < f.ring.size; i++)
		nonzero += ring[i] != 0;
	CHECK_EQ(nonzero, 0);
	fixture_fini(&f);
}

static void test_init_rejects(void)
{
	struct vgpu_dma ring = dma_new(vgpu_vq_ring_bytes(64));
	struct vgpu_dma small = ring;
	void *state = malloc(vgpu_vq_state_bytes(64) + sizeof(void *));
	struct vgpu_vq vq;

	small.size = ring.size - 1;
	CHECK_EQ(vgpu_vq_init(&vq, 0, 0, &ring, state, false, false), VGPU_E_INVALID);
	CHECK_EQ(vgpu_vq_init(&vq, 0, 48, &ring, state, false, false), VGPU_E_INVALID);
	CHECK_EQ(vgpu_vq_init(&vq, 0, 64, &small, state, false, false), VGPU_E_INVALID);
	CHECK_EQ(vgpu_vq_init(&vq, 0, 64, &ring, (char *)state + 1, false, false), VGPU_E_INVALID);
	CHECK_EQ(vgpu_vq_init(&vq, 0, 64, NULL, state, false, false), VGPU_E_INVALID);
	CHECK_EQ(vgpu_vq_init(&vq, 0, 64, &ring, NULL, false, false), VGPU_E_INVALID);
	CHECK_EQ(vgpu_vq_init(&vq, 3, 64, &ring, state, false, false), VGPU_OK);
	CHECK_EQ(vq.index, 3);
	free(state);
	dma_free_all();
}

static void test_direct_chain(void)
{
	struct fixture f;
	struct vgpu_vq_buf bufs[3] = {
		{ .pa = 0x10000, .len = 24, .device_writes = false },
		{ .pa = 0x20000, .len = 4096, .device_writes = false },
		{ .pa = 0x30000, .len = 100, .device_writes = true },
	};
	struct dev_req req;
	uint32_t written = 0, bad = 0;
	unsigned i;

	fixture_init(&f, 8, false, false);
	CHECK_EQ(vgpu_vq_add(&f.vq, bufs, 3, NULL, token_of(7)), VGPU_OK);
	CHECK_EQ(in_flight(&f.vq), 1);
	CHECK_EQ(f.vq.num_free, 5);
	CHECK(dev_pop(&f.dev, &req));
	CHECK(!req.indirect);
	CHECK_EQ(req.n, 3);
	for (i = 0; i < 3 && i < req.n; i++) {
		CHECK_EQ(req.bufs[i].pa, bufs[i].pa);
		CHECK_EQ(req.bufs[i].len, bufs[i].len);
		CHECK_EQ(req.bufs[i].device_writes, bufs[i].device_writes);
	}
	CHECK(vgpu_vq_get_used(&f.vq, &written, &bad) == NULL);
	dev_push(&f.dev, req.head, 42);
	CHECK(vgpu_vq_get_used(&f.vq, &written, &bad) == token_of(7));
	CHECK_EQ(written, 42);
	CHECK_EQ(bad, 0);
	CHECK_EQ(f.vq.num_free, 8);
	CHECK_EQ(in_flight(&f.vq), 0);
	CHECK(vgpu_vq_get_used(&f.vq, &written, &bad) == NULL);
	fixture_fini(&f);
}

static void test_indirect_chain(void)
{
	struct fixture f;
	struct vgpu_vq_buf bufs[4] = {
		{ .pa = 0x1000, .len = 16 },
		{ .pa = 0x2000, .len = 32 },
		{ .pa = 0x3000, .len = 48, .device_writes = true },
		{ .pa = 0x4000, .len = 64, .device_writes = true },
	};
	struct vgpu_dma table;
	struct dev_req req;
	uint32_t written = 0, bad = 0;
	unsigned i;

	fixture_init(&f, 8, true, false);
	table = dma_new(vgpu_vq_indirect_bytes(4));
	CHECK_EQ(vgpu_vq_add(&f.vq, bufs, 4, &table, token_of(1)), VGPU_OK);
	CHECK_EQ(f.vq.num_free, 7);
	CHECK(dev_pop(&f.dev, &req));
	CHECK(req.indirect);
	CHECK_EQ(rd64(f.dev.desc + 16u * req.head), table.pa);
	CHECK_EQ(rd32(f.dev.desc + 16u * req.head + 8), 64);
	CHECK_EQ(req.n, 4);
	for (i = 0; i < 4 && i < req.n; i++) {
		CHECK_EQ(req.bufs[i].pa, bufs[i].pa);
		CHECK_EQ(req.bufs[i].len, bufs[i].len);
		CHECK_EQ(req.bufs[i].device_writes, bufs[i].device_writes);
	}
	dev_push(&f.dev, req.head, 112);
	CHECK(vgpu_vq_get_used(&f.vq, &written, &bad) == token_of(1));
	CHECK_EQ(written, 112);
	CHECK_EQ(f.vq.num_free, 8);
	fixture_fini(&f);
}

static void test_add_rejects(void)
{
	struct fixture f, g;
	struct vgpu_vq_buf in_then_out[2] = {
		{ .pa = 0x1000, .len = 8, .device_writes = true },
		{ .pa = 0x2000, .len = 8, .device_writes = false },
	};
	struct vgpu_vq_buf many[9] = { { .pa = 0x1000, .len = 8 } };
	struct vgpu_dma table, odd;

	fixture_init(&f, 8, false, false);
	table = dma_new(vgpu_vq_indirect_bytes(2));
	CHECK_EQ(vgpu_vq_add(&f.vq, in_then_out, 2, NULL, token_of(0)), VGPU_E_INVALID);
	CHECK_EQ(vgpu_vq_add(&f.vq, in_then_out, 0, NULL, token_of(0)), VGPU_E_INVALID);
	CHECK_EQ(vgpu_vq_add(&f.vq, NULL, 1, NULL, token_of(0)), VGPU_E_INVALID);
	CHECK_EQ(vgpu_vq_add(&f.vq, many, 1, NULL, NULL), VGPU_E_INVALID);
	CHECK_EQ(vgpu_vq_add(&f.vq, many, 9, NULL, token_of(0)), VGPU_E_INVALID);
	/* indirect was not negotiated on this queue */
	CHECK_EQ(vgpu_vq_add(&f.vq, many, 2, &table, token_of(0)), VGPU_E_INVALID);
	CHECK_EQ(rd16(f.dev.avail + 2), 0);
	CHECK_EQ(f.vq.num_free, 8);
	CHECK_EQ(in_flight(&f.vq), 0);
	free(f.state);

	fixture_init(&g, 8, true, false);
	odd = dma_new(vgpu_vq_indirect_bytes(4));
	odd.va = (uint8_t *)odd.va + 8;
	odd.pa += 8;
	odd.size -= 8;
	CHECK_EQ(vgpu_vq_add(&g.vq, many, 2, &odd, token_of(0)), VGPU_E_INVALID);
	CHECK_EQ(vgpu_vq_add(&g.vq, many, 3, &table, token_of(0)), VGPU_E_INVALID);
	CHECK_EQ(vgpu_vq_add(&g.vq, many, 9, &table, token_of(0)), VGPU_E_INVALID);
	CHECK_EQ(vgpu_vq_add(&g.vq, in_then_out, 2, &table, token_of(0)), VGPU_E_INVALID);
	CHECK_EQ(vgpu_vq_add(&g.vq, many, 2, &table, token_of(0)), VGPU_OK);
	CHECK_EQ(rd16(g.dev.avail + 2), 1);
	fixture_fini(&g);
}

/* A request buffer and a response buffer: the shape of most virtio-gpu commands. */
static const struct vgpu_vq_buf request_pair[2] = {
	{ .pa = 0x1000, .len = 8 },
	{ .pa = 0x2000, .len = 8, .device_writes = true },
};

static void test_full_queue(void)
{
	struct fixture f;
	struct dev_req req;
	unsigned i;

	fixture_init(&f, 8, false, false);
	for (i = 0; i < 4; i++)
		CHECK_EQ(vgpu_vq_add(&f.vq, request_pair, 2, NULL, token_of(i)), VGPU_OK);
	CHECK_EQ(f.vq.num_free, 0);
	CHECK_EQ(add_simple(&f, 9), VGPU_E_NO_MEMORY);
	CHECK_EQ(rd16(f.dev.avail + 2), 4);
	CHECK(dev_pop(&f.dev, &req));
	dev_push(&f.dev, req.head, 0);
	CHECK(vgpu_vq_get_used(&f.vq, NULL, NULL) == token_of(0));
	CHECK_EQ(vgpu_vq_add(&f.vq, request_pair, 2, NULL, token_of(4)), VGPU_OK);
	CHECK_EQ(add_simple(&f, 9), VGPU_E_NO_MEMORY);
	CHECK_EQ(in_flight(&f.vq), 4);
	fixture_fini(&f);
}

static void test_full_queue_indirect(void)
{
	struct fixture f;
	struct vgpu_vq_buf bufs[3] = { { .pa = 0x1000, .len = 8 } };
	struct vgpu_dma table;
	struct dev_req req;
	unsigned i;

	fixture_init(&f, 4, true, false);
	table = dma_new(vgpu_vq_indirect_bytes(3));
	for (i = 0; i < 4; i++)
		CHECK_EQ(vgpu_vq_add(&f.vq, bufs, 3, &table, token_of(i)), VGPU_OK);
	CHECK_EQ(vgpu_vq_add(&f.vq, bufs, 3, &table, token_of(4)), VGPU_E_NO_MEMORY);
	CHECK(dev_pop(&f.dev, &req));
	dev_push(&f.dev, req.head, 0);
	CHECK(vgpu_vq_get_used(&f.vq, NULL, NULL) == token_of(0));
	CHECK_EQ(vgpu_vq_add(&f.vq, bufs, 3, &table, token_of(4)), VGPU_OK);
	fixture_fini(&f);
}

static void test_completion_order(void)
{
	static const unsigned order[5] = { 2, 0, 4, 3, 1 };
	struct fixture f;
	struct dev_req reqs[5];
	uint32_t written = 0, bad = 0;
	unsigned i;

	fixture_init(&f, 8, false, false);
	for (i = 0; i < 5; i++) {
		CHECK_EQ(add_simple(&f, i), VGPU_OK);
		CHECK(dev_pop(&f.dev, &reqs[i]));
	}
	for (i = 0; i < 5; i++)
		dev_push(&f.dev, reqs[order[i]].head, 100 + order[i]);
	for (i = 0; i < 5; i++) {
		CHECK(vgpu_vq_get_used(&f.vq, &written, &bad) == token_of(order[i]));
		CHECK_EQ(written, 100 + order[i]);
	}
	CHECK(vgpu_vq_get_used(&f.vq, &written, &bad) == NULL);
	CHECK_EQ(bad, 0);
	CHECK_EQ(f.vq.num_free, 8);
	fixture_fini(&f);
}

static void test_notify_no_notify_flag(void)
{
	struct fixture f;

	fixture_init(&f, 8, false, false);
	CHECK(!vgpu_vq_kick_prepare(&f.vq)); /* nothing added */
	CHECK_EQ(add_simple(&f, 0), VGPU_OK);
	CHECK(vgpu_vq_kick_prepare(&f.vq));
	CHECK(!vgpu_vq_kick_prepare(&f.vq)); /* nothing new since */
	wr16(f.dev.used, USED_F_NO_NOTIFY);
	CHECK_EQ(add_simple(&f, 1), VGPU_OK);
	CHECK(!vgpu_vq_kick_prepare(&f.vq));
	wr16(f.dev.used, 0);
	CHECK_EQ(add_simple(&f, 2), VGPU_OK);
	CHECK(vgpu_vq_kick_prepare(&f.vq));
	fixture_fini(&f);
}

static void test_notify_event_idx(void)
{
	struct fixture f;
	unsigned i;

	fixture_init(&f, 16, false, true);
	/* avail_event starts at 0: the first request crosses it */
	CHECK_EQ(add_simple(&f, 0), VGPU_OK);
	CHECK(vgpu_vq_kick_prepare(&f.vq));
	/* the device asks to be told once the index passes 4; the flag must not matter */
	wr16(used_avail_event(&f.dev), 4);
	wr16(f.dev.used, USED_F_NO_NOTIFY);
	for (i = 1; i < 4; i++) {
		CHECK_EQ(add_simple(&f, i), VGPU_OK);
		CHECK(!vgpu_vq_kick_prepare(&f.vq));
	}
	CHECK_EQ(add_simple(&f, 4), VGPU_OK);
	CHECK(vgpu_vq_kick_prepare(&f.vq));
	/* a batch that jumps over the event index still notifies */
	wr16(used_avail_event(&f.dev), 6);
	for (i = 5; i < 9; i++)
		CHECK_EQ(add_simple(&f, i), VGPU_OK);
	CHECK(vgpu_vq_kick_prepare(&f.vq));
	/* an event index already behind us: no notification */
	CHECK_EQ(add_simple(&f, 9), VGPU_OK);
	CHECK(!vgpu_vq_kick_prepare(&f.vq));
	fixture_fini(&f);
}

static void test_interrupt_suppression(void)
{
	struct fixture f, g;
	struct dev_req req;
	unsigned i;

	fixture_init(&f, 8, false, false);
	vgpu_vq_enable_interrupts(&f.vq, false);
	CHECK_EQ(rd16(f.dev.avail), AVAIL_F_NO_INTERRUPT);
	vgpu_vq_enable_interrupts(&f.vq, true);
	CHECK_EQ(rd16(f.dev.avail), 0);
	free(f.state);

	fixture_init(&g, 8, false, true);
	for (i = 0; i < 3; i++) {
		CHECK_EQ(add_simple(&g, i), VGPU_OK);
		CHECK(dev_pop(&g.dev, &req));
		dev_push(&g.dev, req.head, 0);
	}
	while (vgpu_vq_get_used(&g.vq, NULL, NULL))
		;
	/* interrupt wanted at the very next completion */
	CHECK_EQ(rd16(avail_used_event(&g.dev)), 3);
	vgpu_vq_enable_interrupts(&g.vq, false);
	CHECK_EQ(add_simple(&g, 3), VGPU_OK);
	CHECK(dev_pop(&g.dev, &req));
	dev_push(&g.dev, req.head, 0);
	CHECK(vgpu_vq_get_used(&g.vq, NULL, NULL) == token_of(3));
	CHECK(vgpu_vq_get_used(&g.vq, NULL, NULL) == NULL);
	CHECK_EQ(rd16(avail_used_event(&g.dev)), 3); /* not moved while disabled */
	vgpu_vq_enable_interrupts(&g.vq, true);
	CHECK_EQ(rd16(avail_used_event(&g.dev)), 4);
	fixture_fini(&g);
}

static void test_misbehaving_device(void)
{
	struct fixture f;
	struct dev_req a, b, c;
	uint32_t written = 0, bad = 0;

	fixture_init(&f, 8, false, false);
	CHECK_EQ(add_simple(&f, 0), VGPU_OK);
	CHECK_EQ(vgpu_vq_add(&f.vq, request_pair, 2, NULL, token_of(1)), VGPU_OK);
	CHECK_EQ(add_simple(&f, 2), VGPU_OK);
	CHECK(dev_pop(&f.dev, &a));
	CHECK(dev_pop(&f.dev, &b));
	CHECK(dev_pop(&f.dev, &c));

	dev_push(&f.dev, 100, 0);               /* beyond the ring */
	dev_push(&f.dev, 0xffffffffu, 0);       /* far beyond */
	dev_push(&f.dev, (b.head + 1u) % 8, 0); /* second descriptor of a chain */
	dev_push(&f.dev, a.head, 0xffffffffu);  /* honest, with an absurd length */
	dev_push(&f.dev, a.head, 0);            /* duplicate */
	dev_push(&f.dev, b.head, 16);
	dev_push(&f.dev, 7, 0); /* never handed out */
	CHECK(vgpu_vq_get_used(&f.vq, &written, &bad) == token_of(0));
	CHECK_EQ(written, 0xffffffffu); /* reported as is: the owner clamps */
	CHECK_EQ(bad, 3);
	CHECK(vgpu_vq_get_used(&f.vq, &written, &bad) == token_of(1));
	CHECK_EQ(written, 16);
	CHECK_EQ(bad, 4);
	CHECK(vgpu_vq_get_used(&f.vq, &written, &bad) == NULL);
	CHECK_EQ(bad, 5);
	CHECK_EQ(in_flight(&f.vq), 1);
	CHECK_EQ(f.vq.num_free, 7);

	/* an index far ahead is refused without reading the ring */
	wr16(f.dev.used + 2, (uint16_t)(f.dev.used_idx + 100));
	CHECK(vgpu_vq_get_used(&f.vq, &written, &bad) == NULL);
	CHECK_EQ(bad, 6);
	CHECK_EQ(f.vq.last_used, f.dev.used_idx);
	dev_publish_used(&f.dev);
	dev_push(&f.dev, c.head, 5);
	CHECK(vgpu_vq_get_used(&f.vq, &written, &bad) == token_of(2));
	CHECK_EQ(bad, 6);
	CHECK_EQ(f.vq.num_free, 8);
	fixture_fini(&f);
}

/* The descriptor table is the driver's, but a hostile device may scribble over it. */
static void test_scribbled_descriptors(void)
{
	struct fixture f;
	struct dev_req req;
	unsigned i, round;

	fixture_init(&f, 8, false, false);
	for (round = 0; round < 20; round++) {
		for (i = 0; i < 4; i++)
			CHECK_EQ(vgpu_vq_add(&f.vq, request_pair, 2, NULL, token_of(i)), VGPU_OK);
		for (i = 0; i < 4; i++) {
			CHECK(dev_pop(&f.dev, &req));
			dev_push(&f.dev, req.head, 0);
		}
		memset(f.dev.desc, 0xff, 16u * 8);
		for (i = 0; i < 4; i++)
			CHECK(vgpu_vq_get_used(&f.vq, NULL, NULL) == token_of(i));
		CHECK_EQ(f.vq.num_free, 8);
	}
	fixture_fini(&f);
}

/* Pseudo-random but repeatable. */
static uint32_t lcg(uint32_t *state)
{
	*state = *state * 1664525u + 1013904223u;
	return *state >> 8;
}

/*
 * Many thousands of requests of varying length through a small queue: the
 * 16-bit indices wrap several times, completions come back shuffled, and
 * each token must come back with its own request.
 */
static void test_wraparound(void)
{
	enum {
		TOTAL = 200000,
		SIZE = 16
	};
	struct fixture f;
	struct dev_req reqs[SIZE];
	uint32_t seed = 12345, bad = 0;
	unsigned next_id = 0, done = 0, mismatches = 0;

	fixture_init(&f, SIZE, false, true);
	while (done < TOTAL) {
		unsigned npending = 0, i;

		for (;;) {
			struct vgpu_vq_buf bufs[3];
			unsigned n = 1 + lcg(&seed) % 3, k;

			if (next_id == TOTAL)
				break;
			for (k = 0; k < n; k++) {
				bufs[k].pa = (uint64_t)next_id << 12 | k;
				bufs[k].len = 8;
				bufs[k].device_writes = k == n - 1;
			}
			if (vgpu_vq_add(&f.vq, bufs, n, NULL, token_of(next_id)))
				break;
			next_id++;
		}
		vgpu_vq_kick_prepare(&f.vq);
		while (npending < SIZE && dev_pop(&f.dev, &reqs[npending]))
			npending++;
		/* answer in a shuffled order, echoing the request's id as the length */
		while (npending) {
			unsigned pick = lcg(&seed) % npending;

			dev_push(&f.dev, reqs[pick].head, (uint32_t)(reqs[pick].bufs[0].pa >> 12));
			reqs[pick] = reqs[--npending];
		}
		for (i = 0;; i++) {
			uint32_t written = 0;
			void *token = vgpu_vq_get_used(&f.vq, &written, &bad);

			if (!token)
				break;
			mismatches += id_of(token) != written;
			done++;
		}
		if (i == 0) {
			CHECK(!"no progress");
			break;
		}
	}
	CHECK_EQ(done, TOTAL);
	CHECK_EQ(mismatches, 0);
	CHECK_EQ(bad, 0);
	CHECK_EQ(rd16(f.dev.avail + 2), TOTAL & 0xffff);
	CHECK_EQ(f.vq.last_used, f.dev.used_idx);
	CHECK_EQ(f.vq.num_free, SIZE);
	CHECK_EQ(in_flight(&f.vq), 0);
	fixture_fini(&f);
}

/* After a device reset the owner fails what was in flight itself and lays the queue out anew. */
static void test_reinit_after_reset(void)
{
	struct vgpu_vq_buf bufs[3] = {
		{ .pa = 0x1000, .len = 8 },
		{ .pa = 0x2000, .len = 8 },
		{ .pa = 0x3000, .len = 8, .device_writes = true },
	};
	struct fixture f;
	struct vgpu_dma table;
	struct dev_req req;

	fixture_init(&f, 8, true, false);
	table = dma_new(vgpu_vq_indirect_bytes(3));
	CHECK_EQ(vgpu_vq_add(&f.vq, bufs, 3, NULL, token_of(0)), VGPU_OK);
	CHECK_EQ(vgpu_vq_add(&f.vq, bufs, 3, &table, token_of(1)), VGPU_OK);
	CHECK_EQ(add_simple(&f, 2), VGPU_OK);
	CHECK(dev_pop(&f.dev, &req));
	CHECK(dev_pop(&f.dev, &req));
	dev_push(&f.dev, req.head, 0);
	CHECK(vgpu_vq_get_used(&f.vq, NULL, NULL) == token_of(1));
	CHECK_EQ(in_flight(&f.vq), 2);

	/* the device was reset: a fresh init forgets the two left, and the queue works again */
	CHECK_EQ(vgpu_vq_init(&f.vq, 0, 8, &f.ring, f.state, true, false), VGPU_OK);
	CHECK_EQ(in_flight(&f.vq), 0);
	CHECK_EQ(f.vq.num_free, 8);
	f.dev.last_avail = 0;
	f.dev.used_idx = 0;
	CHECK_EQ(vgpu_vq_add(&f.vq, bufs, 3, NULL, token_of(3)), VGPU_OK);
	CHECK(dev_pop(&f.dev, &req));
	CHECK_EQ(req.n, 3);
	dev_push(&f.dev, req.head, 0);
	CHECK(vgpu_vq_get_used(&f.vq, NULL, NULL) == token_of(3));
	fixture_fini(&f);
}

static void test_null_queue(void)
{
	struct vgpu_vq_buf buf = { .pa = 0x1000, .len = 8 };

	CHECK_EQ(vgpu_vq_add(NULL, &buf, 1, NULL, token_of(0)), VGPU_E_INVALID);
	CHECK(!vgpu_vq_kick_prepare(NULL));
	CHECK(vgpu_vq_get_used(NULL, NULL, NULL) == NULL);
	vgpu_vq_enable_interrupts(NULL, true);
}

int main(void)
{
	RUN(test_init_layout);
	RUN(test_init_rejects);
	RUN(test_direct_chain);
	RUN(test_indirect_chain);
	RUN(test_add_rejects);
	RUN(test_full_queue);
	RUN(test_full_queue_indirect);
	RUN(test_completion_order);
	RUN(test_notify_no_notify_flag);
	RUN(test_notify_event_idx);
	RUN(test_interrupt_suppression);
	RUN(test_misbehaving_device);
	RUN(test_scribbled_descriptors);
	RUN(test_wraparound);
	RUN(test_reinit_after_reset);
	RUN(test_null_queue);
	return tap_done();
}
