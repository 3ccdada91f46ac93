/* SPDX-License-Identifier: MIT */
#include "gl_test.h"

#include <stdio.h>
#include <stdlib.h>

bool gl_test_open(struct wgl_app *app, const char *name, int size, enum wgl_profile profile,
		  int major, int minor)
{
	if (!wgl_open(app, name, size, size, profile, major, minor))
		return false;
	printf("# GL_RENDERER: %s\n", (const char *)glGetString(GL_RENDERER));
	printf("# GL_VERSION: %s\n", (const char *)glGetString(GL_VERSION));
	fflush(stdout);
	return true;
}

struct rgb read_pixel(int x, int y)
{
	uint8_t px[4] = { 0 };

	glPixelStorei(GL_PACK_ALIGNMENT, 1);
	glReadPixels(x, y, 1, 1, GL_RGBA, GL_UNSIGNED_BYTE, px);
	return (struct rgb){ px[0], px[1], px[2] };
}

static bool channel_near(uint8_t a, uint8_t b, int tolerance)
{
	return abs((int)a - (int)b) <= tolerance;
}

bool pixel_is(const char *what, struct rgb got, struct rgb want, int tolerance)
{
	if (channel_near(got.r, want.r, tolerance) && channel_near(got.g, want.g, tolerance) &&
	    channel_near(got.b, want.b, tolerance))
		return true;
	printf("# %s: got (%u, %u, %u), want (%u, %u, %u)\n", what, got.r, got.g, got.b, want.r,
	       want.g, want.b);
	return false;
}

bool pixel_at_is(int x, int y, struct rgb want)
{
	char what[32];

	snprintf(what, sizeof(what), "pixel (%d, %d)", x, y);
	return pixel_is(what, read_pixel(x, y), want, PIXEL_TOLERANCE);
}

bool gl_ok(const char *where)
{
	GLenum err = glGetError();

	if (err == GL_NO_ERROR)
		return true;
	printf("# %s: GL error 0x%04x\n", where, err);
	while (glGetError() != GL_NO_ERROR)
		;
	return false;
}

GLuint build_program(const char *vertex_src, const char *fragment_src)
{
	static const char *const attributes[] = { "position", "color", NULL };

	return wgl_build_program(vertex_src, fragment_src, attributes);
}

void draw_textured_quad(GLuint texture)
{
	glEnable(GL_TEXTURE_2D);
	glBindTexture(GL_TEXTURE_2D, texture);
	glTexEnvi(GL_TEXTURE_ENV, GL_TEXTURE_ENV_MODE, GL_REPLACE);
	glBegin(GL_QUADS);
	glTexCoord2f(0, 0);
	glVertex2f(-1, -1);
	glTexCoord2f(1, 0);
	glVertex2f(1, -1);
	glTexCoord2f(1, 1);
	glVertex2f(1, 1);
	glTexCoord2f(0, 1);
	glVertex2f(-1, 1);
	glEnd();
	glDisable(GL_TEXTURE_2D);
}
