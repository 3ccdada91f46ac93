/* SPDX-License-Identifier: MIT */
/*
 * wgl-bench: frames per second of a window, for scripts/bench-wgl.sh, which
 * runs it through vgpu's opengl32.dll and through Wine's own.  Two scenes:
 *   tiny - one small spinning triangle: the frame costs what the path costs
 *          per frame (calls, round trips, waits), not pixels;
 *   fill - three blended quads over the whole window: the frame costs what
 *          the pixels cost (shading, reading back, copying, showing).
 * After a few frames of warm-up it presents for --seconds and prints
 *   fps: F (N frames in S s)
 *
 *   wgl-bench [--scene tiny|fill] [--width W] [--height H] [--seconds S]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wgl_app.h"

#define WARM_UP_FRAMES 10

struct bench_options {
	bool fill;
	int width, height;
	double seconds;
};

struct scene {
	GLuint program, vao, vbo;
	GLint xform, color;
	int layers;    /* quads (fill) or triangles (tiny) per frame */
	GLsizei count; /* vertices per layer */
};

static const char *vertex_src =
	"#version 330 core\n"
	"layout(location = 0) in vec2 position;\n"
	"uniform vec4 xform; /* cos, sin, scale, aspect */\n"
	"void main() {\n"
	"	vec2 p = position * xform.z;\n"
	"	p = vec2(p.x * xform.x - p.y * xform.y, p.x * xform.y + p.y * xform.x);\n"
	"	gl_Position = vec4(p.x / xform.w, p.y, 0.0, 1.0);\n"
	"}\n";

/* A pattern that moves with the angle, so that no two frames are alike. */
static const char *fragment_src =
	"#version 330 core\n"
	"uniform vec4 color;\n"
	"out vec4 frag;\n"
	"void main() {\n"
	"	float w = 0.6 + 0.4 * sin(gl_FragCoord.x * 0.05 + color.a * 7.0);\n"
	"	frag = vec4(color.rgb * w, 0.45);\n"
	"}\n";

/* A triangle, and a square whose turned copies still cover the whole window. */
static const float triangle[] = { 0.0f, 0.6f, -0.52f, -0.3f, 0.52f, -0.3f };
static const float square[] = { -1.0f, -1.0f, 1.0f, -1.0f, -1.0f, 1.0f, 1.0f, 1.0f };

static int parse_options(int argc, char **argv, struct bench_options *o)
{
	*o = (struct bench_options){ .fill = false, .width = 300, .height = 300, .seconds = 5 };
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *value = argv[i + 1];

		if (strcmp(argv[i], "--scene") == 0 && strcmp(value, "fill") == 0)
			o->fill = true;
		else if (strcmp(argv[i], "--scene") == 0 && strcmp(value, "tiny") == 0)
			o->fill = false;
		else if (strcmp(argv[i], "--width") == 0)
			o->width = atoi(value);
		else if (strcmp(argv[i], "--height") == 0)
			o->height = atoi(value);
		else if (strcmp(argv[i], "--seconds") == 0)
			o->seconds = atof(value);
		else
			return -1;
	}
	if (argc % 2 == 0 || o->width < 16 || o->width > 4096 || o->height < 16 ||
	    o->height > 4096 || !(o->seconds > 0 && o->seconds <= 600))
		return -1;
	return 0;
}

static int scene_init(struct scene *s, bool fill)
{
	const float *vertices = fill ? square : triangle;
	GLsizeiptr size = fill ? sizeof(square) : sizeof(triangle);

	memset(s, 0, sizeof(*s));
	if (!gl.CreateShader || !gl.GenVertexArrays) {
		fprintf(stderr, "wgl-bench: the context lacks GL 3.3 entry points\n");
		return -1;
	}
	s->program = wgl_build_program(vertex_src, fragment_src, NULL);
	if (!s->program)
		return -1;
	s->xform = gl.GetUniformLocation(s->program, "xform");
	s->color = gl.GetUniformLocation(s->program, "color");
	s->layers = fill ? 3 : 1;
	s->count = fill ? 4 : 3;
	gl.GenVertexArrays(1, &s->vao);
	gl.BindVertexArray(s->vao);
	gl.GenBuffers(1, &s->vbo);
	gl.BindBuffer(GL_ARRAY_BUFFER, s->vbo);
	gl.BufferData(GL_ARRAY_BUFFER, size, vertices, GL_STATIC_DRAW);
	gl.VertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 2 * sizeof(float), (void *)0);
	gl.EnableVertexAttribArray(0);
	if (fill) {
		glEnable(GL_BLEND);
		glBlendFunc(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA);
	}
	return glGetError() == GL_NO_ERROR ? 0 : -1;
}

static void draw_frame(const struct scene *s, const struct bench_options *o, int frame)
{
	float aspect = (float)o->width / (float)o->height;
	/* the fill scene's square, at 1.5, covers the window at any angle */
	float scale = s->layers > 1 ? 1.5f * (aspect > 1 ? aspect : 1) : 0.5f;

	glViewport(0, 0, o->width, o->height);
	glClearColor(0.05f, 0.06f, 0.10f, 1.0f);
	glClear(GL_COLOR_BUFFER_BIT);
	gl.UseProgram(s->program);
	gl.BindVertexArray(s->vao);
	for (int layer = 0; layer < s->layers; layer++) {
		float angle = (float)frame * 0.03f + (float)layer * 0.7f;

		gl.Uniform4f(s->xform, cosf(angle), sinf(angle), scale, aspect);
		gl.Uniform4f(s->color, 0.3f + 0.3f * (float)layer, 0.8f - 0.2f * (float)layer, 0.6f,
			     angle);
		glDrawArrays(s->layers > 1 ? GL_TRIANGLE_STRIP : GL_TRIANGLES, 0, s->count);
	}
}

static int run(const struct bench_options *o, struct wgl_app *app, const struct scene *s)
{
	double start = 0, elapsed = 0;
	int frame, timed = 0;

	for (frame = 0; wgl_pump(app); frame++) {
		if (frame == WARM_UP_FRAMES)
			start = wgl_seconds();
		draw_frame(s, o, frame);
		SwapBuffers(app->dc);
		if (frame < WARM_UP_FRAMES)
			continue;
		timed++;
		elapsed = wgl_seconds() - start;
		if (elapsed >= o->seconds)
			break;
	}
	glFinish();
	if (!timed || glGetError() != GL_NO_ERROR) {
		fprintf(stderr, "wgl-bench: the window closed or GL failed\n");
		return -1;
	}
	printf("fps: %.1f (%d frames in %.2f s)\n", timed / elapsed, timed, elapsed);
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_options opts;
	struct wgl_app app;
	struct scene scene;
	int status = 1;

	if (parse_options(argc, argv, &opts) != 0) {
		fprintf(stderr, "usage: wgl-bench [--scene tiny|fill] [--width W] [--height H] "
				"[--seconds S]\n");
		return 2;
	}
	if (wgl_open(&app, "vgpu bench", opts.width, opts.height, WGL_PROFILE_CORE, 3, 3)) {
		printf("renderer: %s\n", (const char *)glGetString(GL_RENDERER));
		fflush(stdout);
		if (scene_init(&scene, opts.fill) == 0 && run(&opts, &app, &scene) == 0)
			status = 0;
	} else {
		fprintf(stderr, "wgl-bench: no GL 3.3 core context\n");
	}
	wgl_close(&app);
	return status;
}
