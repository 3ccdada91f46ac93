/* SPDX-License-Identifier: MIT */
/*
 * The reference scene: command stream and pixel checks (triangle_scene.h).
 */
#include "triangle_scene.h"

#include <stdbool.h>
#include <stdlib.h>

#define SCENE_SUB_CTX 1u

/* Object handles inside the scene's virgl sub-context. */
enum scene_handle {
	SCENE_SURFACE = 1,
	SCENE_BLEND,
	SCENE_RASTERIZER,
	SCENE_DSA,
	SCENE_VS,
	SCENE_FS,
	SCENE_VERTEX_ELEMENTS,
};

const float triangle_scene_clear_color[4] = { 0.2f, 0.4f, 0.6f, 1.0f };

/* Position in, position out; the color goes to the rasterizer to interpolate. */
static const char scene_vs[] = "VERT\n"
			       "DCL IN[0]\n"
			       "DCL IN[1]\n"
			       "DCL OUT[0], POSITION\n"
			       "DCL OUT[1], GENERIC[0]\n"
			       "  0: MOV OUT[0], IN[0]\n"
			       "  1: MOV OUT[1], IN[1]\n"
			       "  2: END\n";

static const char scene_fs[] = "FRAG\n"
			       "DCL IN[0], GENERIC[0], PERSPECTIVE\n"
			       "DCL OUT[0], COLOR\n"
			       "  0: MOV OUT[0], IN[0]\n"
			       "  1: END\n";

/* x, y, z, w, r, g, b, a: top red, bottom left green, bottom right blue. */
const float triangle_scene_vertices[3][8] = {
	{ 0.0f, 0.8f, 0.0f, 1.0f, 1.0f, 0.0f, 0.0f, 1.0f },
	{ -0.8f, -0.8f, 0.0f, 1.0f, 0.0f, 1.0f, 0.0f, 1.0f },
	{ 0.8f, -0.8f, 0.0f, 1.0f, 0.0f, 0.0f, 1.0f, 1.0f },
};

_Static_assert(sizeof(triangle_scene_vertices) == TRIANGLE_SCENE_VB_BYTES, "vertex buffer size");
_Static_assert(sizeof(triangle_scene_vertices[0]) == TRIANGLE_SCENE_VB_STRIDE, "vertex size");

void triangle_scene_encode_target(struct vstream *s, uint32_t rt_res_id)
{
	const uint32_t cbuf = SCENE_SURFACE;

	vstream_create_sub_ctx(s, SCENE_SUB_CTX);
	vstream_set_sub_ctx(s, SCENE_SUB_CTX);
	vstream_create_surface(s, SCENE_SURFACE, rt_res_id, TRIANGLE_SCENE_FORMAT, 0);
	vstream_set_framebuffer(s, 1, &cbuf, 0);
}

static void scene_encode_pipeline(struct vstream *s)
{
	static const struct vstream_vertex_element elements[2] = {
		{ .src_offset = 0, .format = VSTREAM_FORMAT_R32G32B32A32_FLOAT },
		{ .src_offset = 16, .format = VSTREAM_FORMAT_R32G32B32A32_FLOAT },
	};

	vstream_create_blend_opaque(s, SCENE_BLEND);
	vstream_bind_object(s, VSTREAM_OBJ_BLEND, SCENE_BLEND);
	vstream_create_rasterizer_default(s, SCENE_RASTERIZER);
	vstream_bind_object(s, VSTREAM_OBJ_RASTERIZER, SCENE_RASTERIZER);
	vstream_create_dsa(s, SCENE_DSA, false, false, VSTREAM_FUNC_LESS);
	vstream_bind_object(s, VSTREAM_OBJ_DSA, SCENE_DSA);
	vstream_create_shader(s, SCENE_VS, VSTREAM_SHADER_VERTEX, scene_vs);
	vstream_bind_shader(s, SCENE_VS, VSTREAM_SHADER_VERTEX);
	vstream_create_shader(s, SCENE_FS, VSTREAM_SHADER_FRAGMENT, scene_fs);
	vstream_bind_shader(s, SCENE_FS, VSTREAM_SHADER_FRAGMENT);
	vstream_create_vertex_elements(s, SCENE_VERTEX_ELEMENTS, 2, elements);
	vstream_bind_object(s, VSTREAM_OBJ_VERTEX_ELEMENTS, SCENE_VERTEX_ELEMENTS);
}

void triangle_scene_encode(struct vstream *s, uint32_t rt_res_id, uint32_t vb_res_id)
{
	const struct vstream_vertex_buffer vb = {
		.stride = TRIANGLE_SCENE_VB_STRIDE,
		.offset = 0,
		.res_id = vb_res_id,
	};

	triangle_scene_encode_target(s, rt_res_id);
	vstream_set_viewport(s, 0.0f, 0.0f, (float)TRIANGLE_SCENE_WIDTH,
			     (float)TRIANGLE_SCENE_HEIGHT);
	vstream_clear_color(s, triangle_scene_clear_color);
	scene_encode_pipeline(s);
	vstream_set_vertex_buffers(s, 1, &vb);
	vstream_draw_arrays(s, VSTREAM_PRIM_TRIANGLES, 0, 3);
}

uint8_t triangle_scene_unorm8(float channel)
{
	if (!(channel > 0.0f))
		return 0;
	if (channel >= 1.0f)
		return 255;
	return (uint8_t)(channel * 255.0f + 0.5f);
}

enum probe_kind {
	PROBE_CLEAR,    /* the clear color */
	PROBE_CENTROID, /* a third of each corner color */
	PROBE_RED,      /* mostly the top corner's color */
	PROBE_GREEN,    /* mostly the bottom left corner's color */
	PROBE_BLUE,     /* mostly the bottom right corner's color */
};

struct probe {
	const char *where;
	uint32_t x, y;
	enum probe_kind kind;
};

/*
 * Pixel (x, y) sits at normalized (x / 128 - 1, 1 - y / 128).  The probes
 * beside the apex and below the base are outside only when the image is
 * the right way up, so a flipped image fails.
 */
static const struct probe scene_probes[] = {
	{ "outside, top left corner", 5, 5, PROBE_CLEAR },
	{ "outside, top right corner", 250, 5, PROBE_CLEAR },
	{ "outside, bottom left corner", 5, 250, PROBE_CLEAR },
	{ "outside, bottom right corner", 250, 250, PROBE_CLEAR },
	{ "outside, left of the apex", 89, 38, PROBE_CLEAR },
	{ "outside, right of the apex", 166, 38, PROBE_CLEAR },
	{ "outside, below the base", 128, 240, PROBE_CLEAR },
	{ "inside, centroid", 128, 162, PROBE_CENTROID },
	{ "inside, near the top (red) corner", 128, 51, PROBE_RED },
	{ "inside, near the bottom left (green) corner", 51, 218, PROBE_GREEN },
	{ "inside, near the bottom right (blue) corner", 205, 218, PROBE_BLUE },
};

static bool near(int got, int want, int tolerance)
{
	return abs(got - want) <= tolerance;
}

/* Inside the triangle the three weights sum to one: r + g + b = 255. */
static bool interpolated(const uint8_t rgba[4])
{
	return near(rgba[0] + rgba[1] + rgba[2], 255, 6) && rgba[3] == 255;
}

static bool dominated_by(const uint8_t rgba[4], int channel)
{
	int i;

	if (!interpolated(rgba) || rgba[channel] < 180)
		return false;
	for (i = 0; i < 3; i++)
		if (i != channel && rgba[i] > 60)
			return false;
	return true;
}

static bool probe_passes(const struct probe *p, const uint8_t rgba[4])
{
	int i;

	switch (p->kind) {
	case PROBE_CLEAR:
		for (i = 0; i < 4; i++)
			if (!near(rgba[i], triangle_scene_unorm8(triangle_scene_clear_color[i]), 1))
				return false;
		return true;
	case PROBE_CENTROID:
		return interpolated(rgba) && near(rgba[0], 85, 15) && near(rgba[1], 85, 15) &&
		       near(rgba[2], 85, 15);
	case PROBE_RED:
		return dominated_by(rgba, 0);
	case PROBE_GREEN:
		return dominated_by(rgba, 1);
	case PROBE_BLUE:
		return dominated_by(rgba, 2);
	}
	return false;
}

static const char *const probe_expectation[] = {
	[PROBE_CLEAR] = "clear color", [PROBE_CENTROID] = "even mix of red, green, blue",
	[PROBE_RED] = "mostly red",    [PROBE_GREEN] = "mostly green",
	[PROBE_BLUE] = "mostly blue",
};

int triangle_scene_check(const uint8_t *bgra, uint32_t stride, FILE *log, const char *prefix)
{
	size_t i;
	int failures = 0;

	if (!bgra || stride < TRIANGLE_SCENE_STRIDE)
		return (int)(sizeof(scene_probes) / sizeof(scene_probes[0]));
	for (i = 0; i < sizeof(scene_probes) / sizeof(scene_probes[0]); i++) {
		const struct probe *p = &scene_probes[i];
		const uint8_t *px = bgra + (size_t)p->y * stride + (size_t)p->x * 4u;
		const uint8_t rgba[4] = { px[2], px[1], px[0], px[3] };
		bool ok = probe_passes(p, rgba);

		if (!ok)
			failures++;
		if (log)
			fprintf(log, "%s%s pixel (%u,%u) %s: rgba %u,%u,%u,%u, want %s\n",
				prefix ? prefix : "", ok ? "ok  " : "BAD ", p->x, p->y, p->where,
				rgba[0], rgba[1], rgba[2], rgba[3], probe_expectation[p->kind]);
	}
	return failures;
}

void triangle_scene_bgra_to_rgba(const uint8_t *bgra, uint32_t stride, uint32_t width,
				 uint32_t height, uint8_t *rgba)
{
	uint32_t x, y;

	if (!bgra || !rgba || stride < width * 4u)
		return;
	for (y = 0; y < height; y++) {
		const uint8_t *src = bgra + (size_t)y * stride;
		uint8_t *dst = rgba + (size_t)y * width * 4u;

		for (x = 0; x < width; x++) {
			dst[4 * x + 0] = src[4 * x + 2];
			dst[4 * x + 1] = src[4 * x + 1];
			dst[4 * x + 2] = src[4 * x + 0];
			dst[4 * x + 3] = src[4 * x + 3];
		}
	}
}
