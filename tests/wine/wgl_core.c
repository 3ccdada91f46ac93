/* SPDX-License-Identifier: MIT */
/*
 * A GL 3.3 core-profile context (WGL_ARB_create_context): GLSL shaders,
 * a vertex array with buffers, indexed draws and uniforms.
 */
#include <stdio.h>
#include <string.h>

#include "gl_test.h"
#include "tap.h"

#define SIZE 64

static struct wgl_app app;
static bool opened;
static GLuint program, vao, vbo, ibo;

static const char *vertex_src =
	"#version 330 core\n"
	"in vec2 position;\n"
	"in vec3 color;\n"
	"out vec3 v_color;\n"
	"uniform vec4 offset_scale;\n"
	"void main() {\n"
	"	v_color = color;\n"
	"	gl_Position = vec4(position * offset_scale.zw + offset_scale.xy, 0.0, 1.0);\n"
	"}\n";

static const char *fragment_src = "#version 330 core\n"
				  "in vec3 v_color;\n"
				  "out vec4 frag;\n"
				  "uniform vec4 tint;\n"
				  "void main() { frag = vec4(v_color, 1.0) * tint; }\n";

/* A quad as two indexed triangles: position, then colour, per vertex. */
static const float vertices[] = {
	-1, -1, 1, 0, 0, 1, -1, 0, 1, 0, 1, 1, 0, 0, 1, -1, 1, 1, 1, 1,
};
static const GLushort indices[] = { 0, 1, 2, 0, 2, 3 };

static void test_context(void)
{
	GLint major = 0, minor = 0, mask = 0;

	opened = gl_test_open(&app, "wgl_core", SIZE, WGL_PROFILE_CORE, 3, 3);
	CHECK(opened);
	if (!opened)
		return;
	glGetIntegerv(GL_MAJOR_VERSION, &major);
	glGetIntegerv(GL_MINOR_VERSION, &minor);
	glGetIntegerv(GL_CONTEXT_PROFILE_MASK, &mask);
	printf("# core context: %d.%d, GLSL %s\n", major, minor,
	       (const char *)glGetString(GL_SHADING_LANGUAGE_VERSION));
	CHECK(major * 10 + minor >= 33);
	CHECK(mask & GL_CONTEXT_CORE_PROFILE_BIT);
	CHECK(gl.GenVertexArrays && gl.CreateShader && gl.GetStringi);
	opened = gl.GenVertexArrays && gl.CreateShader && gl.GetStringi;
}

static void test_program(void)
{
	program = build_program(vertex_src, fragment_src);
	CHECK(program != 0);
	CHECK(gl_ok("program"));
}

static void test_buffers(void)
{
	gl.GenVertexArrays(1, &vao);
	gl.BindVertexArray(vao);
	gl.GenBuffers(1, &vbo);
	gl.BindBuffer(GL_ARRAY_BUFFER, vbo);
	gl.BufferData(GL_ARRAY_BUFFER, sizeof(vertices), vertices, GL_STATIC_DRAW);
	gl.VertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 5 * sizeof(float), (void *)0);
	gl.VertexAttribPointer(1, 3, GL_FLOAT, GL_FALSE, 5 * sizeof(float),
			       (void *)(2 * sizeof(float)));
	gl.EnableVertexAttribArray(0);
	gl.EnableVertexAttribArray(1);
	gl.GenBuffers(1, &ibo);
	gl.BindBuffer(GL_ELEMENT_ARRAY_BUFFER, ibo);
	gl.BufferData(GL_ELEMENT_ARRAY_BUFFER, sizeof(indices), indices, GL_STATIC_DRAW);
	CHECK(gl_ok("buffers"));
}

static void draw(float x, float y, float scale, float tint)
{
	gl.UseProgram(program);
	gl.Uniform4f(gl.GetUniformLocation(program, "offset_scale"), x, y, scale, scale);
	gl.Uniform4f(gl.GetUniformLocation(program, "tint"), tint, tint, tint, 1);
	gl.BindVertexArray(vao);
	glDrawElements(GL_TRIANGLES, 6, GL_UNSIGNED_SHORT, (void *)0);
}

/* Corners keep their colours; the centre is the mean of the diagonal's ends. */
static void test_draw_interpolates(void)
{
	glViewport(0, 0, SIZE, SIZE);
	glClearColor(0, 0, 0, 1);
	glClear(GL_COLOR_BUFFER_BIT);
	draw(0, 0, 1, 1);
	CHECK(pixel_is("bottom left", read_pixel(0, 0), (struct rgb){ 255, 0, 0 }, 12));
	CHECK(pixel_is("bottom right", read_pixel(SIZE - 1, 0), (struct rgb){ 0, 255, 0 }, 12));
	CHECK(pixel_is("top right", read_pixel(SIZE - 1, SIZE - 1), (struct rgb){ 0, 0, 255 }, 12));
	CHECK(pixel_is("top left", read_pixel(0, SIZE - 1), (struct rgb){ 255, 255, 255 }, 12));
	CHECK(pixel_is("centre", read_pixel(SIZE / 2, SIZE / 2), (struct rgb){ 128, 0, 128 }, 12));
	CHECK(gl_ok("draw"));
}

/* Uniforms move, shrink and dim the quad (whose centre is half red, half blue). */
static void test_uniforms(void)
{
	glClearColor(0, 0, 0, 1);
	glClear(GL_COLOR_BUFFER_BIT);
	draw(0.5f, 0.5f, 0.25f, 0.5f);
	CHECK(pixel_is("centre of the small quad", read_pixel(SIZE * 3 / 4, SIZE * 3 / 4),
		       (struct rgb){ 64, 0, 64 }, 12));
	CHECK(pixel_at_is(SIZE / 4, SIZE / 4, (struct rgb){ 0, 0, 0 }));
	CHECK(gl_ok("uniforms"));
}

/* Core profiles list extensions one by one; the list is not empty. */
static void test_extensions(void)
{
	GLint count = 0;

	glGetIntegerv(GL_NUM_EXTENSIONS, &count);
	printf("# %d extensions\n", count);
	CHECK(count > 10);
	CHECK(count > 0 && gl.GetStringi(GL_EXTENSIONS, 0) != NULL);
	CHECK(gl_ok("extensions"));
}

int main(void)
{
	RUN(test_context);
	if (opened) {
		RUN(test_program);
		RUN(test_buffers);
		RUN(test_draw_interpolates);
		RUN(test_uniforms);
		RUN(test_extensions);
	}
	wgl_close(&app);
	return tap_done();
}
