/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the IOCTL dispatcher: the input is a program of
 * calls over two freshly opened files of a device (the fake GPU and fake
 * OS of tests/lib).  Each call starts from a valid template whose words
 * the input may overwrite; handle fields name a handle seen earlier or a
 * raw value.  It aborts (a crash to libFuzzer) when
 *  - a call that failed changed the device's object counts, the bytes it
 *    pins or the fake OS's live objects;
 *  - after both files are closed anything is left: objects in GET_STATS,
 *    the fake GPU or the fake OS, commands in flight, misuse of the OS
 *    table or the device.
 * Bringing a device up and down costs more than most programs, so each of
 * the three kinds of device is brought up once and serves every input
 * that asks for it; the checks after each program compare the device with
 * what it held before the first.  What carries over from one input to the
 * next is ids, fence ids and the request pool's size: a crash that does
 * not reproduce alone needs the inputs before it (libFuzzer's -runs over
 * the same files in order).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "harness.h"
#include "resting.h"
#include "validate.h"

#define MAX_HANDLES 64u
#define MAX_PAYLOAD_WORDS 64u
/* Waits stay short: a fuzzer that sleeps finds nothing. */
#define MAX_WAIT_NS 1000000ull
#define REGION_BYTES (1u << 20)

/* A device brought up once, and what it held then. */
struct kept_device {
	struct harness h;
	struct resting base;
	bool up;
};

struct prog {
	struct fuzz_input in;
	struct kept_device *kept;
	struct harness *h; /* &kept->h */
	struct vgpu_file *files[2];
	struct vgpu_file *observer; /* reads GET_STATS without being part of the program */
	uint32_t handles[MAX_HANDLES];
	unsigned nhandles;
	uint64_t signal[2];
};

/* What a failed call must leave as it was. */
struct snapshot {
	struct vgpu_get_stats stats;
	struct resting os;
	unsigned gpu_contexts, gpu_resources;
};

static uint8_t capset_buf[VGPU_MAX_CAPSET_BYTES];

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_ioctl: %s\n", what);
	abort();
}

static struct vgpu_get_stats stats_of(struct prog *p)
{
	struct vgpu_get_stats s = { 0 };

	if (call(p->observer, VGPU_IOCTL_GET_STATS, &s, sizeof(s)) != VGPU_OK)
		fail("GET_STATS failed");
	return s;
}

static struct snapshot snapshot_of(struct prog *p)
{
	struct snapshot s = {
		.stats = stats_of(p),
		.os = resting_of(p->h),
		.gpu_contexts = fake_gpu_live_contexts(&p->h->gpu),
		.gpu_resources = fake_gpu_live_resources(&p->h->gpu),
	};

	/* Counters that move with earlier work completing, not with this call. */
	s.stats.requests_in_flight = 0;
	s.stats.device_errors = 0;
	s.stats.fences_completed = 0;
	s.stats.bad_completions = 0;
	return s;
}

static void remember(struct prog *p, uint32_t handle)
{
	p->handles[p->nhandles++ % MAX_HANDLES] = handle;
}

/* A handle seen before (stale ones and the other file's included), or a raw value. */
static uint32_t pick_handle(struct prog *p)
{
	uint8_t b = fuzz_u8(&p->in);

	if (b & 0x80u || p->nhandles == 0)
		return fuzz_u32(&p->in);
	return p->handles[b % (p->nhandles < MAX_HANDLES ? p->nhandles : MAX_HANDLES)];
}

static uint64_t next_signal(struct prog *p, unsigned f)
{
	p->signal[f] += 1u + fuzz_u8(&p->in) % 4u;
	return p->signal[f];
}

static int op_context(struct prog *p, unsigned fi, uint32_t code)
{
	struct vgpu_context_create c = { .capset_id = VGPU_CAPSET_VIRGL2 - fuzz_u8(&p->in) % 2u };

	strcpy(c.debug_name, "fuzz");
	fuzz_mutate_words(&p->in, &c, sizeof(c));
	return call(p->files[fi], code, &c, sizeof(c));
}

/* One format of each block shape: 4-, 1- and 16-byte texels, 4x4 blocks of 8 and 16 bytes. */
static const uint32_t texture_formats[] = {
	1 /* B8G8R8A8_UNORM */, 64 /* R8_UNORM */,   31 /* R32G32B32A32_FLOAT */,
	105 /* DXT1_RGB */,     108 /* DXT5_RGBA */,
};
#define MAX_TEXEL_BYTES 16u

/*
 * A texture of any target with the dimensions that target allows (a cube's
 * six square faces, layers only for arrays), and a backing large enough
 * for every level, so that transfers get past the size check.
 */
static struct vgpu_resource_create texture_template(struct prog *p, uint8_t kind)
{
	uint32_t target = 1u + kind % (VGPU_TARGET_COUNT - 1u);
	uint32_t w = 1u + fuzz_u8(&p->in) % 32u, h = 1u + fuzz_u8(&p->in) % 32u;
	uint32_t depth = 1u + fuzz_u8(&p->in) % 4u, layers = 1u + fuzz_u8(&p->in) % 4u;
	struct vgpu_resource_create c = texture_desc(w, h, 1u + fuzz_u8(&p->in) % 4u);

	c.target = target;
	c.format = texture_formats[fuzz_u8(&p->in) % (sizeof(texture_formats) / sizeof(uint32_t))];
	if (target == VGPU_TARGET_1D || target == VGPU_TARGET_1D_ARRAY)
		c.height = 1;
	if (target == VGPU_TARGET_3D)
		c.depth = depth;
	if (target == VGPU_TARGET_1D_ARRAY || target == VGPU_TARGET_2D_ARRAY)
		c.array_size = layers;
	if (target == VGPU_TARGET_CUBE || target == VGPU_TARGET_CUBE_ARRAY) {
		c.height = c.width;
		c.array_size = 6u * (target == VGPU_TARGET_CUBE ? 1u : layers);
	}
	if (target == VGPU_TARGET_RECT)
		c.last_level = 0;
	/* Twice the base level holds the whole mip chain. */
	c.size = 2ull * c.width * c.height * c.depth * c.array_size * MAX_TEXEL_BYTES;
	return c;
}

static struct vgpu_resource_create resource_template(struct prog *p)
{
	uint8_t kind = fuzz_u8(&p->in);

	if (kind % 2u == 0)
		return buffer_desc(1u + fuzz_u16(&p->in));
	return texture_template(p, kind >> 1);
}

/* A call that creates a resource: mutate it, make it, remember the handle it gave. */
static int create(struct prog *p, unsigned fi, uint32_t code, void *s, uint32_t size,
		  size_t handle_at)
{
	uint32_t handle;
	int ret;

	fuzz_mutate_words(&p->in, s, size);
	ret = call(p->files[fi], code, s, size);
	memcpy(&handle, (uint8_t *)s + handle_at, sizeof(handle));
	if (ret == VGPU_OK)
		remember(p, handle);
	return ret;
}

static int op_resource(struct prog *p, unsigned fi, uint32_t code)
{
	struct vgpu_resource_create c = resource_template(p);

	return create(p, fi, code, &c, sizeof(c), offsetof(struct vgpu_resource_create, handle));
}

static int op_blob(struct prog *p, unsigned fi, uint32_t code)
{
	struct vgpu_resource_create_blob b =
		blob_desc(4096u * (1u + fuzz_u8(&p->in) % 8u), 1u + fuzz_u8(&p->in));

	return create(p, fi, code, &b, sizeof(b),
		      offsetof(struct vgpu_resource_create_blob, handle));
}

static int op_map(struct prog *p, unsigned fi, uint32_t code)
{
	struct vgpu_resource_map m = { .handle = pick_handle(p) };

	fuzz_mutate_words(&p->in, &m, sizeof(m));
	return call(p->files[fi], code, &m, sizeof(m));
}

static int op_destroy(struct prog *p, unsigned fi, uint32_t code)
{
	struct vgpu_resource_destroy d = { .handle = pick_handle(p) };

	fuzz_mutate_words(&p->in, &d, sizeof(d));
	return call(p->files[fi], code, &d, sizeof(d));
}

static int op_transfer(struct prog *p, unsigned fi, uint32_t code)
{
	struct vgpu_transfer t = { .handle = pick_handle(p) };

	uint8_t shape = fuzz_u8(&p->in);

	t.level = shape % 4u;
	t.box = (struct vgpu_box){ .x = fuzz_u8(&p->in),
				   .w = 1u + fuzz_u8(&p->in),
				   .h = 1u + fuzz_u8(&p->in) % 64u,
				   .d = 1 };
	/* Rows, layers and strides of textures; a buffer's box is its x and w. */
	if (shape & 0x04u) {
		t.box.y = fuzz_u8(&p->in) % 32u;
		t.box.z = fuzz_u8(&p->in) % 8u;
		t.box.d = 1u + fuzz_u8(&p->in) % 8u;
	}
	if (shape & 0x08u)
		t.stride = fuzz_u16(&p->in);
	if (shape & 0x10u)
		t.layer_stride = fuzz_u32(&p->in);
	t.offset = t.box.x;
	t.signal = next_signal(p, fi);
	fuzz_mutate_words(&p->in, &t, sizeof(t));
	return call(p->files[fi], code, &t, sizeof(t));
}

static int op_submit(struct prog *p, unsigned fi, uint32_t code)
{
	uint32_t payload[MAX_PAYLOAD_WORDS];
	uint32_t nhandles = fuzz_u8(&p->in) % 4u;
	uint32_t ndwords = fuzz_u8(&p->in) % (MAX_PAYLOAD_WORDS - 4u);
	struct vgpu_submit s = { .size = ndwords * 4u, .num_handles = nhandles };
	uint32_t bytes = (nhandles + ndwords) * 4u;

	for (uint32_t i = 0; i < nhandles; i++)
		payload[i] = pick_handle(p);
	fuzz_take(&p->in, payload + nhandles, ndwords * 4u);
	s.signal = next_signal(p, fi);
	fuzz_mutate_words(&p->in, &s, sizeof(s));
	/* The payload's own size is a field too: shorter than the struct says, or longer. */
	bytes = (bytes + fuzz_u8(&p->in) % 9u * 4u) % (sizeof(payload) + 1u);
	return call_payload(p->files[fi], code, &s, sizeof(s), payload, bytes, NULL);
}

static int op_wait(struct prog *p, unsigned fi, uint32_t code)
{
	uint8_t kind = fuzz_u8(&p->in);
	struct vgpu_wait w = { .kind = VGPU_WAIT_FENCE + kind % 2u };

	if (w.kind == VGPU_WAIT_RESOURCE)
		w.handle = pick_handle(p);
	else
		w.value = p->signal[fi] - (kind >> 1) % 4u;
	w.timeout_ns = fuzz_u8(&p->in) % 2u ? 1000u : 0u;
	fuzz_mutate_words(&p->in, &w, sizeof(w));
	w.timeout_ns %= MAX_WAIT_NS;
	return call(p->files[fi], code, &w, sizeof(w));
}

static int op_capset(struct prog *p, unsigned fi, uint32_t code)
{
	struct vgpu_get_capset c = { .capset_id = 1u + fuzz_u8(&p->in) % 2u };
	uint32_t size = fuzz_u16(&p->in) % (sizeof(capset_buf) + 1u);

	fuzz_mutate_words(&p->in, &c, sizeof(c));
	return call_payload(p->files[fi], code, &c, sizeof(c), capset_buf, size, NULL);
}

static int op_info(struct prog *p, unsigned fi, uint32_t code)
{
	uint32_t buf[16] = { VGPU_ABI_VERSION_MAJOR, VGPU_ABI_VERSION_MINOR };
	uint32_t size = code == VGPU_IOCTL_GET_INFO     ? sizeof(struct vgpu_get_info)
			: code == VGPU_IOCTL_GET_LIMITS ? sizeof(struct vgpu_get_limits)
							: sizeof(struct vgpu_get_stats);

	fuzz_mutate_words(&p->in, buf, size);
	return call(p->files[fi], code, buf, size);
}

/* Any code, sizes and bytes: the dispatcher's own checks. */
static int op_raw(struct prog *p, unsigned fi, uint32_t code)
{
	uint32_t fixed[64];
	struct vgpu_ioctl_bufs b = { .in = fixed, .out = fixed };
	b.in_size = fuzz_u8(&p->in) % (sizeof(fixed) + 1u);
	b.out_size = b.in_size;
	b.payload = capset_buf;
	b.payload_size = fuzz_u16(&p->in);
	fuzz_take(&p->in, fixed, sizeof(fixed));
	return vgpu_file_ioctl(p->files[fi], fuzz_u32(&p->in), &b);
}

/* A file closed mid-program, with whatever it holds, and opened again. */
static int op_reopen(struct prog *p, unsigned fi, uint32_t code)
{
	vgpu_file_close(p->files[fi]);
	p->files[fi] = harness_open(p->h, p->h);
	if (!p->files[fi])
		fail("cannot reopen a file");
	p->signal[fi] = 0;
	return VGPU_OK;
}

/* The calls a program is made of; the op byte's top bit picks the file. */
static const struct op {
	int (*fn)(struct prog *p, unsigned fi, uint32_t code);
	uint32_t code;
} ops[] = {
	{ op_context, VGPU_IOCTL_CONTEXT_CREATE },
	{ op_resource, VGPU_IOCTL_RESOURCE_CREATE },
	{ op_blob, VGPU_IOCTL_RESOURCE_CREATE_BLOB },
	{ op_map, VGPU_IOCTL_RESOURCE_MAP },
	{ op_map, VGPU_IOCTL_RESOURCE_UNMAP },
	{ op_destroy, VGPU_IOCTL_RESOURCE_DESTROY },
	{ op_transfer, VGPU_IOCTL_TRANSFER_TO_HOST },
	{ op_transfer, VGPU_IOCTL_TRANSFER_FROM_HOST },
	{ op_submit, VGPU_IOCTL_SUBMIT },
	{ op_wait, VGPU_IOCTL_WAIT },
	{ op_capset, VGPU_IOCTL_GET_CAPSET },
	{ op_info, VGPU_IOCTL_GET_INFO },
	{ op_info, VGPU_IOCTL_GET_STATS },
	{ op_raw, 0 },
	{ op_reopen, 0 },
	{ op_info, VGPU_IOCTL_GET_LIMITS },
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

static int run_op(struct prog *p, uint8_t op)
{
	return ops[(op & 0x7fu) % NOPS].fn(p, op >> 7, ops[(op & 0x7fu) % NOPS].code);
}

/* A call after which the device may have been told to let memory go. */
static bool gives_memory_back(uint8_t op, int ret)
{
	const struct op *o = &ops[(op & 0x7fu) % NOPS];

	return o->fn == op_destroy || o->fn == op_reopen || o->fn == op_raw ||
	       ((o->fn == op_resource || o->fn == op_blob) && ret != VGPU_OK);
}

static void check_unchanged(const struct snapshot *before, const struct snapshot *after, uint8_t op,
			    int ret)
{
	if (memcmp(before, after, sizeof(*before)) != 0) {
		fprintf(stderr, "fuzz_ioctl: op %u failed with %d but changed state\n",
			(unsigned)((op & 0x7fu) % NOPS), ret);
		abort();
	}
}

/* The device the first byte asks for: plain, with blobs, or Mvisor's. */
static struct fake_gpu_config config_for(uint8_t b)
{
	struct fake_gpu_config cfg = fake_gpu_default_config();

	switch (b % 3u) {
	case 1:
		cfg.host_visible_size = REGION_BYTES;
		cfg.features |= (1ull << VIRTIO_GPU_FEAT_RESOURCE_BLOB) |
				(1ull << VIRTIO_GPU_FEAT_CONTEXT_INIT);
		break;
	case 2:
		cfg.mvisor = true;
		cfg.host_visible_size = REGION_BYTES;
		cfg.features &= ~(1ull << VIRTIO_GPU_FEAT_VIRGL);
		break;
	default:
		break;
	}
	return cfg;
}

/* The device of the kind the first byte asks for, brought up on first use. */
static struct kept_device *device_for(uint8_t b)
{
	static struct kept_device kept[3];
	struct kept_device *k = &kept[b % 3u];
	struct fake_gpu_config cfg = config_for(b);

	if (k->up)
		return k;
	if (harness_up(&k->h, &cfg) != VGPU_OK)
		fail("cannot bring the device up");
	/* Answers and their interrupts within the call: each call's effects are its own. */
	fake_gpu_set_irq_inline(&k->h.gpu, true);
	k->base = resting_of(&k->h);
	k->up = true;
	return k;
}

static void setup(struct prog *p)
{
	p->kept = device_for(fuzz_u8(&p->in));
	p->h = &p->kept->h;
	p->observer = harness_open(p->h, p->h);
	for (unsigned i = 0; i < 2; i++)
		p->files[i] = harness_open(p->h, p->h);
	if (!p->observer || !p->files[0] || !p->files[1])
		fail("cannot open the files");
}

/* Back where it was before the first program: nothing a program made may stay. */
static void check_rested(struct prog *p)
{
	struct kept_device *k = p->kept;
	struct resting now = resting_of(p->h);
	struct fake_gpu_stats gs = fake_gpu_stats(&p->h->gpu);

	if (memcmp(&now, &k->base, sizeof(now)) != 0) {
		fprintf(stderr,
			"fuzz_ioctl: allocs %lld, dma %lld, backings %lld, maps %lld, locks %lld, "
			"events %lld; at rest %lld, %lld, %lld, %lld, %lld, %lld\n",
			(long long)now.allocs, (long long)now.dma, (long long)now.backings,
			(long long)now.maps, (long long)now.locks, (long long)now.events,
			(long long)k->base.allocs, (long long)k->base.dma,
			(long long)k->base.backings, (long long)k->base.maps,
			(long long)k->base.locks, (long long)k->base.events);
		fail("OS objects left after both files closed");
	}
	if (fake_gpu_live_contexts(&p->h->gpu) || fake_gpu_live_resources(&p->h->gpu))
		fail("device objects left after both files closed");
	if (gs.violations || p->h->os.violations)
		fail("misuse of the OS table or the device");
	/* The fake GPU always answers: nothing may have declared it lost. */
	if (p->h->dev->lost)
		fail("a well-behaved device was declared lost");
}

static void teardown(struct prog *p)
{
	struct vgpu_get_stats s;

	for (unsigned i = 0; i < 2; i++)
		vgpu_file_close(p->files[i]);
	s = stats_of(p);
	if (s.contexts || s.resources || s.backing_bytes || s.requests_in_flight ||
	    s.open_files != 1)
		fail("objects left after both files closed");
	vgpu_file_close(p->observer);
	check_rested(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct prog p;

	memset(&p, 0, sizeof(p));
	p.in = (struct fuzz_input){ data, size };
	setup(&p);
	while (p.in.n > 0) {
		uint8_t op = fuzz_u8(&p.in);
		struct snapshot before = snapshot_of(&p);
		int ret = run_op(&p, op);
		struct snapshot after;

		if (gives_memory_back(op, ret) && fake_gpu_freed_backings(&p.h->gpu))
			fail("the device holds a backing the guest freed");
		if (ret == VGPU_OK)
			continue;
		after = snapshot_of(&p);
		check_unchanged(&before, &after, op, ret);
	}
	teardown(&p);
	return 0;
}
