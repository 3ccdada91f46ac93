/* SPDX-License-Identifier: MIT */
/* Window, pixel format, contexts and entry points over plain WGL. */
#include "wgl_app.h"

#include <GL/wglext.h>
#include <stdio.h>
#include <string.h>

#define WINDOW_CLASS L"vgpu-wgl-app"

struct gl_funcs gl;

static LRESULT CALLBACK window_proc(HWND window, UINT msg, WPARAM wp, LPARAM lp)
{
	if (msg == WM_CLOSE) {
		DestroyWindow(window);
		return 0;
	}
	if (msg == WM_DESTROY) {
		PostQuitMessage(0);
		return 0;
	}
	return DefWindowProcW(window, msg, wp, lp);
}

static bool register_class(void)
{
	WNDCLASSW wc = {
		.style = CS_OWNDC,
		.lpfnWndProc = window_proc,
		.hInstance = GetModuleHandleW(NULL),
		.hCursor = LoadCursor(NULL, IDC_ARROW),
		.lpszClassName = WINDOW_CLASS,
	};

	return RegisterClassW(&wc) || GetLastError() == ERROR_CLASS_ALREADY_EXISTS;
}

static HWND create_window(const char *title, int width, int height)
{
	DWORD style = WS_OVERLAPPEDWINDOW | WS_CLIPCHILDREN | WS_CLIPSIBLINGS;
	RECT rect = { 0, 0, width, height };
	wchar_t wtitle[128];

	MultiByteToWideChar(CP_UTF8, 0, title, -1, wtitle, 128);
	wtitle[127] = 0;
	/* The frame grows the window so that the client area is exactly width x height. */
	AdjustWindowRect(&rect, style, FALSE);
	return CreateWindowExW(0, WINDOW_CLASS, wtitle, style, 0, 0, rect.right - rect.left,
			       rect.bottom - rect.top, NULL, NULL, GetModuleHandleW(NULL), NULL);
}

static bool set_pixel_format(HDC dc)
{
	PIXELFORMATDESCRIPTOR pfd = {
		.nSize = sizeof(pfd),
		.nVersion = 1,
		.dwFlags = PFD_DRAW_TO_WINDOW | PFD_SUPPORT_OPENGL | PFD_DOUBLEBUFFER,
		.iPixelType = PFD_TYPE_RGBA,
		.cColorBits = 32,
		.cAlphaBits = 8,
		.cDepthBits = 24,
		.cStencilBits = 8,
		.iLayerType = PFD_MAIN_PLANE,
	};
	int format = ChoosePixelFormat(dc, &pfd);

	if (!format) {
		printf("# ChoosePixelFormat found no RGBA8 + depth format (error %lu)\n",
		       GetLastError());
		return false;
	}
	if (!SetPixelFormat(dc, format, &pfd)) {
		printf("# SetPixelFormat(%d) failed (error %lu)\n", format, GetLastError());
		return false;
	}
	return true;
}

/* wglGetProcAddress may answer 1, 2, 3 or -1 instead of NULL for what it lacks. */
static void *proc_address(const char *name)
{
	void *p = (void *)wglGetProcAddress(name);
	intptr_t v = (intptr_t)p;

	return (v >= -1 && v <= 3) ? NULL : p;
}

static void load_functions(void)
{
#define WGL_APP_LOAD(type, name) gl.name = (type)proc_address("gl" #name);
	WGL_APP_GL_FUNCS(WGL_APP_LOAD)
#undef WGL_APP_LOAD
}

/* A core context made through WGL_ARB_create_context, from the current legacy one. */
static HGLRC create_core_context(HDC dc, int major, int minor)
{
	const int attribs[] = {
		WGL_CONTEXT_MAJOR_VERSION_ARB,
		major,
		WGL_CONTEXT_MINOR_VERSION_ARB,
		minor,
		WGL_CONTEXT_PROFILE_MASK_ARB,
		WGL_CONTEXT_CORE_PROFILE_BIT_ARB,
		0,
	};
	PFNWGLCREATECONTEXTATTRIBSARBPROC create =
		(PFNWGLCREATECONTEXTATTRIBSARBPROC)proc_address("wglCreateContextAttribsARB");
	HGLRC context;

	if (!create) {
		printf("# wglCreateContextAttribsARB is missing (no WGL_ARB_create_context)\n");
		return NULL;
	}
	context = create(dc, NULL, attribs);
	if (!context)
		printf("# no %d.%d core context (error %lu)\n", major, minor, GetLastError());
	return context;
}

static bool create_context(struct wgl_app *app, enum wgl_profile profile, int major, int minor)
{
	HGLRC legacy = wglCreateContext(app->dc);

	if (!legacy || !wglMakeCurrent(app->dc, legacy)) {
		printf("# wglCreateContext/wglMakeCurrent failed (error %lu)\n", GetLastError());
		if (legacy)
			wglDeleteContext(legacy);
		return false;
	}
	app->context = legacy;
	if (profile == WGL_PROFILE_LEGACY)
		return true;
	app->context = create_core_context(app->dc, major, minor);
	wglMakeCurrent(NULL, NULL);
	wglDeleteContext(legacy);
	if (!app->context)
		return false;
	if (!wglMakeCurrent(app->dc, app->context)) {
		printf("# wglMakeCurrent(core) failed (error %lu)\n", GetLastError());
		return false;
	}
	return true;
}

bool wgl_open(struct wgl_app *app, const char *title, int width, int height,
	      enum wgl_profile profile, int major, int minor)
{
	memset(app, 0, sizeof(*app));
	if (!title || width <= 0 || height <= 0)
		return false;
	app->width = width;
	app->height = height;
	if (!register_class()) {
		printf("# RegisterClass failed (error %lu)\n", GetLastError());
		return false;
	}
	app->window = create_window(title, width, height);
	if (!app->window) {
		printf("# CreateWindow failed (error %lu)\n", GetLastError());
		return false;
	}
	ShowWindow(app->window, SW_SHOWNORMAL);
	UpdateWindow(app->window);
	app->dc = GetDC(app->window);
	if (!app->dc || !set_pixel_format(app->dc) || !create_context(app, profile, major, minor))
		return false;
	load_functions();
	wgl_pump(app);
	return true;
}

void wgl_close(struct wgl_app *app)
{
	if (app->context) {
		wglMakeCurrent(NULL, NULL);
		wglDeleteContext(app->context);
	}
	if (app->dc)
		ReleaseDC(app->window, app->dc);
	if (app->window)
		DestroyWindow(app->window);
	memset(app, 0, sizeof(*app));
}

bool wgl_pump(struct wgl_app *app)
{
	MSG msg;

	while (PeekMessageW(&msg, NULL, 0, 0, PM_REMOVE)) {
		if (msg.message == WM_QUIT)
			return false;
		TranslateMessage(&msg);
		DispatchMessageW(&msg);
	}
	return IsWindow(app->window);
}

/* The window's pixels as 32-bit BGRX, top row first, into a DIB section's memory. */
static bool grab_bgrx(const struct wgl_app *app, HDC mem_dc, uint8_t **bits, HBITMAP *bitmap)
{
	BITMAPINFO bi = { .bmiHeader = {
				  .biSize = sizeof(BITMAPINFOHEADER),
				  .biWidth = app->width,
				  .biHeight = -app->height, /* negative: top-down */
				  .biPlanes = 1,
				  .biBitCount = 32,
				  .biCompression = BI_RGB,
			  } };
	HDC window_dc = GetDC(app->window);
	bool ok;

	*bitmap = CreateDIBSection(mem_dc, &bi, DIB_RGB_COLORS, (void **)bits, NULL, 0);
	if (!*bitmap || !window_dc) {
		if (window_dc)
			ReleaseDC(app->window, window_dc);
		return false;
	}
	SelectObject(mem_dc, *bitmap);
	ok = BitBlt(mem_dc, 0, 0, app->width, app->height, window_dc, 0, 0, SRCCOPY);
	GdiFlush();
	ReleaseDC(app->window, window_dc);
	return ok;
}

bool wgl_capture_window(const struct wgl_app *app, uint8_t *rgba)
{
	HDC mem_dc = CreateCompatibleDC(NULL);
	HBITMAP bitmap = NULL;
	uint8_t *bits = NULL;
	bool ok;

	if (!mem_dc || !rgba)
		return false;
	ok = grab_bgrx(app, mem_dc, &bits, &bitmap);
	for (int i = 0; ok && i < app->width * app->height; i++) {
		rgba[4 * i + 0] = bits[4 * i + 2];
		rgba[4 * i + 1] = bits[4 * i + 1];
		rgba[4 * i + 2] = bits[4 * i + 0];
		rgba[4 * i + 3] = 255;
	}
	if (bitmap)
		DeleteObject(bitmap);
	DeleteDC(mem_dc);
	return ok;
}

double wgl_seconds(void)
{
	LARGE_INTEGER now, freq;

	QueryPerformanceCounter(&now);
	QueryPerformanceFrequency(&freq);
	return (double)now.QuadPart / (double)freq.QuadPart;
}

static GLuint compile(GLenum type, const char *src)
{
	GLuint shader = gl.CreateShader(type);
	GLint ok = 0;
	char log[1024];

	gl.ShaderSource(shader, 1, &src, NULL);
	gl.CompileShader(shader);
	gl.GetShaderiv(shader, GL_COMPILE_STATUS, &ok);
	if (ok)
		return shader;
	gl.GetShaderInfoLog(shader, sizeof(log), NULL, log);
	fprintf(stderr, "wgl: a shader does not compile: %s\n", log);
	gl.DeleteShader(shader);
	return 0;
}

GLuint wgl_build_program(const char *vertex_src, const char *fragment_src,
			 const char *const *attributes)
{
	GLuint vs = compile(GL_VERTEX_SHADER, vertex_src);
	GLuint fs = compile(GL_FRAGMENT_SHADER, fragment_src);
	GLuint program = 0, i;
	GLint ok = 0;
	char log[1024];

	if (vs && fs) {
		program = gl.CreateProgram();
		gl.AttachShader(program, vs);
		gl.AttachShader(program, fs);
		for (i = 0; attributes && attributes[i]; i++)
			gl.BindAttribLocation(program, i, attributes[i]);
		gl.LinkProgram(program);
		gl.GetProgramiv(program, GL_LINK_STATUS, &ok);
		if (!ok) {
			gl.GetProgramInfoLog(program, sizeof(log), NULL, log);
			fprintf(stderr, "wgl: the program does not link: %s\n", log);
			gl.DeleteProgram(program);
			program = 0;
		}
	}
	if (vs)
		gl.DeleteShader(vs);
	if (fs)
		gl.DeleteShader(fs);
	return program;
}
