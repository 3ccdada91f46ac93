/* SPDX-License-Identifier: MIT */
/*
 * Fences: 1,000 fenced submits in a row, each clearing the render target
 * to its own color.  Their fence values increase, a no-wait query right
 * after each submit says BUSY or OK (never an error), waiting on each in
 * order succeeds, completed values then query OK, and the image holds the
 * last clear: the device ran them in order.
 */
#include <stdint.h>
#include <time.h>

#include "integration.h"
#include "triangle_scene.h"
#include "virgl_stream.h"

#define SUBMITS 1000

static struct scene_client client;
static uint64_t fences[SUBMITS];
static int submitted;

/* Submit i's clear color: distinct for every i, exact in 8 bits. */
static void clear_color(int i, float rgba[4])
{
	rgba[0] = (float)(i % 256) / 255.0f;
	rgba[1] = (float)(i / 256) / 255.0f;
	rgba[2] = 0.6f;
	rgba[3] = 1.0f;
}

static int submit_stream(const struct vstream *s, uint64_t *fence)
{
	return vgpu_submit(client.dev, s->buf, vstream_size_bytes(s), &client.rt, 1, fence);
}

static void test_target_ready(void)
{
	uint32_t cmds[64];
	struct vstream s;

	CHECK_CLIENT(&client, scene_client_open(&client, "test_fences"));
	if (!client.dev)
		return;
	vstream_init(&s, cmds, 64);
	triangle_scene_encode_target(&s, client.rt_res_id);
	CHECK(vstream_ok(&s));
	CHECK_EQ(submit_stream(&s, NULL), VGPU_OK);
}

static double elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) * 1e3 +
	       (double)(now.tv_nsec - since->tv_nsec) / 1e6;
}

static void test_submits_in_a_row(void)
{
	int failed_submits = 0, not_increasing = 0, bad_queries = 0, busy = 0, i;
	struct timespec start;
	uint32_t cmds[16];
	struct vstream s;

	CHECK(client.dev != NULL);
	if (!client.dev)
		return;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (i = 0; i < SUBMITS; i++) {
		float rgba[4];
		int ret;

		clear_color(i, rgba);
		vstream_init(&s, cmds, 16);
		vstream_clear_color(&s, rgba);
		ret = submit_stream(&s, &fences[i]);
		if (ret != VGPU_OK) {
			if (!failed_submits++)
				printf("# submit %d: %s\n", i, vgpu_status_str(ret));
			continue;
		}
		submitted = i + 1;
		if (i && fences[i] <= fences[i - 1])
			not_increasing++;
		ret = vgpu_wait_fence(client.dev, fences[i], 0);
		if (ret == VGPU_E_BUSY)
			busy++;
		else if (ret != VGPU_OK && !bad_queries++)
			printf("# query of fresh fence %llu: %s\n", (unsigned long long)fences[i],
			       vgpu_status_str(ret));
	}
	printf("# %d submits in %.1f ms, %d queried busy\n", submitted, elapsed_ms(&start), busy);
	CHECK_EQ(failed_submits, 0);
	CHECK_EQ(submitted, SUBMITS);
	CHECK_EQ(not_increasing, 0);
	CHECK_EQ(bad_queries, 0);
}

static void test_wait_each_in_order(void)
{
	int failed = 0, not_done = 0, i;

	for (i = 0; i < submitted; i++) {
		int ret = vgpu_wait_fence(client.dev, fences[i], SCENE_CLIENT_WAIT_NS);

		if (ret != VGPU_OK && !failed++)
			printf("# wait for fence %llu: %s\n", (unsigned long long)fences[i],
			       vgpu_status_str(ret));
	}
	/* every one of them is complete now, earlier ones included */
	for (i = 0; i < submitted; i++)
		if (vgpu_wait_fence(client.dev, fences[i], 0) != VGPU_OK)
			not_done++;
	CHECK_EQ(failed, 0);
	CHECK_EQ(not_done, 0);
	CHECK(submitted > 0);
}

/* A value this handle never submitted is no fence at all (ABI: INVALID). */
static void test_unsubmitted_value_is_invalid(void)
{
	CHECK(submitted > 0);
	if (submitted <= 0)
		return;
	CHECK_EQ(vgpu_wait_fence(client.dev, fences[submitted - 1] + 1000000, 0), VGPU_E_INVALID);
}

static void test_last_clear_wins(void)
{
	static const uint32_t probes[][2] = { { 0, 0 }, { 128, 128 }, { 255, 255 } };
	float rgba[4];
	size_t p;

	CHECK(submitted == SUBMITS);
	if (submitted != SUBMITS)
		return;
	CHECK_CLIENT(&client, scene_client_read_back(&client));
	clear_color(SUBMITS - 1, rgba);
	for (p = 0; p < sizeof(probes) / sizeof(probes[0]); p++) {
		const uint8_t *px =
			client.rt_pixels + probes[p][1] * TRIANGLE_SCENE_STRIDE + probes[p][0] * 4;

		CHECK_EQ(px[2], triangle_scene_unorm8(rgba[0]));
		CHECK_EQ(px[1], triangle_scene_unorm8(rgba[1]));
		CHECK_EQ(px[0], triangle_scene_unorm8(rgba[2]));
		CHECK_EQ(px[3], 255);
	}
	scene_client_close(&client);
}

int main(void)
{
	RUN(test_sim_starts);
	RUN(test_target_ready);
	RUN(test_submits_in_a_row);
	RUN(test_wait_each_in_order);
	RUN(test_unsubmitted_value_is_invalid);
	RUN(test_last_clear_wins);
	RUN(test_sim_stops_cleanly);
	return tap_done();
}
