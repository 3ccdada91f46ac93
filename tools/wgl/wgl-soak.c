/* SPDX-License-Identifier: MIT */
/*
 * wgl-soak: a Windows GL client of scripts/soak.sh, run under Wine with
 * our opengl32.dll.  A window renders soak frames (common/soak_frame.h),
 * each checked pixel by pixel and presented with SwapBuffers, for SECONDS;
 * then prints "frames N" and exits 0.  Any wrong pixel, GL error, or a
 * renderer that is not vgpu's ends it with status 1 and the reason.
 *
 *   wgl-soak SECONDS [SIZE]
 */
#include <stdio.h>
#include <stdlib.h>

#include "soak_frame.h"
#include "wgl_app.h"

#define DEFAULT_SIZE 64

static void present(void *ctx)
{
	struct wgl_app *app = ctx;

	wgl_pump(app);
	SwapBuffers(app->dc);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 0;
	int size = argc > 2 ? atoi(argv[2]) : DEFAULT_SIZE;
	struct wgl_app app;
	int status = 1;

	if (argc < 2 || argc > 3 || !(seconds > 0) || size <= 0 || size > SOAK_FRAME_MAX) {
		fprintf(stderr, "usage: wgl-soak SECONDS [SIZE (at most %d)]\n", SOAK_FRAME_MAX);
		return 2;
	}
	if (wgl_open(&app, "wgl-soak", size, size, WGL_PROFILE_LEGACY, 0, 0))
		status = soak_run("wgl-soak", size, seconds, present, &app);
	else
		fprintf(stderr, "wgl-soak: cannot open a window with a GL context\n");
	wgl_close(&app);
	return status;
}
