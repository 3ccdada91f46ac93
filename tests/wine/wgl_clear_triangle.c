/* SPDX-License-Identifier: MIT */
/*
 * A WGL context on a window (the legacy path every GL 1.x program takes):
 * clears, a flat and a smooth triangle in immediate mode, and the depth test.
 */
#include "gl_test.h"
#include "tap.h"

#define SIZE 64

static struct wgl_app app;
static bool opened;

static const struct rgb clear_color = { 51, 102, 153 };

static void test_context(void)
{
	opened = gl_test_open(&app, "wgl_clear_triangle", SIZE, WGL_PROFILE_LEGACY, 0, 0);
	CHECK(opened);
}

static void clear_to(struct rgb c)
{
	glClearColor(c.r / 255.0f, c.g / 255.0f, c.b / 255.0f, 1.0f);
	glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
}

static void test_clear(void)
{
	glViewport(0, 0, SIZE, SIZE);
	clear_to(clear_color);
	CHECK(pixel_at_is(0, 0, clear_color));
	CHECK(pixel_at_is(SIZE - 1, SIZE - 1, clear_color));
	CHECK(pixel_at_is(SIZE / 2, SIZE / 3, clear_color));
	clear_to((struct rgb){ 255, 255, 0 });
	CHECK(pixel_at_is(SIZE / 2, SIZE / 2, (struct rgb){ 255, 255, 0 }));
	CHECK(gl_ok("clear"));
}

/* The lower-left half of the window, below the diagonal. */
static void test_flat_triangle(void)
{
	clear_to(clear_color);
	glShadeModel(GL_FLAT);
	glBegin(GL_TRIANGLES);
	glColor3f(1.0f, 0.0f, 0.0f);
	glVertex2f(-1.0f, -1.0f);
	glVertex2f(1.0f, -1.0f);
	glVertex2f(-1.0f, 1.0f);
	glEnd();
	CHECK(pixel_at_is(4, 4, (struct rgb){ 255, 0, 0 }));
	CHECK(pixel_at_is(SIZE / 2 - 4, SIZE / 2 - 4, (struct rgb){ 255, 0, 0 }));
	CHECK(pixel_at_is(SIZE - 4, SIZE - 4, clear_color));
	CHECK(gl_ok("flat triangle"));
}

/* Red, green, blue corners: the centroid is a third of each. */
static void test_smooth_triangle(void)
{
	struct rgb got;

	clear_to(clear_color);
	glShadeModel(GL_SMOOTH);
	glBegin(GL_TRIANGLES);
	glColor3f(1.0f, 0.0f, 0.0f);
	glVertex2f(-1.0f, -1.0f);
	glColor3f(0.0f, 1.0f, 0.0f);
	glVertex2f(1.0f, -1.0f);
	glColor3f(0.0f, 0.0f, 1.0f);
	glVertex2f(-1.0f, 1.0f);
	glEnd();
	got = read_pixel(SIZE / 3, SIZE / 3);
	CHECK(pixel_is("centroid", got, (struct rgb){ 85, 85, 85 }, 12));
	got = read_pixel(1, 1);
	CHECK(pixel_is("red corner", got, (struct rgb){ 255, 0, 0 }, 12));
	CHECK(gl_ok("smooth triangle"));
}

static void quad_at_depth(float z, float r, float g, float b)
{
	glColor3f(r, g, b);
	glBegin(GL_QUADS);
	glVertex3f(-0.5f, -0.5f, z);
	glVertex3f(0.5f, -0.5f, z);
	glVertex3f(0.5f, 0.5f, z);
	glVertex3f(-0.5f, 0.5f, z);
	glEnd();
}

/* The nearer quad wins whatever the drawing order. */
static void test_depth(void)
{
	clear_to(clear_color);
	glEnable(GL_DEPTH_TEST);
	glDepthFunc(GL_LESS);
	quad_at_depth(-0.5f, 0.0f, 1.0f, 0.0f);
	quad_at_depth(0.5f, 1.0f, 0.0f, 1.0f);
	glDisable(GL_DEPTH_TEST);
	CHECK(pixel_at_is(SIZE / 2, SIZE / 2, (struct rgb){ 0, 255, 0 }));
	CHECK(pixel_at_is(2, 2, clear_color));
	CHECK(gl_ok("depth"));
}

int main(void)
{
	RUN(test_context);
	if (opened) {
		RUN(test_clear);
		RUN(test_flat_triangle);
		RUN(test_smooth_triangle);
		RUN(test_depth);
	}
	wgl_close(&app);
	return tap_done();
}
