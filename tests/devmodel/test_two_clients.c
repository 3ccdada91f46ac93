/* SPDX-License-Identifier: MIT */
/*
 * Two clients on one TEST device model: one client's commands must not
 * change another's rendering.  virglrenderer creates, maps and frees
 * resources on whatever GL context is current, and after a client's own
 * commands that is the client's context: a texture another client creates
 * then lands on its texture unit, behind the bindings virglrenderer caches
 * for it, and its next draw samples the wrong texture.  A device must make
 * the renderer's own context current for such commands (QEMU does).
 *
 * Client A renders the reference scene, fills a small texture with red (a
 * clear through a surface) and draws the triangle sampling it.  Client B
 * then creates a texture of its own (no command stream of its own at all).
 * A draws again with its state unchanged: the triangle must still be red.
 * Run with VGPU_SIM_DEVICE=model or model-mvisor.
 */
#include <string.h>

#include "integration.h"
#include "triangle_scene.h"
#include "virgl_stream.h"

/* virgl protocol facts (virgl_protocol.h) that virgl_stream.h does not cover. */
#define CCMD_SET_SAMPLER_VIEWS 10u
#define CCMD_BIND_SAMPLER_STATES 18u
#define OBJ_SAMPLER_VIEW 6u
#define OBJ_SAMPLER_STATE 7u
#define SAMPLER_VIEW_DWORDS 6u
#define SAMPLER_STATE_DWORDS 9u
/* Identity swizzle: X, Y, Z, W in 3-bit fields. */
#define SWIZZLE_IDENTITY (0u | 1u << 3 | 2u << 6 | 3u << 9)
/* Clamp to edge on s, t, r; nearest filters; no mipmapping. */
#define SAMPLER_S0_CLAMP_NEAREST (2u | 2u << 3 | 2u << 6 | 2u << 11)

/* The scene's sub-context and handles (triangle_scene.c) come first; ours follow. */
#define SCENE_SUB_CTX 1u
#define SCENE_SURFACE 1u
#define TEX_SURFACE 20u
#define TEX_FS 21u
#define TEX_VIEW 22u
#define TEX_SAMPLER 23u

#define TEX_SIZE 16u
#define STREAM_DWORDS 512u
/* Inside the triangle; and a corner outside it. */
#define INSIDE_X 128u
#define INSIDE_Y 150u
#define OUTSIDE_X 5u
#define OUTSIDE_Y 5u

/* Every fragment takes the texture's color at its center. */
static const char sampling_fs[] = "FRAG\n"
				  "DCL OUT[0], COLOR\n"
				  "DCL SAMP[0]\n"
				  "DCL SVIEW[0], 2D, FLOAT\n"
				  "DCL TEMP[0]\n"
				  "IMM[0] FLT32 { 0.5000, 0.5000, 0.0000, 0.0000 }\n"
				  "  0: MOV TEMP[0], IMM[0]\n"
				  "  1: TEX OUT[0], TEMP[0], SAMP[0], 2D\n"
				  "  2: END\n";

static const float red[4] = { 1.0f, 0.0f, 0.0f, 1.0f };

static struct scene_client a;
static struct vgpu_dev *b;
static uint32_t tex; /* A's texture */
static uint32_t tex_res_id;
static uint32_t b_tex; /* B's texture */

static struct vgpu_resource_create texture_desc(void)
{
	return (struct vgpu_resource_create){
		.target = VSTREAM_TARGET_TEXTURE_2D,
		.format = TRIANGLE_SCENE_FORMAT,
		.bind = VSTREAM_BIND_RENDER_TARGET | VSTREAM_BIND_SAMPLER_VIEW,
		.width = TEX_SIZE,
		.height = TEX_SIZE,
		.depth = 1,
		.array_size = 1,
		.size = TEX_SIZE * TEX_SIZE * TRIANGLE_SCENE_BYTES_PER_PIXEL,
	};
}

/* Append one raw command (header and payload) to the stream, or mark it bad. */
static void put(struct vstream *s, uint32_t cmd, uint32_t object, const uint32_t *payload,
		uint32_t n)
{
	if (s->overflow || s->cap - s->len < n + 1) {
		s->overflow = true;
		return;
	}
	s->buf[s->len++] = cmd | object << 8 | n << 16;
	memcpy(s->buf + s->len, payload, n * sizeof(*payload));
	s->len += n;
}

static void encode_sampling(struct vstream *s)
{
	const uint32_t view[SAMPLER_VIEW_DWORDS] = {
		TEX_VIEW, tex_res_id, TRIANGLE_SCENE_FORMAT, 0, 0, SWIZZLE_IDENTITY,
	};
	const uint32_t sampler[SAMPLER_STATE_DWORDS] = { TEX_SAMPLER, SAMPLER_S0_CLAMP_NEAREST };
	const uint32_t views[3] = { VSTREAM_SHADER_FRAGMENT, 0, TEX_VIEW };
	const uint32_t samplers[3] = { VSTREAM_SHADER_FRAGMENT, 0, TEX_SAMPLER };

	put(s, VSTREAM_CMD_CREATE_OBJECT, OBJ_SAMPLER_VIEW, view, SAMPLER_VIEW_DWORDS);
	put(s, CCMD_SET_SAMPLER_VIEWS, 0, views, 3);
	put(s, VSTREAM_CMD_CREATE_OBJECT, OBJ_SAMPLER_STATE, sampler, SAMPLER_STATE_DWORDS);
	put(s, CCMD_BIND_SAMPLER_STATES, 0, samplers, 3);
	vstream_create_shader(s, TEX_FS, VSTREAM_SHADER_FRAGMENT, sampling_fs);
	vstream_bind_shader(s, TEX_FS, VSTREAM_SHADER_FRAGMENT);
}

/* Clear A's render target and draw the scene's triangle with the state as it is. */
static void encode_draw(struct vstream *s)
{
	vstream_set_sub_ctx(s, SCENE_SUB_CTX);
	vstream_clear_color(s, triangle_scene_clear_color);
	vstream_draw_arrays(s, VSTREAM_PRIM_TRIANGLES, 0, 3);
}

static int submit(struct vstream *s)
{
	const uint32_t handles[3] = { a.rt, a.vb, tex };

	if (!vstream_ok(s))
		return VGPU_E_NO_MEMORY;
	return vgpu_submit(a.dev, s->buf, vstream_size_bytes(s), handles, 3, NULL);
}

static const uint8_t *pixel(uint32_t x, uint32_t y)
{
	return a.rt_pixels + y * TRIANGLE_SCENE_STRIDE + x * TRIANGLE_SCENE_BYTES_PER_PIXEL;
}

static bool expect_bgra(const uint8_t *p, uint8_t b_, uint8_t g, uint8_t r, const char *where)
{
	if (p[0] == b_ && p[1] == g && p[2] == r && p[3] == 255)
		return true;
	printf("# %s: pixel BGRA (%u, %u, %u, %u), want (%u, %u, %u, 255)\n", where, p[0], p[1],
	       p[2], p[3], b_, g, r);
	return false;
}

/* The triangle is the texture's red, the rest the scene's clear color. */
static void check_red_triangle(void)
{
	const float *c = triangle_scene_clear_color;

	CHECK_CLIENT(&a, scene_client_read_back(&a));
	CHECK(expect_bgra(pixel(INSIDE_X, INSIDE_Y), 0, 0, 255, "inside"));
	CHECK(expect_bgra(pixel(OUTSIDE_X, OUTSIDE_Y), triangle_scene_unorm8(c[2]),
			  triangle_scene_unorm8(c[1]), triangle_scene_unorm8(c[0]), "outside"));
}

static void test_both_clients_open(void)
{
	CHECK_CLIENT(&a, scene_client_open(&a, "test_devmodel_two_clients A"));
	CHECK_EQ(vgpu_open(&b), VGPU_OK);
	if (b)
		CHECK_EQ(vgpu_context_create(b, VGPU_CAPSET_VIRGL2, "test_devmodel_two_clients B"),
			 VGPU_OK);
}

static void test_a_draws_the_scene(void)
{
	CHECK_CLIENT(&a, scene_client_render(&a));
	CHECK_EQ(scene_client_check(&a, stdout, "# scene: "), 0);
}

static void test_a_draws_sampling_its_texture(void)
{
	static uint32_t cmds[STREAM_DWORDS];
	struct vgpu_resource_create desc = texture_desc();
	const uint32_t tex_surface = TEX_SURFACE, scene_surface = SCENE_SURFACE;
	struct vstream s;

	CHECK_EQ(vgpu_resource_create(a.dev, &desc), VGPU_OK);
	tex = desc.handle;
	tex_res_id = desc.res_id;
	vstream_init(&s, cmds, STREAM_DWORDS);
	vstream_set_sub_ctx(&s, SCENE_SUB_CTX);
	vstream_create_surface(&s, TEX_SURFACE, tex_res_id, TRIANGLE_SCENE_FORMAT, 0);
	vstream_set_framebuffer(&s, 1, &tex_surface, 0);
	vstream_clear_color(&s, red);
	vstream_set_framebuffer(&s, 1, &scene_surface, 0);
	encode_sampling(&s);
	encode_draw(&s);
	CHECK_EQ(submit(&s), VGPU_OK);
	check_red_triangle();
}

static int submit_draw(void)
{
	static uint32_t cmds[STREAM_DWORDS];
	struct vstream s;

	vstream_init(&s, cmds, STREAM_DWORDS);
	encode_draw(&s);
	return submit(&s);
}

/*
 * Right after a draw of A (its context is the renderer's current one), B's
 * only command is a resource creation; A's next draw must not notice it.
 */
static void test_b_creates_a_texture(void)
{
	struct vgpu_resource_create desc = texture_desc();

	if (!b)
		return;
	CHECK_EQ(submit_draw(), VGPU_OK);
	CHECK_EQ(vgpu_resource_create(b, &desc), VGPU_OK);
	b_tex = desc.handle;
}

static void test_a_draws_again_unchanged(void)
{
	CHECK_EQ(submit_draw(), VGPU_OK);
	check_red_triangle();
}

static void test_release_leaves_nothing(void)
{
	const struct vgpu_get_stats want = { .open_files = 1, .contexts = 1 };
	struct vgpu_get_stats got;

	if (b) {
		CHECK_EQ(vgpu_resource_destroy(b, b_tex), VGPU_OK);
		vgpu_close(b);
		b = NULL;
	}
	CHECK_EQ(vgpu_resource_destroy(a.dev, tex), VGPU_OK);
	scene_client_release(&a);
	CHECK(stats_settle(a.dev, &want, &got));
	CHECK_EQ(got.device_errors, 0);
	scene_client_close(&a);
}

int main(void)
{
	RUN(test_sim_starts);
	RUN(test_both_clients_open);
	RUN(test_a_draws_the_scene);
	RUN(test_a_draws_sampling_its_texture);
	RUN(test_b_creates_a_texture);
	RUN(test_a_draws_again_unchanged);
	RUN(test_release_leaves_nothing);
	RUN(test_sim_stops_cleanly);
	return tap_done();
}
