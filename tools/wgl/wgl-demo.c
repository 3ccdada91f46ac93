/* SPDX-License-Identifier: MIT */
/*
 * wgl-demo: a lit, spinning torus in a GL 3.3 core-profile window (GLSL
 * shaders, per-vertex normals, Phong lighting), presented with SwapBuffers.
 * Every few frames it also writes the image as a PNG.  It prints the
 * renderer, the GL version and the frame rate.  Any opengl32.dll serves it;
 * under Wine with vgpu's it runs through the whole vgpu stack.
 *
 *   wgl-demo [--frames N] [--every K] [--size PIXELS] [--out DIR]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mat4.h"
#include "png.h"
#include "torus.h"
#include "wgl_app.h"

struct demo_options {
	int frames;
	int every;
	int size;
	const char *out_dir;
};

struct scene {
	GLuint program, vao, vbo, ibo;
	GLsizei index_count;
	GLint mvp, model, normal_matrix, light_pos, eye_pos;
};

static const char *vertex_src = "#version 330 core\n"
				"layout(location = 0) in vec3 position;\n"
				"layout(location = 1) in vec3 normal;\n"
				"uniform mat4 mvp;\n"
				"uniform mat4 model;\n"
				"uniform mat3 normal_matrix;\n"
				"out vec3 v_normal;\n"
				"out vec3 v_world;\n"
				"out vec3 v_local;\n"
				"void main() {\n"
				"	v_world = (model * vec4(position, 1.0)).xyz;\n"
				"	v_normal = normal_matrix * normal;\n"
				"	v_local = position;\n"
				"	gl_Position = mvp * vec4(position, 1.0);\n"
				"}\n";

/* Phong: ambient + diffuse of a hue that runs round the ring, white highlights. */
static const char *fragment_src =
	"#version 330 core\n"
	"in vec3 v_normal;\n"
	"in vec3 v_world;\n"
	"in vec3 v_local;\n"
	"uniform vec3 light_pos;\n"
	"uniform vec3 eye_pos;\n"
	"out vec4 frag;\n"
	"void main() {\n"
	"	vec3 n = normalize(v_normal);\n"
	"	vec3 l = normalize(light_pos - v_world);\n"
	"	vec3 v = normalize(eye_pos - v_world);\n"
	"	vec3 r = reflect(-l, n);\n"
	"	float hue = atan(v_local.y, v_local.x);\n"
	"	vec3 base = 0.55 + 0.45 * cos(vec3(0.0, 2.094, 4.188) + hue);\n"
	"	float diffuse = max(dot(n, l), 0.0);\n"
	"	float specular = pow(max(dot(r, v), 0.0), 40.0);\n"
	"	frag = vec4(base * (0.12 + 0.88 * diffuse) + vec3(0.7) * specular, 1.0);\n"
	"}\n";

static const float background[3] = { 0.05f, 0.06f, 0.10f };
static const float eye[3] = { 0.0f, 0.0f, 4.0f };
static const float light[3] = { 3.0f, 4.0f, 5.0f };

static int parse_options(int argc, char **argv, struct demo_options *o)
{
	*o = (struct demo_options){ .frames = 120, .every = 15, .size = 512, .out_dir = "." };
	for (int i = 1; i < argc; i++) {
		const char *value = i + 1 < argc ? argv[i + 1] : NULL;

		if (value && strcmp(argv[i], "--frames") == 0)
			o->frames = atoi(value);
		else if (value && strcmp(argv[i], "--every") == 0)
			o->every = atoi(value);
		else if (value && strcmp(argv[i], "--size") == 0)
			o->size = atoi(value);
		else if (value && strcmp(argv[i], "--out") == 0)
			o->out_dir = value;
		else
			return -1;
		i++;
	}
	if (o->frames < 1 || o->frames > 100000 || o->every < 1 || o->size < 16 || o->size > 4096)
		return -1;
	return 0;
}

static int upload_torus(struct scene *s)
{
	GLsizei stride = TORUS_FLOATS_PER_VERTEX * sizeof(float);
	struct torus t;

	if (torus_build(&t, 1.0f, 0.42f, 96, 48) != 0)
		return -1;
	gl.GenVertexArrays(1, &s->vao);
	gl.BindVertexArray(s->vao);
	gl.GenBuffers(1, &s->vbo);
	gl.BindBuffer(GL_ARRAY_BUFFER, s->vbo);
	gl.BufferData(GL_ARRAY_BUFFER, (GLsizeiptr)(t.vertex_count * stride), t.vertices,
		      GL_STATIC_DRAW);
	gl.VertexAttribPointer(0, 3, GL_FLOAT, GL_FALSE, stride, (void *)0);
	gl.VertexAttribPointer(1, 3, GL_FLOAT, GL_FALSE, stride, (void *)(3 * sizeof(float)));
	gl.EnableVertexAttribArray(0);
	gl.EnableVertexAttribArray(1);
	gl.GenBuffers(1, &s->ibo);
	gl.BindBuffer(GL_ELEMENT_ARRAY_BUFFER, s->ibo);
	gl.BufferData(GL_ELEMENT_ARRAY_BUFFER, (GLsizeiptr)(t.index_count * sizeof(uint32_t)),
		      t.indices, GL_STATIC_DRAW);
	s->index_count = (GLsizei)t.index_count;
	torus_free(&t);
	return 0;
}

static int scene_init(struct scene *s)
{
	memset(s, 0, sizeof(*s));
	if (!gl.CreateShader || !gl.GenVertexArrays || !gl.UniformMatrix3fv) {
		fprintf(stderr, "wgl-demo: the context lacks GL 3.3 entry points\n");
		return -1;
	}
	s->program = wgl_build_program(vertex_src, fragment_src, NULL);
	if (!s->program || upload_torus(s) != 0)
		return -1;
	s->mvp = gl.GetUniformLocation(s->program, "mvp");
	s->model = gl.GetUniformLocation(s->program, "model");
	s->normal_matrix = gl.GetUniformLocation(s->program, "normal_matrix");
	s->light_pos = gl.GetUniformLocation(s->program, "light_pos");
	s->eye_pos = gl.GetUniformLocation(s->program, "eye_pos");
	glEnable(GL_DEPTH_TEST);
	glEnable(GL_CULL_FACE);
	return glGetError() == GL_NO_ERROR ? 0 : -1;
}

static void draw_frame(const struct scene *s, int frame, int size)
{
	float t = (float)frame * 0.035f;
	struct mat4 model =
		mat4_mul(mat4_rotate(t * 1.3f, 0.0f, 1.0f, 0.0f), mat4_rotate(t, 0.8f, 0.0f, 0.6f));
	struct mat4 view = mat4_translate(-eye[0], -eye[1], -eye[2]);
	struct mat4 mvp =
		mat4_mul(mat4_perspective(0.9f, 1.0f, 0.5f, 20.0f), mat4_mul(view, model));
	float normal_matrix[9];

	mat4_upper3(model, normal_matrix);
	glViewport(0, 0, size, size);
	glClearColor(background[0], background[1], background[2], 1.0f);
	glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
	gl.UseProgram(s->program);
	gl.UniformMatrix4fv(s->mvp, 1, GL_FALSE, mvp.m);
	gl.UniformMatrix4fv(s->model, 1, GL_FALSE, model.m);
	gl.UniformMatrix3fv(s->normal_matrix, 1, GL_FALSE, normal_matrix);
	gl.Uniform3f(s->light_pos, light[0], light[1], light[2]);
	gl.Uniform3f(s->eye_pos, eye[0], eye[1], eye[2]);
	gl.BindVertexArray(s->vao);
	glDrawElements(GL_TRIANGLES, s->index_count, GL_UNSIGNED_INT, (void *)0);
}

/* The back buffer, top row first, as PNG; returns the share of pixels the torus covers. */
static double save_frame(const char *dir, int frame, int size, uint8_t *rgba, uint8_t *row)
{
	size_t stride = (size_t)size * 4;
	char path[512];
	long covered = 0;

	glPixelStorei(GL_PACK_ALIGNMENT, 1);
	glReadPixels(0, 0, size, size, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
	for (int y = 0; y < size / 2; y++) {
		memcpy(row, rgba + y * stride, stride);
		memcpy(rgba + y * stride, rgba + (size - 1 - y) * stride, stride);
		memcpy(rgba + (size - 1 - y) * stride, row, stride);
	}
	for (long i = 0; i < (long)size * size; i++)
		covered += abs(rgba[4 * i] - (int)(background[0] * 255 + 0.5f)) > 8 ||
			   abs(rgba[4 * i + 2] - (int)(background[2] * 255 + 0.5f)) > 8;
	snprintf(path, sizeof(path), "%s/frame-%03d.png", dir, frame);
	if (png_write_rgba(path, rgba, (uint32_t)size, (uint32_t)size, (uint32_t)stride) != 0) {
		fprintf(stderr, "wgl-demo: cannot write %s\n", path);
		return -1;
	}
	return (double)covered / ((double)size * size);
}

static int run(const struct demo_options *o, struct wgl_app *app, const struct scene *s)
{
	uint8_t *rgba = malloc((size_t)o->size * o->size * 4), *row = malloc((size_t)o->size * 4);
	double start = wgl_seconds(), saving = 0, least = 1;
	int frame, saved = 0;

	if (!rgba || !row) {
		free(rgba);
		free(row);
		return -1;
	}
	for (frame = 0; frame < o->frames && wgl_pump(app); frame++) {
		draw_frame(s, frame, o->size);
		if (frame % o->every == 0) {
			double t0 = wgl_seconds(),
			       share = save_frame(o->out_dir, frame, o->size, rgba, row);

			saving += wgl_seconds() - t0;
			if (share < least)
				least = share;
			saved++;
		}
		SwapBuffers(app->dc);
	}
	glFinish();
	printf("frames:      %d in %.2f s: %.1f frames per second (PNG writing excluded)\n", frame,
	       wgl_seconds() - start - saving, frame / (wgl_seconds() - start - saving));
	printf("images:      %d PNG files (%dx%d) in %s\n", saved, o->size, o->size, o->out_dir);
	free(rgba);
	free(row);
	/* A frame where the torus covers almost nothing means nothing was drawn. */
	if (least < 0.05) {
		fprintf(stderr, "wgl-demo: a frame is (almost) empty: %.1f%% covered\n",
			least * 100);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct demo_options opts;
	struct wgl_app app;
	struct scene scene;
	int status = 1;

	if (parse_options(argc, argv, &opts) != 0) {
		fprintf(stderr, "usage: wgl-demo [--frames N] [--every K] [--size PIXELS] "
				"[--out DIR]\n");
		return 2;
	}
	if (wgl_open(&app, "vgpu demo: lit torus", opts.size, opts.size, WGL_PROFILE_CORE, 3, 3)) {
		printf("renderer:    %s\n", (const char *)glGetString(GL_RENDERER));
		printf("GL version:  %s\n", (const char *)glGetString(GL_VERSION));
		fflush(stdout);
		if (scene_init(&scene) == 0 && run(&opts, &app, &scene) == 0)
			status = 0;
	} else {
		fprintf(stderr, "wgl-demo: no GL 3.3 core context\n");
	}
	wgl_close(&app);
	return status;
}
