/* SPDX-License-Identifier: MIT */
#include "gl_test.h"

#include <stdio.h>
#include <stdlib.h>

bool gl_test_open(struct wgl_app *app, const char *name, int size, enum wgl_profile profile,
		  int major, int minor)
{
	if (!wgl_open(app, name, size, size, profile, major, minor))
		return false;
	printf("# GL_RENDERER: %s\n", (const char *)glGetString(GL_RENDERER));
	printf("# GL_VERSION: %s\n", (const char *)glGetString(GL_VERSION));
	fflush(stdout);
	return true;
}

struct rgb read_pixel(int x, int y)
{
	uint8_t px[4] = { 0 };

	glPixelStorei(GL_PACK_ALIGNMENT, 1);
	glReadPixels(x, y, 1, 1, GL_RGBA, GL_UNSIGNED_BYTE, px);
	return (struct rgb){ px[0], px[1], px[2] };
}

static bool channel_near(uint8_t a, uint8_t b, int tolerance)
{
	return abs((int)a - (int)b) <= tolerance;
}

bool pixel_is(const char *what, struct rgb got, struct rgb want, int tolerance)
{
	if (channel_near(got.r, want.r, tolerance) && channel_near(got.g, want.g, tolerance) &&
	    channel_near(got.b, want.b, tolerance))
		return true;
	printf("# %s: got (%u, %u, %u), want (%u, %u, %u)\n", what, got.r, got.g, got.b, want.r,
	       want.g, want.b);
	return false;
}

bool pixel_at_is(int x, int y, struct rgb want)
{
	char what[32];

	snprintf(what, sizeof(what), "pixel (%d, %d)", x, y);
	return pixel_is(what, read_pixel(x, y), want, PIXEL_TOLERANCE);
}

bool gl_ok(const char *where)
{
	GLenum err = glGetError();

	if (err == GL_NO_ERROR)
		return true;
	printf("# %s: GL error 0x%04x\n", where, err);
	while (glGetError() != GL_NO_ERROR)
		;
	return false;
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
	printf("# shader does not compile: %s\n", log);
	gl.DeleteShader(shader);
	return 0;
}

GLuint build_program(const char *vertex_src, const char *fragment_src)
{
	GLuint vs = compile(GL_VERTEX_SHADER, vertex_src);
	GLuint fs = compile(GL_FRAGMENT_SHADER, fragment_src);
	GLuint program = 0;
	GLint ok = 0;
	char log[1024];

	if (vs && fs) {
		program = gl.CreateProgram();
		gl.AttachShader(program, vs);
		gl.AttachShader(program, fs);
		gl.BindAttribLocation(program, 0, "position");
		gl.BindAttribLocation(program, 1, "color");
		gl.LinkProgram(program);
		gl.GetProgramiv(program, GL_LINK_STATUS, &ok);
		if (!ok) {
			gl.GetProgramInfoLog(program, sizeof(log), NULL, log);
			printf("# program does not link: %s\n", log);
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
