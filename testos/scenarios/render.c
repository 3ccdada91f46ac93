/* SPDX-License-Identifier: MIT */
/*
 * Context, resources, submits and fenced transfers with pixel checks: a
 * clear, a pattern sent to the host and read back through scattered
 * backing, and the reference triangle drawn with our TGSI shaders.
 */
#include <string.h>

#include "check.h"
#include "scene.h"
#include "../kernel/kprint.h"
#include "../shell/gpu.h"

static uint32_t stream[TRIANGLE_SCENE_MAX_DWORDS];

/* Open a client with a context of `capset` and the scene's resources. */
static bool open_scene(struct testos_gpu *gpu, struct client *c, struct scene *s, uint32_t capset)
{
	CHECK_EQ(client_open(c, gpu), VGPU_OK);
	CHECK_EQ(client_context(c, capset, "testos-render"), VGPU_OK);
	CHECK_EQ(scene_setup(s, c), VGPU_OK);
	return !case_failing();
}

/* BGRA bytes of pixel (x, y) in the pattern: every pixel of the target differs. */
static void pattern_pixel(uint32_t x, uint32_t y, uint8_t out[4])
{
	out[0] = (uint8_t)x;
	out[1] = (uint8_t)y;
	out[2] = (uint8_t)(x * 7u + y * 13u);
	out[3] = 0xFF;
}

/* Count the pixels of the box that differ from the pattern. */
static uint32_t pattern_mismatches(const struct scene *s, const struct vgpu_box *box)
{
	uint32_t x, y, bad = 0;

	for (y = box->y; y < box->y + box->h; y++) {
		for (x = box->x; x < box->x + box->w; x++) {
			uint8_t want[4];

			pattern_pixel(x, y, want);
			if (memcmp(scene_pixel(s, x, y), want, 4) != 0)
				bad++;
		}
	}
	return bad;
}

/* The render target is big enough to need many pieces: the device must gather them. */
static void backing_is_scattered(struct testos_gpu *gpu)
{
	struct client c;
	struct scene s;

	if (!open_scene(gpu, &c, &s, VGPU_CAPSET_VIRGL2))
		goto out;
	kprintf("# render target backing: %u pieces\n", s.rt_extents);
	CHECK(s.rt_extents >= TRIANGLE_SCENE_RT_BYTES / 4096u / TESTOS_BACKING_RUN_PAGES);
out:
	client_close(&c);
}

static void clear(struct testos_gpu *gpu)
{
	static const float color[4] = { 0.8f, 0.2f, 0.4f, 1.0f };
	const uint8_t want[4] = { triangle_scene_unorm8(color[2]), triangle_scene_unorm8(color[1]),
				  triangle_scene_unorm8(color[0]), 255 };
	struct client c;
	struct scene s;
	struct vstream st;
	uint32_t x, y, bad = 0;

	if (!open_scene(gpu, &c, &s, VGPU_CAPSET_VIRGL))
		goto out;
	vstream_init(&st, stream, TRIANGLE_SCENE_MAX_DWORDS);
	triangle_scene_encode_target(&st, s.rt.res_id);
	vstream_clear_color(&st, color);
	CHECK(vstream_ok(&st));
	CHECK_EQ(scene_submit(&s, stream, vstream_size_bytes(&st)), VGPU_OK);
	CHECK_EQ(scene_read_back(&s), VGPU_OK);
	for (y = 0; y < TRIANGLE_SCENE_HEIGHT; y++)
		for (x = 0; x < TRIANGLE_SCENE_WIDTH; x++)
			bad += memcmp(scene_pixel(&s, x, y), want, 4) != 0;
	CHECK_EQ(bad, 0);
out:
	client_close(&c);
}

/* Up through every piece, wipe, down again: each pixel must come back to its place. */
static void scatter_round_trip(struct testos_gpu *gpu)
{
	const struct vgpu_box whole = { .w = TRIANGLE_SCENE_WIDTH,
					.h = TRIANGLE_SCENE_HEIGHT,
					.d = 1 };
	const struct vgpu_box part = { .x = 40, .y = 100, .w = 64, .h = 20, .d = 1 };
	struct vgpu_transfer t = { .stride = TRIANGLE_SCENE_STRIDE };
	struct client c;
	struct scene s;
	uint32_t x, y;

	if (!open_scene(gpu, &c, &s, VGPU_CAPSET_VIRGL2))
		goto out;
	t.handle = s.rt.handle;
	for (y = 0; y < TRIANGLE_SCENE_HEIGHT; y++)
		for (x = 0; x < TRIANGLE_SCENE_WIDTH; x++)
			pattern_pixel(x, y, s.rt_pixels + y * TRIANGLE_SCENE_STRIDE + x * 4u);
	t.box = whole;
	CHECK_EQ(client_transfer(&c, true, &t), VGPU_OK);
	/* The device reads the backing when it gets to the command: wait before wiping it. */
	CHECK_EQ(client_finish(&c), VGPU_OK);
	memset(s.rt_pixels, 0, TRIANGLE_SCENE_RT_BYTES);
	CHECK_EQ(client_transfer(&c, false, &t), VGPU_OK);
	CHECK_EQ(client_finish(&c), VGPU_OK);
	CHECK_EQ(pattern_mismatches(&s, &whole), 0);

	/* A box: only its rows, at the offset the stride gives, come back. */
	memset(s.rt_pixels, 0, TRIANGLE_SCENE_RT_BYTES);
	t.box = part;
	t.offset = (uint64_t)part.y * TRIANGLE_SCENE_STRIDE + part.x * 4u;
	CHECK_EQ(client_transfer(&c, false, &t), VGPU_OK);
	CHECK_EQ(client_finish(&c), VGPU_OK);
	CHECK_EQ(pattern_mismatches(&s, &part), 0);
	CHECK_EQ(*(const uint32_t *)(const void *)scene_pixel(&s, part.x - 1, part.y), 0);
	CHECK_EQ(*(const uint32_t *)(const void *)scene_pixel(&s, part.x, part.y + part.h), 0);
out:
	client_close(&c);
}

static void triangle(struct testos_gpu *gpu)
{
	struct client c;
	struct scene s;
	struct vstream st;

	if (!open_scene(gpu, &c, &s, VGPU_CAPSET_VIRGL2))
		goto out;
	CHECK_EQ(scene_upload_vertices(&s), VGPU_OK);
	vstream_init(&st, stream, TRIANGLE_SCENE_MAX_DWORDS);
	triangle_scene_encode(&st, s.rt.res_id, s.vb.res_id);
	CHECK(vstream_ok(&st));
	CHECK_EQ(scene_submit(&s, stream, vstream_size_bytes(&st)), VGPU_OK);
	CHECK_EQ(scene_read_back(&s), VGPU_OK);
	if (!case_failing())
		CHECK_EQ(triangle_scene_check(s.rt_pixels, TRIANGLE_SCENE_STRIDE, stdout, "#   "),
			 0);
out:
	client_close(&c);
}

static const struct test_case cases[] = {
	{ "backing_is_scattered", backing_is_scattered },
	{ "clear", clear },
	{ "scatter_round_trip", scatter_round_trip },
	{ "triangle", triangle },
};

TEST_SUITE(render, cases);
