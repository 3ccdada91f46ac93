/* SPDX-License-Identifier: MIT */
/*
 * The reference scene of our driver-level demo and tests: a 256x256
 * B8G8R8A8 render target cleared to slate blue, with a triangle whose
 * corners are red (top), green (bottom left) and blue (bottom right) and
 * whose inside is the interpolation of the three.  One place defines the
 * command stream and the pixel checks, so that every user of the scene
 * renders and judges it the same way.
 */
#ifndef VGPU_TOOLS_TRIANGLE_SCENE_H
#define VGPU_TOOLS_TRIANGLE_SCENE_H

#include <stdint.h>
#include <stdio.h>

#include "virgl_stream.h"

#define TRIANGLE_SCENE_WIDTH 256u
#define TRIANGLE_SCENE_HEIGHT 256u
#define TRIANGLE_SCENE_FORMAT VSTREAM_FORMAT_B8G8R8A8_UNORM
#define TRIANGLE_SCENE_BYTES_PER_PIXEL 4u
#define TRIANGLE_SCENE_STRIDE (TRIANGLE_SCENE_WIDTH * TRIANGLE_SCENE_BYTES_PER_PIXEL)
#define TRIANGLE_SCENE_RT_BYTES (TRIANGLE_SCENE_STRIDE * TRIANGLE_SCENE_HEIGHT)
/* Three vertices of position (x, y, z, w) and color (r, g, b, a) floats. */
#define TRIANGLE_SCENE_VB_BYTES (3u * 8u * 4u)
#define TRIANGLE_SCENE_VB_STRIDE (8u * 4u)
/* Room for the whole scene stream, in dwords. */
#define TRIANGLE_SCENE_MAX_DWORDS 1024u

/* The clear color, exactly representable in 8 bits: (51, 102, 153, 255). */
extern const float triangle_scene_clear_color[4];
/* What the vertex buffer must hold (TRIANGLE_SCENE_VB_BYTES) before the draw. */
extern const float triangle_scene_vertices[3][8];

/*
 * Set up a virgl sub-context, the render target surface and pipeline state
 * and draw the scene: the whole stream a fresh context needs.  vb_res_id
 * is a buffer already holding triangle_scene_vertices on the host (the
 * caller uploads it with a transfer).  Object handles are fixed: encode it
 * once per context.
 */
void triangle_scene_encode(struct vstream *s, uint32_t rt_res_id, uint32_t vb_res_id);

/*
 * Only the first part of the above (sub-context, surface, framebuffer), for
 * callers that then submit their own clears.
 */
void triangle_scene_encode_target(struct vstream *s, uint32_t rt_res_id);

/*
 * Check probe pixels of a read-back B8G8R8A8 image (row 0 = top) against
 * the scene: the clear color outside, the interpolated colors inside, the
 * right corner colors near each corner.  Prints one line per probe to
 * `log` (if not NULL), each starting with `prefix`.  Returns the number of
 * failed probes.
 */
int triangle_scene_check(const uint8_t *bgra, uint32_t stride, FILE *log, const char *prefix);

/* The 8-bit value a [0, 1] color channel becomes in a UNORM8 target. */
uint8_t triangle_scene_unorm8(float channel);

/* Reorder a B8G8R8A8 image into tightly packed R8G8B8A8 (e.g. for PNG). */
void triangle_scene_bgra_to_rgba(const uint8_t *bgra, uint32_t stride, uint32_t width,
				 uint32_t height, uint8_t *rgba);

#endif /* VGPU_TOOLS_TRIANGLE_SCENE_H */
