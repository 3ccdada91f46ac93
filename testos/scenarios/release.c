/* SPDX-License-Identifier: MIT */
/*
 * Destroying resources and closing a handle (which destroys its context)
 * give back every device object and every page: GET_STATS returns to zero
 * and the OS layer's own counts of backing, mappings and heap agree.
 */
#include "check.h"
#include "scene.h"
#include "heap.h"
#include "../kernel/kprint.h"
#include "../shell/gpu.h"

#define CLEARS_IN_FLIGHT 50u
#define OPEN_CLOSE_ROUNDS 20u

/* Only the watcher is open and nothing exists on the device. */
static void check_nothing_left(struct testos_gpu *gpu, struct client *watcher)
{
	struct vgpu_get_stats st;

	CHECK_EQ(client_stats(watcher, &st), VGPU_OK);
	CHECK_EQ(st.open_files, 1);
	CHECK_EQ(st.contexts, 0);
	CHECK_EQ(st.resources, 0);
	CHECK_EQ(st.backing_bytes, 0);
	CHECK_EQ(st.requests_in_flight, 0);
	CHECK_EQ(gpu->env.backings, 0);
	CHECK_EQ(gpu->env.backing_pages, 0);
	CHECK_EQ(gpu->env.mappings, 0);
}

static void texture_desc(struct vgpu_resource_create *d, uint32_t size)
{
	*d = (struct vgpu_resource_create){ .target = VSTREAM_TARGET_TEXTURE_2D,
					    .format = VSTREAM_FORMAT_B8G8R8A8_UNORM,
					    .bind = VSTREAM_BIND_SAMPLER_VIEW,
					    .width = size,
					    .height = size,
					    .depth = 1,
					    .array_size = 1,
					    .size = (uint64_t)size * size * 4u };
}

static void starts_empty(struct testos_gpu *gpu)
{
	struct client watcher;

	CHECK_EQ(client_open(&watcher, gpu), VGPU_OK);
	check_nothing_left(gpu, &watcher);
	client_close(&watcher);
}

static void resource_destroy_releases(struct testos_gpu *gpu)
{
	struct vgpu_resource_create res[3];
	const uint64_t sizes[3] = { 4096, 64 * 64 * 4, 256 * 256 * 4 };
	const uint32_t dims[3] = { 32, 64, 256 };
	struct vgpu_get_stats st;
	struct client watcher, c;
	uint32_t i;
	void *ptr;
	uint64_t size;

	CHECK_EQ(client_open(&watcher, gpu), VGPU_OK);
	CHECK_EQ(client_open(&c, gpu), VGPU_OK);
	CHECK_EQ(client_context(&c, VGPU_CAPSET_VIRGL2, "testos-release"), VGPU_OK);
	for (i = 0; i < 3; i++) {
		texture_desc(&res[i], dims[i]);
		CHECK_EQ(client_resource(&c, &res[i]), VGPU_OK);
		CHECK_EQ(client_map(&c, res[i].handle, &ptr, &size), VGPU_OK);
	}
	CHECK_EQ(client_stats(&watcher, &st), VGPU_OK);
	CHECK_EQ(st.contexts, 1);
	CHECK_EQ(st.resources, 3);
	CHECK_EQ(st.backing_bytes, sizes[0] + sizes[1] + sizes[2]);
	CHECK_EQ(gpu->env.backings, 3);
	CHECK_EQ(gpu->env.mappings, 3);

	for (i = 0; i < 3; i++)
		CHECK_EQ(client_destroy(&c, res[i].handle), VGPU_OK);
	CHECK_EQ(client_stats(&watcher, &st), VGPU_OK);
	CHECK_EQ(st.resources, 0);
	CHECK_EQ(st.backing_bytes, 0);
	CHECK_EQ(st.contexts, 1); /* the context lives until its handle closes */
	CHECK_EQ(gpu->env.backings, 0);
	CHECK_EQ(gpu->env.mappings, 0);
	client_close(&c);
	check_nothing_left(gpu, &watcher);
	client_close(&watcher);
}

/* Close while the device is still busy with the handle's work: close waits, then frees. */
static void close_with_work_in_flight(struct testos_gpu *gpu)
{
	static uint32_t stream[TRIANGLE_SCENE_MAX_DWORDS];
	static const float gray[4] = { 0.5f, 0.5f, 0.5f, 1.0f };
	const struct vgpu_transfer t = {
		.box = { .w = TRIANGLE_SCENE_WIDTH, .h = TRIANGLE_SCENE_HEIGHT, .d = 1 },
	};
	struct vgpu_transfer read = t;
	struct client watcher, c;
	struct vgpu_get_stats st;
	struct scene s;
	struct vstream vs;
	uint32_t i;

	CHECK_EQ(client_open(&watcher, gpu), VGPU_OK);
	CHECK_EQ(client_open(&c, gpu), VGPU_OK);
	CHECK_EQ(client_context(&c, VGPU_CAPSET_VIRGL2, "testos-close"), VGPU_OK);
	CHECK_EQ(scene_setup(&s, &c), VGPU_OK);
	if (case_failing())
		goto out;
	vstream_init(&vs, stream, TRIANGLE_SCENE_MAX_DWORDS);
	triangle_scene_encode_target(&vs, s.rt.res_id);
	CHECK_EQ(scene_submit(&s, stream, vstream_size_bytes(&vs)), VGPU_OK);
	for (i = 0; i < CLEARS_IN_FLIGHT; i++) {
		vstream_init(&vs, stream, TRIANGLE_SCENE_MAX_DWORDS);
		vstream_clear_color(&vs, gray);
		CHECK_EQ(scene_submit(&s, stream, vstream_size_bytes(&vs)), VGPU_OK);
	}
	read.handle = s.rt.handle;
	CHECK_EQ(client_transfer(&c, false, &read), VGPU_OK);
	CHECK_EQ(client_stats(&watcher, &st), VGPU_OK);
	kprintf("# closing with %u requests in flight\n", st.requests_in_flight);
	CHECK(st.requests_in_flight > 0);
out:
	client_close(&c);
	check_nothing_left(gpu, &watcher);
	client_close(&watcher);
}

/* Rounds of open, create, close leave the kernel heap exactly as they found it. */
static void open_close_rounds(struct testos_gpu *gpu)
{
	struct vgpu_resource_create res;
	struct client watcher, c;
	uint32_t heap_before, i;

	CHECK_EQ(client_open(&watcher, gpu), VGPU_OK);
	heap_before = heap_live_allocations();
	for (i = 0; i < OPEN_CLOSE_ROUNDS; i++) {
		CHECK_EQ(client_open(&c, gpu), VGPU_OK);
		CHECK_EQ(client_context(&c, i % 2 ? VGPU_CAPSET_VIRGL : VGPU_CAPSET_VIRGL2,
					"testos-round"),
			 VGPU_OK);
		texture_desc(&res, 64);
		CHECK_EQ(client_resource(&c, &res), VGPU_OK);
		client_close(&c);
	}
	CHECK_EQ(heap_live_allocations(), heap_before);
	check_nothing_left(gpu, &watcher);
	client_close(&watcher);
}

static const struct test_case cases[] = {
	{ "starts_empty", starts_empty },
	{ "resource_destroy_releases", resource_destroy_releases },
	{ "close_with_work_in_flight", close_with_work_in_flight },
	{ "open_close_rounds", open_close_rounds },
};

TEST_SUITE(release, cases);
