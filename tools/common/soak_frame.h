/* SPDX-License-Identifier: MIT */
/*
 * One frame of the GL soak (scripts/soak.sh), the same on Linux (GLX) and
 * Windows (WGL): every frame a texture of a new size and colour is created,
 * uploaded, drawn over a background cleared to another new colour, and
 * deleted; then the whole frame is read back and every pixel checked, so
 * that a lost, stale, torn or misplaced upload, draw or readback shows.
 * Only OpenGL 1.1 (what opengl32.dll exports), so that both window systems
 * link it directly; the caller makes a context current on a drawable of
 * the given size and presents after each frame.
 */
#ifndef VGPU_SOAK_FRAME_H
#define VGPU_SOAK_FRAME_H

#include <stddef.h>

/* Bounds of the drawable's width and height (the textures are up to 32 a side). */
#define SOAK_FRAME_MIN 33
#define SOAK_FRAME_MAX 128

/*
 * Render frame number `frame` into the back buffer of a width x height
 * drawable and check it: 0, or -1 with what was wrong in `why`.
 */
int soak_frame(unsigned frame, int width, int height, char *why, size_t why_size);

/*
 * The soak client's command line, "PROGRAM SECONDS [SIZE]": 0 with the
 * run's length and the drawable's side (default_size without SIZE), or 2
 * (the exit status) after printing the usage.
 */
int soak_parse_args(const char *program, int argc, char **argv, int default_size, double *seconds,
		    int *size);

/*
 * The soak client's whole run: check that the current context's renderer is
 * vgpu's, then render, check and present (`present(ctx)`) frames for
 * `seconds`, and print "frames N".  0, or 1 after printing to stderr, as
 * "PROGRAM: reason", what ended it.
 */
int soak_run(const char *program, int size, double seconds, void (*present)(void *ctx), void *ctx);

#endif /* VGPU_SOAK_FRAME_H */
