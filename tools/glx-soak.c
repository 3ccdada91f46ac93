/* SPDX-License-Identifier: MIT */
/*
 * vgpu-glx-soak: a Linux GL client of scripts/soak.sh.  A GLX window drawn
 * by our Mesa (GALLIUM_DRIVER=vgpu, under scripts/with-our-mesa.sh, on the
 * sim VGPU_SOCKET names) renders soak frames (common/soak_frame.h), each
 * checked pixel by pixel and presented with glXSwapBuffers, for SECONDS;
 * then prints "frames N" and exits 0.  Any wrong pixel, GL error, or a
 * renderer that is not vgpu's ends it with status 1 and the reason.
 *
 *   vgpu-glx-soak SECONDS [SIZE]
 */
#include <GL/gl.h>
#include <GL/glx.h>
#include <X11/Xlib.h>
#include <stdio.h>

#include "soak_frame.h"

#define DEFAULT_SIZE 64

struct window {
	Display *dpy;
	Window win;
};

static void present(void *ctx)
{
	struct window *w = ctx;

	glXSwapBuffers(w->dpy, w->win);
}

static int fail(const char *what)
{
	fprintf(stderr, "vgpu-glx-soak: %s\n", what);
	return 1;
}

int main(int argc, char **argv)
{
	int attribs[] = {
		GLX_RGBA, GLX_DOUBLEBUFFER, GLX_RED_SIZE, 8, GLX_GREEN_SIZE, 8, GLX_BLUE_SIZE, 8,
		None
	};
	XSetWindowAttributes swa = { 0 };
	struct window w;
	XVisualInfo *vi;
	GLXContext ctx;
	double seconds;
	int size, status;

	if (soak_parse_args("vgpu-glx-soak", argc, argv, DEFAULT_SIZE, &seconds, &size) != 0)
		return 2;
	w.dpy = XOpenDisplay(NULL);
	if (!w.dpy)
		return fail("cannot open the X display");
	vi = glXChooseVisual(w.dpy, DefaultScreen(w.dpy), attribs);
	if (!vi)
		return fail("no double-buffered RGBA8 visual");
	swa.colormap = XCreateColormap(w.dpy, RootWindow(w.dpy, vi->screen), vi->visual, AllocNone);
	w.win = XCreateWindow(w.dpy, RootWindow(w.dpy, vi->screen), 0, 0, (unsigned)size,
			      (unsigned)size, 0, vi->depth, InputOutput, vi->visual, CWColormap,
			      &swa);
	XMapWindow(w.dpy, w.win);
	ctx = glXCreateContext(w.dpy, vi, NULL, True);
	if (!ctx || !glXMakeCurrent(w.dpy, w.win, ctx))
		status = fail("cannot make a GLX context current");
	else
		status = soak_run("vgpu-glx-soak", size, seconds, present, &w);
	glXMakeCurrent(w.dpy, None, NULL);
	if (ctx)
		glXDestroyContext(w.dpy, ctx);
	XDestroyWindow(w.dpy, w.win);
	XFreeColormap(w.dpy, swa.colormap);
	XFree(vi);
	XCloseDisplay(w.dpy);
	return status;
}
