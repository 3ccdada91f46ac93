/* SPDX-License-Identifier: MIT */
/*
 * Presenting through vgpu: a GLX window (on Xvfb) rendered by our Mesa
 * build with GALLIUM_DRIVER=vgpu.  glXSwapBuffers makes the winsys read the
 * back buffer back from the host and hand it to the X display target; the
 * checks read the window's pixels from the X server, so they see only what
 * was really presented.
 */
#include <stdio.h>
#include <string.h>

#include <GL/gl.h>
#include <GL/glx.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include "gl_env.h"
#include "sim_harness.h"
#include "tap.h"

#define SIZE 64

static Display *dpy;
static Window win;
static GLXContext ctx;
static int ready;

/* The window's pixel as 0xRRGGBB, read from the X server. */
static unsigned long window_pixel(int x, int y)
{
	XImage *img = XGetImage(dpy, win, x, y, 1, 1, AllPlanes, ZPixmap);
	unsigned long pixel;

	if (!img)
		return 0xdeadbeef;
	pixel = XGetPixel(img, 0, 0) & 0xffffff;
	XDestroyImage(img);
	return pixel;
}

static int window_pixel_is(int x, int y, unsigned long want)
{
	unsigned long got = window_pixel(x, y);

	if (got == want)
		return 1;
	printf("# window pixel (%d,%d) is %06lx, want %06lx\n", x, y, got, want);
	return 0;
}

static void test_sim_starts(void)
{
	CHECK_EQ(gl_env_start_sim(), 0);
}

static void test_window_and_context(void)
{
	int attribs[] = {
		GLX_RGBA, GLX_DOUBLEBUFFER, GLX_RED_SIZE, 8, GLX_GREEN_SIZE, 8, GLX_BLUE_SIZE, 8,
		None
	};
	XSetWindowAttributes swa = { 0 };
	XVisualInfo *vi;
	const char *renderer;

	dpy = XOpenDisplay(NULL);
	CHECK(dpy != NULL);
	if (!dpy)
		return;
	vi = glXChooseVisual(dpy, DefaultScreen(dpy), attribs);
	CHECK(vi != NULL);
	if (!vi)
		return;
	swa.colormap = XCreateColormap(dpy, RootWindow(dpy, vi->screen), vi->visual, AllocNone);
	win = XCreateWindow(dpy, RootWindow(dpy, vi->screen), 0, 0, SIZE, SIZE, 0, vi->depth,
			    InputOutput, vi->visual, CWColormap, &swa);
	XMapWindow(dpy, win);
	XSync(dpy, False);
	ctx = glXCreateContext(dpy, vi, NULL, True);
	XFree(vi);
	CHECK(ctx != NULL);
	CHECK(ctx && glXMakeCurrent(dpy, win, ctx));
	renderer = (const char *)glGetString(GL_RENDERER);
	printf("# GL_RENDERER: %s\n", renderer ? renderer : "(none)");
	CHECK(renderer && strstr(renderer, "vgpu"));
	ready = !tap_case_failed;
}

/* A red window with a green triangle in its middle. */
static void draw_frame(float r, float g, float b)
{
	glViewport(0, 0, SIZE, SIZE);
	glClearColor(r, g, b, 1.0f);
	glClear(GL_COLOR_BUFFER_BIT);
	glColor3f(0.0f, 1.0f, 0.0f);
	glBegin(GL_TRIANGLES);
	glVertex2f(-0.5f, -0.5f);
	glVertex2f(0.5f, -0.5f);
	glVertex2f(0.0f, 0.5f);
	glEnd();
	glXSwapBuffers(dpy, win);
	glFinish();
	XSync(dpy, False);
}

static void test_swap_presents(void)
{
	CHECK(ready);
	if (!ready)
		return;
	draw_frame(1.0f, 0.0f, 0.0f);
	CHECK(window_pixel_is(SIZE / 2, SIZE / 2, 0x00ff00));
	CHECK(window_pixel_is(1, 1, 0xff0000));
	CHECK(window_pixel_is(SIZE - 2, SIZE - 2, 0xff0000));
	CHECK_EQ(glGetError(), GL_NO_ERROR);
}

/* The next frame replaces the window's contents. */
static void test_next_frame_replaces(void)
{
	CHECK(ready);
	if (!ready)
		return;
	draw_frame(0.0f, 0.0f, 1.0f);
	CHECK(window_pixel_is(SIZE / 2, SIZE / 2, 0x00ff00));
	CHECK(window_pixel_is(1, 1, 0x0000ff));
}

static void test_teardown(void)
{
	CHECK(dpy != NULL);
	if (!dpy)
		return;
	glXMakeCurrent(dpy, None, NULL);
	if (ctx)
		glXDestroyContext(dpy, ctx);
	if (win)
		XDestroyWindow(dpy, win);
	XCloseDisplay(dpy);
}

static void test_sim_stops_cleanly(void)
{
	CHECK(sim_alive());
	CHECK_EQ(sim_stop(), 0);
}

int main(void)
{
	RUN(test_sim_starts);
	RUN(test_window_and_context);
	RUN(test_swap_presents);
	RUN(test_next_frame_replaces);
	RUN(test_teardown);
	RUN(test_sim_stops_cleanly);
	return tap_done();
}
