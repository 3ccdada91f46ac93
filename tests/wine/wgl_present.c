/* SPDX-License-Identifier: MIT */
/*
 * SwapBuffers presents to the window: what GDI reads from the window
 * afterwards is what was drawn, right way up, frame after frame.
 */
#include <stdio.h>
#include <stdlib.h>

#include "gl_test.h"
#include "tap.h"

#define SIZE 64
#define FRAMES 10

static struct wgl_app app;
static bool opened;
static uint8_t shown[SIZE * SIZE * 4];

static const struct rgb top = { 0, 200, 0 };
static const struct rgb bottom = { 200, 0, 100 };

static void test_context(void)
{
	opened = gl_test_open(&app, "wgl_present", SIZE, WGL_PROFILE_LEGACY, 0, 0);
	CHECK(opened);
}

static void clear_rect(int y, int height, struct rgb c)
{
	glEnable(GL_SCISSOR_TEST);
	glScissor(0, y, SIZE, height);
	glClearColor(c.r / 255.0f, c.g / 255.0f, c.b / 255.0f, 1.0f);
	glClear(GL_COLOR_BUFFER_BIT);
	glDisable(GL_SCISSOR_TEST);
}

/* The window's pixel at (x, y), counted from the top left as GDI does. */
static struct rgb shown_at(int x, int y)
{
	const uint8_t *p = &shown[4 * (y * SIZE + x)];

	return (struct rgb){ p[0], p[1], p[2] };
}

static bool present_and_capture(void)
{
	if (!SwapBuffers(app.dc)) {
		printf("# SwapBuffers failed (error %lu)\n", GetLastError());
		return false;
	}
	glFinish();
	wgl_pump(&app);
	return wgl_capture_window(&app, shown);
}

/* GL's upper half (y >= SIZE/2) is the window's top half. */
static void test_swap_shows_frame(void)
{
	glViewport(0, 0, SIZE, SIZE);
	clear_rect(SIZE / 2, SIZE / 2, top);
	clear_rect(0, SIZE / 2, bottom);
	CHECK(present_and_capture());
	CHECK(pixel_is("window top", shown_at(SIZE / 2, 4), top, PIXEL_TOLERANCE));
	CHECK(pixel_is("window bottom", shown_at(SIZE / 2, SIZE - 4), bottom, PIXEL_TOLERANCE));
	CHECK(pixel_is("window top left", shown_at(0, 0), top, PIXEL_TOLERANCE));
	CHECK(pixel_is("window bottom right", shown_at(SIZE - 1, SIZE - 1), bottom,
		       PIXEL_TOLERANCE));
}

/* Each frame a different grey: the window follows, not a stale buffer. */
static void test_frames_follow(void)
{
	bool all = true;

	for (int i = 0; i < FRAMES; i++) {
		uint8_t v = (uint8_t)(20 * i + 10);
		struct rgb grey = { v, v, v };

		clear_rect(0, SIZE, grey);
		all = present_and_capture() && all;
		all = pixel_is("frame", shown_at(SIZE / 3, SIZE / 3), grey, PIXEL_TOLERANCE) && all;
	}
	CHECK(all);
	CHECK(gl_ok("frames"));
}

int main(void)
{
	RUN(test_context);
	if (opened) {
		RUN(test_swap_shows_frame);
		RUN(test_frames_follow);
	}
	wgl_close(&app);
	return tap_done();
}
