/* SPDX-License-Identifier: MIT */
/*
 * Many submits in flight at once: they all reach the device before anyone
 * waits, complete in submission order on the handle's timeline, and the
 * image shows the last one.  More requests than the ring holds make the
 * core wait for room on the real device.  A fence the host completes
 * after the notification that carried it is seen promptly.
 */
#include "check.h"
#include "fence_rounds.h"
#include "scene.h"
#include "../kernel/clock.h"
#include "../kernel/kprint.h"
#include "../shell/gpu.h"

#define MANY 200u
/* Above the control queue's 256 entries. */
#define MORE_THAN_THE_RING 600u
#define CLEAR_DWORDS 16u

static uint32_t stream[TRIANGLE_SCENE_MAX_DWORDS];

static float channel_of(uint32_t i)
{
	return (float)(i % 256u) / 255.0f;
}

/* The clear color of submit i: different for every i below 256. */
static void color_of(uint32_t i, float rgba[4])
{
	rgba[0] = channel_of(i);
	rgba[1] = 1.0f - channel_of(i);
	rgba[2] = 0.5f;
	rgba[3] = 1.0f;
}

static int submit_clear(struct scene *s, uint32_t i)
{
	uint32_t cmds[CLEAR_DWORDS];
	struct vstream st;
	float rgba[4];

	color_of(i, rgba);
	vstream_init(&st, cmds, CLEAR_DWORDS);
	vstream_clear_color(&st, rgba);
	if (!vstream_ok(&st))
		return VGPU_E_NO_MEMORY;
	return scene_submit(s, cmds, vstream_size_bytes(&st));
}

static bool prepare(struct testos_gpu *gpu, struct client *c, struct scene *s)
{
	struct vstream st;

	CHECK_EQ(client_open(c, gpu), VGPU_OK);
	CHECK_EQ(client_context(c, VGPU_CAPSET_VIRGL2, "testos-inflight"), VGPU_OK);
	CHECK_EQ(scene_setup(s, c), VGPU_OK);
	if (case_failing())
		return false;
	vstream_init(&st, stream, TRIANGLE_SCENE_MAX_DWORDS);
	triangle_scene_encode_target(&st, s->rt.res_id);
	CHECK_EQ(scene_submit(s, stream, vstream_size_bytes(&st)), VGPU_OK);
	CHECK_EQ(client_finish(c), VGPU_OK);
	return !case_failing();
}

/* The image holds the color of clear `i`. */
static void check_shows_clear(struct scene *s, uint32_t i)
{
	const uint8_t *px;
	float rgba[4];

	color_of(i, rgba);
	CHECK_EQ(scene_read_back(s), VGPU_OK);
	px = scene_pixel(s, 100, 100);
	CHECK_EQ(px[2], triangle_scene_unorm8(rgba[0]));
	CHECK_EQ(px[1], triangle_scene_unorm8(rgba[1]));
	CHECK_EQ(px[0], triangle_scene_unorm8(rgba[2]));
}

/* Wait for each value in turn: every wait succeeds and the timeline never goes back. */
static void check_completes_in_order(struct client *c, uint64_t first, uint64_t last)
{
	uint64_t v, completed, seen = 0;
	uint32_t bad = 0;

	for (v = first; v <= last; v++) {
		if (client_wait(c, v, CLIENT_WAIT_NS, &completed) != VGPU_OK || completed < v ||
		    completed < seen)
			bad++;
		seen = completed;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(seen, last);
}

static void many_in_flight(struct testos_gpu *gpu)
{
	struct vgpu_get_stats before, during, after;
	struct client c;
	struct scene s;
	uint64_t first, completed = 0;
	uint32_t i;
	int ret;

	if (!prepare(gpu, &c, &s))
		goto out;
	CHECK_EQ(client_stats(&c, &before), VGPU_OK);
	first = c.last_signal + 1;
	for (i = 0; i < MANY; i++)
		CHECK_EQ(submit_clear(&s, i), VGPU_OK);
	CHECK_EQ(client_stats(&c, &during), VGPU_OK);
	kprintf("# %u submits sent, %u requests in flight\n", MANY, during.requests_in_flight);
	CHECK(during.requests_in_flight > 1);
	/* A no-wait question never waits and never fails for other reasons. */
	ret = client_wait(&c, c.last_signal, 0, &completed);
	CHECK(ret == VGPU_E_BUSY || ret == VGPU_OK);
	CHECK(completed < c.last_signal || ret == VGPU_OK);

	check_completes_in_order(&c, first, c.last_signal);
	CHECK_EQ(client_stats(&c, &after), VGPU_OK);
	CHECK_EQ(after.fences_completed - before.fences_completed, MANY);
	CHECK_EQ(after.requests_in_flight, 0);
	CHECK_EQ(after.device_errors, before.device_errors);
	check_shows_clear(&s, MANY - 1);
out:
	client_close(&c);
}

/* More requests than ring entries: the core waits for room, nothing is lost or reordered. */
static void more_than_the_ring(struct testos_gpu *gpu)
{
	struct vgpu_get_stats before, after;
	struct client c;
	struct scene s;
	uint64_t first;
	uint32_t i, refused = 0;

	if (!prepare(gpu, &c, &s))
		goto out;
	CHECK_EQ(client_stats(&c, &before), VGPU_OK);
	first = c.last_signal + 1;
	for (i = 0; i < MORE_THAN_THE_RING; i++)
		refused += submit_clear(&s, i) != VGPU_OK;
	CHECK_EQ(refused, 0);
	check_completes_in_order(&c, first, c.last_signal);
	CHECK_EQ(client_stats(&c, &after), VGPU_OK);
	CHECK_EQ(after.fences_completed - before.fences_completed, MORE_THAN_THE_RING);
	check_shows_clear(&s, MORE_THAN_THE_RING - 1);
out:
	client_close(&c);
}

/*
 * QEMU's virtio-gpu-gl looks at its renderer's fences when the guest
 * notifies the control queue, and otherwise every 10 ms.  A clear's fence
 * is usually not done at the notification that carried it, so each clear
 * and wait took about 10 ms until the core's fence waits nudged the device
 * (kmd/core/wait.h, VGPU_FENCE_NUDGE_NS): most must now take far less.
 */
static void fence_seen_promptly(struct testos_gpu *gpu)
{
	struct fence_rounds r = { 0 };
	struct client c;
	struct scene s;
	uint32_t i;

	if (!prepare(gpu, &c, &s))
		goto out;
	for (i = 0; i < FENCE_ROUNDS && !case_failing(); i++) {
		uint64_t start = clock_now_ns();

		CHECK_EQ(submit_clear(&s, i), VGPU_OK);
		CHECK_EQ(client_finish(&c), VGPU_OK);
		fence_rounds_add(&r, clock_now_ns() - start);
	}
	kprintf("# a clear and the wait for its fence, %u times: %u us on average, slowest %u us, "
		"%u of 5 ms or more\n",
		FENCE_ROUNDS, (uint32_t)(r.total_ns / FENCE_ROUNDS / 1000u),
		(uint32_t)(r.slowest_ns / 1000u), r.slow);
	CHECK(r.slow <= FENCE_ROUNDS / 2);
out:
	client_close(&c);
}

static const struct test_case cases[] = {
	{ "many_in_flight", many_in_flight },
	{ "more_than_the_ring", more_than_the_ring },
	{ "fence_seen_promptly", fence_seen_promptly },
};

TEST_SUITE(inflight, cases);
