/* SPDX-License-Identifier: MIT */
/*
 * What the Windows GL test programs share: opening their window and
 * context with the renderer reported, and pixel checks that say what they
 * saw.  Each program prints TAP (tests/lib/tap.h) and, as TAP comments,
 * "# GL_RENDERER: ..." and "# GL_VERSION: ..." for the runner to judge.
 */
#ifndef VGPU_TESTS_WINE_GL_TEST_H
#define VGPU_TESTS_WINE_GL_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include "wgl_app.h"

/* Pixels may differ from the exact value by this much per channel (rounding, dithering). */
#define PIXEL_TOLERANCE 3

struct rgb {
	uint8_t r, g, b;
};

/* wgl_open, then the renderer and version lines; false (with the reason printed) on failure. */
bool gl_test_open(struct wgl_app *app, const char *name, int size, enum wgl_profile profile,
		  int major, int minor);

/* The pixel (x, y) (GL's: from the bottom left) of the bound read framebuffer. */
struct rgb read_pixel(int x, int y);

/* true if `got` is `want` within `tolerance`; prints what it got otherwise. */
bool pixel_is(const char *what, struct rgb got, struct rgb want, int tolerance);

/* pixel_is for the read framebuffer's pixel (x, y). */
bool pixel_at_is(int x, int y, struct rgb want);

/* true if glGetError has nothing to report; prints what it reports otherwise. */
bool gl_ok(const char *where);

/* A shader program from GLSL sources; 0 (with the log printed) on failure. */
GLuint build_program(const char *vertex_src, const char *fragment_src);

/* The texture over the whole viewport, fixed-function (GL_REPLACE). */
void draw_textured_quad(GLuint texture);

#endif /* VGPU_TESTS_WINE_GL_TEST_H */
