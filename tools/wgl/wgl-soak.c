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
	struct wgl_app app;
	double seconds;
	int size, status = 1;

	if (soak_parse_args("wgl-soak", argc, argv, DEFAULT_SIZE, &seconds, &size) != 0)
		return 2;
	if (wgl_open(&app, "wgl-soak", size, size, WGL_PROFILE_LEGACY, 0, 0))
		status = soak_run("wgl-soak", size, seconds, present, &app);
	else
		fprintf(stderr, "wgl-soak: cannot open a window with a GL context\n");
	wgl_close(&app);
	return status;
}
