/* SPDX-License-Identifier: MIT */
#include "egl_core.h"

#include <stdio.h>

#include <EGL/eglext.h>

static int failed(const char *step)
{
	printf("# %s failed (EGL error 0x%x)\n", step, (unsigned)eglGetError());
	return -1;
}

int egl_core_open(struct egl_core *c)
{
	static const EGLint ctx_attribs[] = {
		EGL_CONTEXT_MAJOR_VERSION,
		4,
		EGL_CONTEXT_MINOR_VERSION,
		3,
		EGL_CONTEXT_OPENGL_PROFILE_MASK,
		EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
		EGL_NONE,
	};
	PFNEGLGETPLATFORMDISPLAYEXTPROC get_display =
		(PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");

	c->display = EGL_NO_DISPLAY;
	c->context = EGL_NO_CONTEXT;
	if (!get_display)
		return failed("eglGetProcAddress(eglGetPlatformDisplayEXT)");
	c->display = get_display(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL);
	if (c->display == EGL_NO_DISPLAY)
		return failed("eglGetPlatformDisplayEXT(surfaceless)");
	if (!eglInitialize(c->display, NULL, NULL))
		return failed("eglInitialize");
	if (!eglBindAPI(EGL_OPENGL_API))
		return failed("eglBindAPI");
	c->context = eglCreateContext(c->display, EGL_NO_CONFIG_KHR, EGL_NO_CONTEXT, ctx_attribs);
	if (c->context == EGL_NO_CONTEXT)
		return failed("eglCreateContext(4.3 core)");
	if (!eglMakeCurrent(c->display, EGL_NO_SURFACE, EGL_NO_SURFACE, c->context))
		return failed("eglMakeCurrent");
	return 0;
}

int egl_core_close(struct egl_core *c)
{
	int ret = 0;

	if (c->display == EGL_NO_DISPLAY)
		return -1;
	if (!eglMakeCurrent(c->display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT))
		ret = failed("eglMakeCurrent(none)");
	if (c->context != EGL_NO_CONTEXT && !eglDestroyContext(c->display, c->context))
		ret = failed("eglDestroyContext");
	if (!eglTerminate(c->display))
		ret = failed("eglTerminate");
	c->display = EGL_NO_DISPLAY;
	c->context = EGL_NO_CONTEXT;
	return ret;
}
