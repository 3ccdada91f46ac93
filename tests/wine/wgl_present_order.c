/* SPDX-License-Identifier: MIT */
/*
 * A pipelined present still shows every frame whole and in order: each
 * frame fills the window with its own number (in red and green) in bands
 * drawn one after the other, and what GDI reads from the window after each
 * SwapBuffers must be one frame throughout, never older than what was seen
 * before, and at most two frames behind (the bound the presenter promises:
 * a frame is on screen when the SwapBuffers after the next returns).  After the last
 * SwapBuffers, the last frame must show without any further GL call (an
 * idle program), and glFinish must leave the window up to date.
 */
#include <stdio.h>
#include <stdlib.h>

#include "gl_test.h"
#include "tap.h"

#define SIZE 128
#define BANDS 8
#define FRAMES 40
/* How long an idle program may wait to see its last frame. */
#define IDLE_SHOW_MS 3000

static struct wgl_app app;
static bool opened;
static uint8_t shown[SIZE * SIZE * 4];

/* Frame n's colour: n is readable from red and green alike, far apart per step. */
static struct rgb frame_colour(int n)
{
	return (struct rgb){ (uint8_t)(20 + 5 * n), (uint8_t)(230 - 5 * n), 90 };
}

static void test_context(void)
{
	opened = gl_test_open(&app, "wgl_present_order", SIZE, WGL_PROFILE_LEGACY, 0, 0);
	CHECK(opened);
}

/* Frame n, band by band (each its own clear), so a torn frame would show. */
static void draw_frame(int n)
{
	struct rgb c = frame_colour(n);

	glViewport(0, 0, SIZE, SIZE);
	glEnable(GL_SCISSOR_TEST);
	glClearColor(c.r / 255.0f, c.g / 255.0f, c.b / 255.0f, 1.0f);
	for (int band = 0; band < BANDS; band++) {
		glScissor(0, band * SIZE / BANDS, SIZE, SIZE / BANDS);
		glClear(GL_COLOR_BUFFER_BIT);
	}
	glDisable(GL_SCISSOR_TEST);
}

/* The frame the window's pixel shows, or -1 if it is no frame's colour. */
static int frame_at(int x, int y)
{
	const uint8_t *p = &shown[4 * (y * SIZE + x)];

	for (int n = 0; n < FRAMES; n++) {
		struct rgb c = frame_colour(n);

		if (abs(p[0] - c.r) <= PIXEL_TOLERANCE && abs(p[1] - c.g) <= PIXEL_TOLERANCE &&
		    abs(p[2] - c.b) <= PIXEL_TOLERANCE)
			return n;
	}
	return -1;
}

/*
 * The one frame the whole window shows: the same in every band, at both
 * edges; -1 (after saying where) if the window shows no single frame.
 */
static int whole_frame_shown(void)
{
	int first = frame_at(0, 0);

	for (int band = 0; band < BANDS; band++) {
		int y = band * SIZE / BANDS + SIZE / BANDS / 2;

		for (int x = 0; x < SIZE; x += SIZE - 1) {
			int n = frame_at(x, y);

			if (n != first || n < 0) {
				printf("# (%d, %d) shows frame %d, (0, 0) frame %d\n", x, y, n,
				       first);
				return -1;
			}
		}
	}
	return first;
}

static bool capture(void)
{
	wgl_pump(&app);
	return wgl_capture_window(&app, shown);
}

/* After SwapBuffers of frame n, the window shows frame n, n - 1 or n - 2, whole, never going back. */
static void test_frames_whole_and_in_order(void)
{
	int last_seen = -1;
	bool all = true;

	for (int n = 0; n < FRAMES && all; n++) {
		int seen;

		draw_frame(n);
		if (!SwapBuffers(app.dc) || !capture()) {
			printf("# frame %d: SwapBuffers or the capture failed\n", n);
			all = false;
			break;
		}
		seen = whole_frame_shown();
		/* before frame 0 is shown, the window may still show what it had */
		if (n <= 1 && seen < 0)
			continue;
		if (seen < last_seen || seen < n - 2 || seen > n) {
			printf("# after frame %d's SwapBuffers the window shows frame %d "
			       "(before: %d)\n",
			       n, seen, last_seen);
			all = false;
		}
		last_seen = seen;
	}
	CHECK(all);
	CHECK(gl_ok("frames"));
}

/* No more GL calls: the last frame still reaches the window. */
static void test_idle_program_sees_last_frame(void)
{
	int seen = -1;
	double until = wgl_seconds() + IDLE_SHOW_MS / 1000.0;

	draw_frame(0);
	SwapBuffers(app.dc);
	draw_frame(FRAMES - 1);
	SwapBuffers(app.dc);
	while (wgl_seconds() < until) {
		if (capture())
			seen = whole_frame_shown();
		if (seen == FRAMES - 1)
			break;
		Sleep(5);
	}
	if (seen != FRAMES - 1)
		printf("# the window shows frame %d, not the last one\n", seen);
	CHECK(seen == FRAMES - 1);
}

static void test_finish_shows_last_frame(void)
{
	draw_frame(7);
	SwapBuffers(app.dc);
	draw_frame(11);
	SwapBuffers(app.dc);
	glFinish();
	CHECK(capture());
	CHECK(whole_frame_shown() == 11);
}

int main(void)
{
	RUN(test_context);
	if (opened) {
		RUN(test_frames_whole_and_in_order);
		RUN(test_idle_program_sees_last_frame);
		RUN(test_finish_shows_last_frame);
		/* ends with a frame still queued: closing must drain it */
		draw_frame(3);
		SwapBuffers(app.dc);
	}
	wgl_close(&app);
	return tap_done();
}
