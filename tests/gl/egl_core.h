/* SPDX-License-Identifier: MIT */
/*
 * The GL tests' context: an OpenGL 4.3 core context on Mesa's surfaceless
 * EGL platform (no window system; the tests render into their own FBOs).
 */
#ifndef VGPU_TESTS_GL_EGL_CORE_H
#define VGPU_TESTS_GL_EGL_CORE_H

#include <EGL/egl.h>

struct egl_core {
	EGLDisplay display;
	EGLContext context;
};

/* Open the display and make the context current: 0, or -1 after a "# " line naming the step. */
int egl_core_open(struct egl_core *c);
/* Release what egl_core_open made: 0, or -1 (also when nothing was opened). */
int egl_core_close(struct egl_core *c);

#endif /* VGPU_TESTS_GL_EGL_CORE_H */
