/* SPDX-License-Identifier: MIT */
/*
 * Our virgl encoder against the real host renderer, in-process, with no
 * vgpu in between: if the scene renders right here, the encoder is right,
 * and a failure further up the stack lies in the transport.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include <virglrenderer.h>

#include "keep_loaded.h"
#include "tap.h"
#include "triangle_scene.h"
#include "virgl_stream.h"

/* Opaque in the renderer's public header; its layout is part of the API. */
struct virgl_box {
	uint32_t x, y, z;
	uint32_t w, h, d;
};

#define CTX_ID 1u
#define RT_RES_ID 1u
#define VB_RES_ID 2u
#define OTHER_CTX_ID 2u
#define SCENE_FENCE 7u

static bool renderer_up;
static uint32_t last_fence;
/* The renderer refuses a NULL cookie; ours carries nothing. */
static int renderer_cookie;

static void on_write_fence(void *cookie, uint32_t fence)
{
	(void)cookie;
	last_fence = fence;
}

static struct virgl_renderer_callbacks renderer_callbacks = {
	.version = 1,
	.write_fence = on_write_fence,
};

static uint8_t rt_backing[TRIANGLE_SCENE_RT_BYTES];
static uint8_t vb_backing[TRIANGLE_SCENE_VB_BYTES];

static void test_renderer_init(void)
{
	int ret = virgl_renderer_init(&renderer_cookie,
				      VIRGL_RENDERER_USE_EGL | VIRGL_RENDERER_USE_SURFACELESS,
				      &renderer_callbacks);

	CHECK_EQ(ret, 0);
	renderer_up = ret == 0;
	if (!renderer_up)
		return;
	host_gl_keep_loaded();
	CHECK_EQ(virgl_renderer_context_create(CTX_ID, 4, "test"), 0);
}

static int create_resource(uint32_t id, uint32_t target, uint32_t format, uint32_t bind,
			   uint32_t width, uint32_t height, void *backing, size_t size)
{
	struct virgl_renderer_resource_create_args args = {
		.handle = id,
		.target = target,
		.format = format,
		.bind = bind,
		.width = width,
		.height = height,
		.depth = 1,
		.array_size = 1,
	};
	struct iovec iov = { .iov_base = backing, .iov_len = size };

	return virgl_renderer_resource_create(&args, &iov, 1);
}

static void test_resources(void)
{
	CHECK(renderer_up);
	if (!renderer_up)
		return;
	CHECK_EQ(create_resource(RT_RES_ID, VSTREAM_TARGET_TEXTURE_2D, TRIANGLE_SCENE_FORMAT,
				 VSTREAM_BIND_RENDER_TARGET, TRIANGLE_SCENE_WIDTH,
				 TRIANGLE_SCENE_HEIGHT, rt_backing, sizeof(rt_backing)),
		 0);
	CHECK_EQ(create_resource(VB_RES_ID, VSTREAM_TARGET_BUFFER, VSTREAM_FORMAT_R8_UNORM,
				 VSTREAM_BIND_VERTEX_BUFFER, TRIANGLE_SCENE_VB_BYTES, 1, vb_backing,
				 sizeof(vb_backing)),
		 0);
	virgl_renderer_ctx_attach_resource(CTX_ID, RT_RES_ID);
	virgl_renderer_ctx_attach_resource(CTX_ID, VB_RES_ID);
}

/* Vertex data reaches the host as a driver sends it: a transfer from backing. */
static void test_vertex_upload(void)
{
	struct virgl_box box = { .w = TRIANGLE_SCENE_VB_BYTES, .h = 1, .d = 1 };
	struct iovec iov = { .iov_base = vb_backing, .iov_len = sizeof(vb_backing) };

	CHECK(renderer_up);
	if (!renderer_up)
		return;
	memcpy(vb_backing, triangle_scene_vertices, sizeof(vb_backing));
	CHECK_EQ(virgl_renderer_transfer_write_iov(VB_RES_ID, CTX_ID, 0, 0, 0, &box, 0, &iov, 1),
		 0);
}

static int read_back(uint32_t ctx_id, uint8_t *dst, size_t size)
{
	struct virgl_box box = { .w = TRIANGLE_SCENE_WIDTH, .h = TRIANGLE_SCENE_HEIGHT, .d = 1 };
	struct iovec iov = { .iov_base = dst, .iov_len = size };

	return virgl_renderer_transfer_read_iov(RT_RES_ID, ctx_id, 0, TRIANGLE_SCENE_STRIDE, 0,
						&box, 0, &iov, 1);
}

static uint8_t pixels[TRIANGLE_SCENE_RT_BYTES];

/* Poll the renderer until it reports the fence, for at most two seconds. */
static bool wait_fence(uint32_t fence)
{
	const struct timespec tick = { .tv_nsec = 1000000 };
	int i;

	for (i = 0; i < 2000 && last_fence != fence; i++) {
		virgl_renderer_poll();
		if (last_fence != fence)
			nanosleep(&tick, NULL);
	}
	return last_fence == fence;
}

static void test_scene_renders(void)
{
	static uint32_t cmds[TRIANGLE_SCENE_MAX_DWORDS];
	struct vstream s;

	CHECK(renderer_up);
	if (!renderer_up)
		return;
	vstream_init(&s, cmds, TRIANGLE_SCENE_MAX_DWORDS);
	triangle_scene_encode(&s, RT_RES_ID, VB_RES_ID);
	CHECK(vstream_ok(&s));
	CHECK_EQ(virgl_renderer_submit_cmd(cmds, CTX_ID, (int)s.len), 0);

	/* a fence proves the renderer finished the stream without a context error */
	CHECK_EQ(virgl_renderer_create_fence(SCENE_FENCE, CTX_ID), 0);
	CHECK(wait_fence(SCENE_FENCE));

	memset(pixels, 0, sizeof(pixels));
	CHECK_EQ(read_back(CTX_ID, pixels, sizeof(pixels)), 0);
	CHECK_EQ(triangle_scene_check(pixels, TRIANGLE_SCENE_STRIDE, stdout, "# "), 0);
}

/*
 * The same stream in another context that was not given the resources
 * must not reach them: the host keeps contexts apart, and our isolation
 * tests further up rely on that.
 */
static void test_other_context_cannot_draw(void)
{
	static uint32_t cmds[TRIANGLE_SCENE_MAX_DWORDS];
	static const float black[4] = { 0.0f, 0.0f, 0.0f, 1.0f };
	struct vstream s;

	CHECK(renderer_up);
	if (!renderer_up)
		return;
	CHECK_EQ(virgl_renderer_context_create(OTHER_CTX_ID, 5, "other"), 0);
	vstream_init(&s, cmds, TRIANGLE_SCENE_MAX_DWORDS);
	triangle_scene_encode_target(&s, RT_RES_ID);
	vstream_clear_color(&s, black);
	CHECK(vstream_ok(&s));
	CHECK(virgl_renderer_submit_cmd(cmds, OTHER_CTX_ID, (int)s.len) != 0);
	virgl_renderer_context_destroy(OTHER_CTX_ID);

	memset(pixels, 0, sizeof(pixels));
	CHECK_EQ(read_back(CTX_ID, pixels, sizeof(pixels)), 0);
	CHECK_EQ(triangle_scene_check(pixels, TRIANGLE_SCENE_STRIDE, NULL, NULL), 0);
}

static void test_cleanup(void)
{
	CHECK(renderer_up);
	if (!renderer_up)
		return;
	virgl_renderer_ctx_detach_resource(CTX_ID, VB_RES_ID);
	virgl_renderer_ctx_detach_resource(CTX_ID, RT_RES_ID);
	virgl_renderer_resource_unref(VB_RES_ID);
	virgl_renderer_resource_unref(RT_RES_ID);
	virgl_renderer_context_destroy(CTX_ID);
	virgl_renderer_cleanup(&renderer_cookie);
	renderer_up = false;
}

int main(void)
{
	RUN(test_renderer_init);
	RUN(test_resources);
	RUN(test_vertex_upload);
	RUN(test_scene_renders);
	RUN(test_other_context_cannot_draw);
	RUN(test_cleanup);
	return tap_done();
}
