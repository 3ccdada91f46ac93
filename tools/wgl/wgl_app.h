/* SPDX-License-Identifier: MIT */
/*
 * A window with an OpenGL context for Windows programs, over nothing but
 * opengl32.dll and WGL: whichever opengl32 the process loads (ours, the
 * system's, Wine's) serves it.  GL 1.1 comes from opengl32's exports; every
 * later entry point is loaded through wglGetProcAddress into `gl`.
 */
#ifndef VGPU_WGL_APP_H
#define VGPU_WGL_APP_H

#include <windows.h>
#include <GL/gl.h>
#include <GL/glext.h>
#include <stdbool.h>
#include <stdint.h>

/* The entry points past GL 1.1 that our programs use: X(type, name without "gl"). */
#define WGL_APP_GL_FUNCS(X)                                                                        \
	X(PFNGLGENBUFFERSPROC, GenBuffers)                                                         \
	X(PFNGLDELETEBUFFERSPROC, DeleteBuffers)                                                   \
	X(PFNGLBINDBUFFERPROC, BindBuffer)                                                         \
	X(PFNGLBUFFERDATAPROC, BufferData)                                                         \
	X(PFNGLGENVERTEXARRAYSPROC, GenVertexArrays)                                               \
	X(PFNGLDELETEVERTEXARRAYSPROC, DeleteVertexArrays)                                         \
	X(PFNGLBINDVERTEXARRAYPROC, BindVertexArray)                                               \
	X(PFNGLVERTEXATTRIBPOINTERPROC, VertexAttribPointer)                                       \
	X(PFNGLENABLEVERTEXATTRIBARRAYPROC, EnableVertexAttribArray)                               \
	X(PFNGLCREATESHADERPROC, CreateShader)                                                     \
	X(PFNGLDELETESHADERPROC, DeleteShader)                                                     \
	X(PFNGLSHADERSOURCEPROC, ShaderSource)                                                     \
	X(PFNGLCOMPILESHADERPROC, CompileShader)                                                   \
	X(PFNGLGETSHADERIVPROC, GetShaderiv)                                                       \
	X(PFNGLGETSHADERINFOLOGPROC, GetShaderInfoLog)                                             \
	X(PFNGLCREATEPROGRAMPROC, CreateProgram)                                                   \
	X(PFNGLDELETEPROGRAMPROC, DeleteProgram)                                                   \
	X(PFNGLATTACHSHADERPROC, AttachShader)                                                     \
	X(PFNGLBINDATTRIBLOCATIONPROC, BindAttribLocation)                                         \
	X(PFNGLLINKPROGRAMPROC, LinkProgram)                                                       \
	X(PFNGLGETPROGRAMIVPROC, GetProgramiv)                                                     \
	X(PFNGLGETPROGRAMINFOLOGPROC, GetProgramInfoLog)                                           \
	X(PFNGLUSEPROGRAMPROC, UseProgram)                                                         \
	X(PFNGLGETUNIFORMLOCATIONPROC, GetUniformLocation)                                         \
	X(PFNGLUNIFORM4FPROC, Uniform4f)                                                           \
	X(PFNGLUNIFORM1IPROC, Uniform1i)                                                           \
	X(PFNGLUNIFORMMATRIX4FVPROC, UniformMatrix4fv)                                             \
	X(PFNGLUNIFORMMATRIX3FVPROC, UniformMatrix3fv)                                             \
	X(PFNGLUNIFORM3FPROC, Uniform3f)                                                           \
	X(PFNGLACTIVETEXTUREPROC, ActiveTexture)                                                   \
	X(PFNGLGENFRAMEBUFFERSPROC, GenFramebuffers)                                               \
	X(PFNGLDELETEFRAMEBUFFERSPROC, DeleteFramebuffers)                                         \
	X(PFNGLBINDFRAMEBUFFERPROC, BindFramebuffer)                                               \
	X(PFNGLFRAMEBUFFERTEXTURE2DPROC, FramebufferTexture2D)                                     \
	X(PFNGLFRAMEBUFFERRENDERBUFFERPROC, FramebufferRenderbuffer)                               \
	X(PFNGLCHECKFRAMEBUFFERSTATUSPROC, CheckFramebufferStatus)                                 \
	X(PFNGLGENRENDERBUFFERSPROC, GenRenderbuffers)                                             \
	X(PFNGLDELETERENDERBUFFERSPROC, DeleteRenderbuffers)                                       \
	X(PFNGLBINDRENDERBUFFERPROC, BindRenderbuffer)                                             \
	X(PFNGLRENDERBUFFERSTORAGEPROC, RenderbufferStorage)                                       \
	X(PFNGLBLITFRAMEBUFFERPROC, BlitFramebuffer)                                               \
	X(PFNGLGETSTRINGIPROC, GetStringi)                                                         \
	X(PFNGLBUFFERSTORAGEPROC, BufferStorage)                                                   \
	X(PFNGLMAPBUFFERRANGEPROC, MapBufferRange)                                                 \
	X(PFNGLUNMAPBUFFERPROC, UnmapBuffer)                                                       \
	X(PFNGLCOPYBUFFERSUBDATAPROC, CopyBufferSubData)                                           \
	X(PFNGLFENCESYNCPROC, FenceSync)                                                           \
	X(PFNGLCLIENTWAITSYNCPROC, ClientWaitSync)                                                 \
	X(PFNGLDELETESYNCPROC, DeleteSync)

struct gl_funcs {
#define WGL_APP_FIELD(type, name) type name;
	WGL_APP_GL_FUNCS(WGL_APP_FIELD)
#undef WGL_APP_FIELD
};

/* Loaded by wgl_open; an entry point the context lacks stays NULL. */
extern struct gl_funcs gl;

enum wgl_profile {
	WGL_PROFILE_LEGACY, /* wglCreateContext: the highest compatibility version */
	WGL_PROFILE_CORE,   /* WGL_ARB_create_context: core profile of the asked version */
};

struct wgl_app {
	HWND window;
	HDC dc;
	HGLRC context;
	int width, height; /* of the client area */
};

/*
 * Show a window whose client area is width x height, with a double-buffered
 * RGBA8 + depth24 pixel format and a current context of the given profile
 * (major.minor asked for core).  On failure prints why (a "# " line) and
 * returns false; wgl_close cleans up either way.
 */
bool wgl_open(struct wgl_app *app, const char *title, int width, int height,
	      enum wgl_profile profile, int major, int minor);
void wgl_close(struct wgl_app *app);

/* Handle pending window messages; false once the window was closed. */
bool wgl_pump(struct wgl_app *app);

/*
 * What the window shows, read back through GDI (BitBlt from the window's
 * DC): `rgba` gets width * height * 4 bytes, top row first.
 */
bool wgl_capture_window(const struct wgl_app *app, uint8_t *rgba);

/*
 * Compile and link a vertex + fragment shader pair, binding the named
 * attributes (NULL-terminated, may be NULL) to locations 0, 1, ...; 0 on
 * failure, with the compiler's or linker's log on stderr.
 */
GLuint wgl_build_program(const char *vertex_src, const char *fragment_src,
			 const char *const *attributes);

/* Seconds from an arbitrary start, for frame timing. */
double wgl_seconds(void);

#endif /* VGPU_WGL_APP_H */
