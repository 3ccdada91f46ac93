/* SPDX-License-Identifier: MIT */
/*
 * Resource backing.  Pinned memory (issue 10, defect 2): backing is locked
 * RAM that any process may ask for.  One process creating buffers until it
 * is refused must stop at its limit, leave room for others, and get its
 * memory back on destroy.  And a frame-sized render target's backing is
 * one run of pages where Windows has one.
 */
#include "libvgpu.h"
#include "platform.h"
#include "scenario.h"
#include "triangle_scene.h"
#include "../user/user.h"

#define BUFFER_BYTES (8u << 20)
/* More than any guest of the harness can pin: the loop ends by refusal or fails. */
#define MAX_BUFFERS 256u

static struct {
	struct vgpu_get_limits limits; /* when the greedy program was refused */
	unsigned created;
	int refusal;
	bool full;   /* the greedy program holds what it could get */
	bool others; /* another program was tried meanwhile */
	int other_create;
} pin;

static void greedy_app(void *arg)
{
	uint32_t *handles = malloc(MAX_BUFFERS * sizeof(*handles));
	struct vgpu_get_limits *limits = malloc(sizeof(*limits)); /* the program's own memory */
	struct vgpu_dev *dev = app_open_device();
	struct vgpu_resource_create c;
	unsigned i;

	if (!dev || !handles || !limits) {
		pin.full = true;
		return;
	}
	CHECK_EQ(vgpu_context_create(dev, VGPU_CAPSET_VIRGL2, "greedy"), VGPU_OK);
	for (pin.created = 0; pin.created < MAX_BUFFERS; pin.created++) {
		c = app_vertex_buffer(BUFFER_BYTES);
		pin.refusal = vgpu_resource_create(dev, &c);
		if (pin.refusal != VGPU_OK)
			break;
		handles[pin.created] = c.handle;
	}
	CHECK_EQ(vgpu_get_limits(dev, limits), VGPU_OK);
	pin.limits = *limits;
	pin.full = true;
	while (!pin.others)
		user_yield();
	for (i = 0; i < pin.created; i++)
		CHECK_EQ(vgpu_resource_destroy(dev, handles[i]), VGPU_OK);
	/* what was destroyed may be had again */
	c = app_vertex_buffer(BUFFER_BYTES);
	CHECK_EQ(vgpu_resource_create(dev, &c), VGPU_OK);
	vgpu_close(dev);
	free(limits);
	free(handles);
}

static void other_app(void *arg)
{
	struct vgpu_dev *dev = app_open_device();
	struct vgpu_resource_create c = app_vertex_buffer(BUFFER_BYTES);

	if (!dev)
		return;
	CHECK_EQ(vgpu_context_create(dev, VGPU_CAPSET_VIRGL2, "other"), VGPU_OK);
	pin.other_create = vgpu_resource_create(dev, &c);
	vgpu_close(dev);
}

static void pinned_limit(void)
{
	struct nt_process *proc;
	struct nt_thread *greedy;
	struct vgpu_get_limits *l = &pin.limits;

	if (!need_started_gpu())
		return;
	memset(&pin, 0, sizeof(pin));
	proc = nt_process_create("greedy");
	greedy = nt_thread_start(proc, "greedy", greedy_app, NULL);
	while (!pin.full && !nt_thread_finished(greedy))
		nt_yield();
	run_app_beside("other", other_app, NULL);
	pin.others = true;
	nt_join(greedy);
	nt_process_terminate(proc);
	con_printf("# %u buffers of 8 MiB, then %s; limits %llu MiB, %llu MiB per process; "
		   "pinned %llu MiB\n",
		   pin.created, vgpu_status_str(pin.refusal),
		   (unsigned long long)(l->pinned_max >> 20),
		   (unsigned long long)(l->pinned_max_per_process >> 20),
		   (unsigned long long)(l->pinned_by_caller >> 20));
	CHECK_EQ(pin.refusal, VGPU_E_NO_MEMORY);
	/* half of the guest's RAM for all, three eighths for one process */
	CHECK(l->pinned_max > 0 && l->pinned_max <= plat_ram_bytes() / 2);
	CHECK_EQ(l->pinned_max_per_process, l->pinned_max / 4 * 3);
	CHECK(l->pinned_by_caller <= l->pinned_max_per_process);
	CHECK(l->pinned_by_caller + BUFFER_BYTES > l->pinned_max_per_process);
	CHECK_EQ(l->pinned, l->pinned_by_caller);
	CHECK_EQ(pin.other_create, VGPU_OK);
}

/*
 * QEMU hands virglrenderer one iovec per extent of a backing, and with more
 * than one virglrenderer reads a texture back through a temporary copy;
 * vgpu.sys asks Windows for contiguous pages for frame-sized backings
 * (kmd/windows/backing.c).  A 1920x1080 target, cleared and read back a few
 * times, once with the harness giving the contiguous run asked for and once
 * scattered pages; the times are a figure for the log, not a check.
 */
#define FRAME_W 1920u
#define FRAME_H 1080u
#define READBACKS 8u
#define WAIT_NS (10ull * 1000000000ull)
#define CLEAR_PIXEL 0xFF4080BFu /* B8G8R8A8 of { 0.25, 0.5, 0.75, 1 } */

struct readback_way {
	size_t runs;    /* of the target's backing */
	uint64_t ns;    /* the readbacks, each waited for */
	uint64_t up_ns; /* as many uploads of the same image */
	uint32_t first, last;
};

/* READBACKS transfers of `t` one way, each waited for: how long they took. */
static uint64_t time_transfers(struct vgpu_dev *dev, const struct vgpu_transfer *t, bool to_host)
{
	uint64_t start = plat_now_ns(), fence = 0;

	for (unsigned i = 0; i < READBACKS && !scenario_failing(); i++) {
		CHECK_EQ(to_host ? vgpu_transfer_to_host(dev, t, &fence)
				 : vgpu_transfer_from_host(dev, t, &fence),
			 VGPU_OK);
		CHECK_EQ(vgpu_wait_fence(dev, fence, WAIT_NS), VGPU_OK);
	}
	return plat_now_ns() - start;
}

static void readback_app(void *arg)
{
	static const float rgba[4] = { 0.25f, 0.5f, 0.75f, 1.0f };
	struct readback_way *way = arg;
	struct vgpu_dev *dev = app_open_device();
	uint32_t *stream = malloc(TRIANGLE_SCENE_MAX_DWORDS * 4);
	struct vgpu_resource_create rt = app_render_target(FRAME_W, FRAME_H);
	struct vgpu_transfer down = { .box = { .w = FRAME_W, .h = FRAME_H, .d = 1 },
				      .stride = FRAME_W * 4 };
	uint64_t fence = 0, size = 0;
	uint32_t *pixels = NULL;
	struct vstream st;

	if (!dev || !stream)
		return;
	CHECK_EQ(vgpu_context_create(dev, VGPU_CAPSET_VIRGL2, "readback"), VGPU_OK);
	CHECK_EQ(vgpu_resource_create(dev, &rt), VGPU_OK);
	way->runs = nt_mm_last_pages_runs();
	vstream_init(&st, stream, TRIANGLE_SCENE_MAX_DWORDS);
	triangle_scene_encode_target(&st, rt.res_id);
	vstream_clear_color(&st, rgba);
	CHECK(vstream_ok(&st));
	CHECK_EQ(vgpu_submit(dev, stream, vstream_size_bytes(&st), &rt.handle, 1, &fence), VGPU_OK);
	CHECK_EQ(vgpu_wait_fence(dev, fence, WAIT_NS), VGPU_OK);
	down.handle = rt.handle;
	way->ns = time_transfers(dev, &down, false);
	way->up_ns = time_transfers(dev, &down, true);
	CHECK_EQ(vgpu_resource_map(dev, rt.handle, (void **)&pixels, &size), VGPU_OK);
	if (pixels && size >= (uint64_t)FRAME_W * FRAME_H * 4) {
		way->first = pixels[0];
		way->last = pixels[FRAME_W * FRAME_H - 1];
	}
	CHECK_EQ(vgpu_resource_destroy(dev, rt.handle), VGPU_OK);
	vgpu_close(dev);
	free(stream);
}

static void contiguous_readback(void)
{
	struct readback_way contiguous = { 0 }, scattered = { 0 };

	if (!need_started_gpu())
		return;
	run_app("readback", readback_app, &contiguous);
	nt_mm_prefer_contiguous(false);
	run_app("readback", readback_app, &scattered);
	nt_mm_prefer_contiguous(true);
	con_printf("# %u readbacks of %ux%u: %llu us from one run of pages, %llu us from %zu "
		   "scattered pages; as many uploads: %llu us, %llu us\n",
		   READBACKS, FRAME_W, FRAME_H, (unsigned long long)(contiguous.ns / 1000u),
		   (unsigned long long)(scattered.ns / 1000u), scattered.runs,
		   (unsigned long long)(contiguous.up_ns / 1000u),
		   (unsigned long long)(scattered.up_ns / 1000u));
	CHECK_EQ(contiguous.runs, 1);
	CHECK(scattered.runs > 1);
	CHECK_EQ(contiguous.first, CLEAR_PIXEL);
	CHECK_EQ(contiguous.last, CLEAR_PIXEL);
	CHECK_EQ(scattered.first, CLEAR_PIXEL);
	CHECK_EQ(scattered.last, CLEAR_PIXEL);
}

const struct scenario scenarios_memory[] = {
	{ "memory.pinned_limit", pinned_limit },
	{ "memory.contiguous_readback", contiguous_readback },
};
const unsigned scenarios_memory_count = sizeof(scenarios_memory) / sizeof(scenarios_memory[0]);
