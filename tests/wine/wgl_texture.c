/* SPDX-License-Identifier: MIT */
/*
 * Texture upload: a checkerboard through glTexImage2D drawn on a quad,
 * then changed with glTexSubImage2D, and read back with glGetTexImage.
 */
#include <string.h>

#include "gl_test.h"
#include "tap.h"

#define SIZE 64
#define TEX 4 /* texels per side; each covers SIZE / TEX pixels */

static struct wgl_app app;
static bool opened;
static GLuint texture;
static uint8_t texels[TEX * TEX * 4];

static const struct rgb dark = { 20, 40, 60 };
static const struct rgb light = { 230, 200, 170 };

static void test_context(void)
{
	opened = gl_test_open(&app, "wgl_texture", SIZE, WGL_PROFILE_LEGACY, 0, 0);
	CHECK(opened);
}

static struct rgb checker(int x, int y)
{
	return (x + y) % 2 ? light : dark;
}

static void fill_checkerboard(void)
{
	for (int y = 0; y < TEX; y++) {
		for (int x = 0; x < TEX; x++) {
			struct rgb c = checker(x, y);
			uint8_t *t = &texels[4 * (y * TEX + x)];

			t[0] = c.r;
			t[1] = c.g;
			t[2] = c.b;
			t[3] = 255;
		}
	}
}

static void clear_and_draw(void)
{
	glClearColor(0, 0, 0, 1);
	glClear(GL_COLOR_BUFFER_BIT);
	draw_textured_quad(texture);
}

/* Texel (x, y) shows at the centre of its SIZE/TEX square (row 0 at the bottom). */
static bool texel_shown(int x, int y, struct rgb want)
{
	int step = SIZE / TEX;

	return pixel_at_is(x * step + step / 2, y * step + step / 2, want);
}

static void test_upload_and_draw(void)
{
	bool all = true;

	fill_checkerboard();
	glGenTextures(1, &texture);
	glBindTexture(GL_TEXTURE_2D, texture);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
	glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
	glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, TEX, TEX, 0, GL_RGBA, GL_UNSIGNED_BYTE, texels);
	glViewport(0, 0, SIZE, SIZE);
	clear_and_draw();
	for (int y = 0; y < TEX; y++)
		for (int x = 0; x < TEX; x++)
			all = texel_shown(x, y, checker(x, y)) && all;
	CHECK(all);
	CHECK(gl_ok("upload and draw"));
}

static void test_sub_image(void)
{
	const uint8_t red[2 * 2 * 4] = { 255, 0, 0, 255, 255, 0, 0, 255,
					 255, 0, 0, 255, 255, 0, 0, 255 };

	glBindTexture(GL_TEXTURE_2D, texture);
	glTexSubImage2D(GL_TEXTURE_2D, 0, 1, 1, 2, 2, GL_RGBA, GL_UNSIGNED_BYTE, red);
	clear_and_draw();
	CHECK(texel_shown(1, 1, (struct rgb){ 255, 0, 0 }));
	CHECK(texel_shown(2, 2, (struct rgb){ 255, 0, 0 }));
	CHECK(texel_shown(0, 0, checker(0, 0)));
	CHECK(texel_shown(3, 2, checker(3, 2)));
	CHECK(gl_ok("sub image"));
}

/* The texture's contents, read back from the GPU, are the upload plus the update. */
static void test_get_tex_image(void)
{
	uint8_t back[TEX * TEX * 4];

	memset(back, 0xee, sizeof(back));
	glBindTexture(GL_TEXTURE_2D, texture);
	glPixelStorei(GL_PACK_ALIGNMENT, 1);
	glGetTexImage(GL_TEXTURE_2D, 0, GL_RGBA, GL_UNSIGNED_BYTE, back);
	for (int y = 1; y <= 2; y++)
		for (int x = 1; x <= 2; x++)
			memcpy(&texels[4 * (y * TEX + x)], (uint8_t[4]){ 255, 0, 0, 255 }, 4);
	CHECK(memcmp(back, texels, sizeof(back)) == 0);
	CHECK(gl_ok("get tex image"));
}

int main(void)
{
	RUN(test_context);
	if (opened) {
		RUN(test_upload_and_draw);
		RUN(test_sub_image);
		RUN(test_get_tex_image);
	}
	wgl_close(&app);
	return tap_done();
}
