/* SPDX-License-Identifier: MIT */
/*
 * GL_ARB_buffer_storage from a Windows program: buffers mapped once,
 * persistent and coherent, carry vertices to the GPU frame after frame with
 * no upload call, and bring the GPU's copies back.  Through our opengl32.dll
 * such buffers are HOST3D blobs in the device's host-visible memory, which
 * libvgpu maps as views of the region's file; only the device model has that
 * memory here.  $VGPU_SIM_DEVICE (which also chose the sim's device) says
 * what to expect: model or model-mvisor, the extension is offered and works;
 * anything else (QEMU's device, no blobs), it is not offered at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>
#include <psapi.h>

#include "gl_test.h"
#include "tap.h"

#define SIZE 64
#define FRAMES 60
#define SLOTS 2            /* frames in flight, each with its own part of the buffer */
#define SQUARE 12          /* side of the moving square, pixels */
#define VERTS_PER_SQUARE 6 /* two triangles */
#define FLOATS_PER_VERT 5  /* vec2 position, vec3 colour */
#define SLOT_FLOATS (VERTS_PER_SQUARE * FLOATS_PER_VERT)
#define COPY_WORDS 4096 /* 16 KiB: several pages of a blob */
#define COPY_ROUNDS 16
#define WAIT_NS 5000000000ull

static struct wgl_app app;
static bool opened;
static bool offered;

static const struct rgb background = { 20, 20, 40 };

static const char *vertex_src =
	"#version 330 core\n"
	"in vec2 position;\n"
	"in vec3 color;\n"
	"out vec3 v_color;\n"
	"void main() { v_color = color; gl_Position = vec4(position, 0.0, 1.0); }\n";

static const char *fragment_src = "#version 330 core\n"
				  "in vec3 v_color;\n"
				  "out vec4 frag;\n"
				  "void main() { frag = vec4(v_color, 1.0); }\n";

static bool blobs_expected(void)
{
	const char *device = getenv("VGPU_SIM_DEVICE");

	return device && (!strcmp(device, "model") || !strcmp(device, "model-mvisor"));
}

/* wgl_app loads what the context has; buffer storage needs all of these. */
static bool storage_functions_loaded(void)
{
	return gl.BufferStorage && gl.MapBufferRange && gl.UnmapBuffer && gl.CopyBufferSubData &&
	       gl.FenceSync && gl.ClientWaitSync && gl.DeleteSync;
}

static bool extension_offered(const char *name)
{
	GLint count = 0;

	glGetIntegerv(GL_NUM_EXTENSIONS, &count);
	for (GLint i = 0; i < count; i++) {
		const char *ext = (const char *)gl.GetStringi(GL_EXTENSIONS, (GLuint)i);

		if (ext && !strcmp(ext, name))
			return true;
	}
	return false;
}

static void test_context(void)
{
	opened = gl_test_open(&app, "wgl_buffer_storage", SIZE, WGL_PROFILE_CORE, 3, 3);
	CHECK(opened);
	if (!opened)
		return;
	printf("# GL_VENDOR: %s\n", (const char *)glGetString(GL_VENDOR));
	CHECK(gl.GetStringi && gl.GenVertexArrays && gl.CreateShader);
	opened = gl.GetStringi && gl.GenVertexArrays && gl.CreateShader;
}

/* Offered where the device has blobs with host-visible memory, and only there. */
static void test_offered_exactly_with_blobs(void)
{
	const char *device = getenv("VGPU_SIM_DEVICE");

	offered = extension_offered("GL_ARB_buffer_storage");
	printf("# device %s: GL_ARB_buffer_storage %s\n", device ? device : "(default)",
	       offered ? "offered" : "not offered");
	CHECK_EQ(offered, blobs_expected());
	if (offered) {
		offered = storage_functions_loaded();
		CHECK(offered);
	}
	CHECK(gl_ok("extensions"));
}

/* Waits for the GPU to pass the fence (if any), which is then gone. */
static bool wait_fence(GLsync *fence)
{
	GLenum result;

	if (!*fence)
		return true;
	result = gl.ClientWaitSync(*fence, GL_SYNC_FLUSH_COMMANDS_BIT, WAIT_NS);
	gl.DeleteSync(*fence);
	*fence = NULL;
	if (result == GL_ALREADY_SIGNALED || result == GL_CONDITION_SATISFIED)
		return true;
	printf("# fence wait answered 0x%04x\n", result);
	return false;
}

/* Frame f's square jumps far enough that it never covers the previous one's centre. */
static int square_x(int frame)
{
	return 4 + (frame * 19) % 40;
}

static int square_y(int frame)
{
	return 4 + (frame * 29) % 40;
}

static struct rgb square_color(int frame)
{
	return (struct rgb){ (uint8_t)(50 + 37 * frame), (uint8_t)(255 - 3 * frame),
			     (uint8_t)(91 * frame) };
}

static float to_ndc(int pixel)
{
	return (float)pixel * 2.0f / SIZE - 1.0f;
}

/* Frame f's square, two triangles with its colour, into one slot of the mapping. */
static void write_square(float *slot, int frame)
{
	const float x0 = to_ndc(square_x(frame)), x1 = to_ndc(square_x(frame) + SQUARE);
	const float y0 = to_ndc(square_y(frame)), y1 = to_ndc(square_y(frame) + SQUARE);
	const float corners[VERTS_PER_SQUARE][2] = {
		{ x0, y0 }, { x1, y0 }, { x1, y1 }, { x0, y0 }, { x1, y1 }, { x0, y1 },
	};
	const struct rgb c = square_color(frame);

	for (int i = 0; i < VERTS_PER_SQUARE; i++) {
		float *v = slot + i * FLOATS_PER_VERT;

		v[0] = corners[i][0];
		v[1] = corners[i][1];
		v[2] = c.r / 255.0f;
		v[3] = c.g / 255.0f;
		v[4] = c.b / 255.0f;
	}
}

/* The frame's square is where and what the mapping said, and the last one is gone. */
static bool frame_shows_square(int frame)
{
	const int cx = square_x(frame) + SQUARE / 2, cy = square_y(frame) + SQUARE / 2;
	char what[48];
	bool ok;

	snprintf(what, sizeof(what), "frame %d, square", frame);
	ok = pixel_is(what, read_pixel(cx, cy), square_color(frame), PIXEL_TOLERANCE);
	snprintf(what, sizeof(what), "frame %d, below the square", frame);
	ok = pixel_is(what, read_pixel(cx, square_y(frame) - 2), background, PIXEL_TOLERANCE) && ok;
	if (frame > 0) {
		snprintf(what, sizeof(what), "frame %d, the last square's place", frame);
		ok = pixel_is(what,
			      read_pixel(square_x(frame - 1) + SQUARE / 2,
					 square_y(frame - 1) + SQUARE / 2),
			      background, PIXEL_TOLERANCE) &&
		     ok;
	}
	return ok;
}

/* One frame: wait until the GPU is done with the slot, rewrite it, draw it, fence it. */
static bool run_frame(float *map, GLsync *fences, int frame)
{
	const int slot = frame % SLOTS;
	bool ok = wait_fence(&fences[slot]);

	write_square(map + slot * SLOT_FLOATS, frame);
	glClear(GL_COLOR_BUFFER_BIT);
	glDrawArrays(GL_TRIANGLES, slot * VERTS_PER_SQUARE, VERTS_PER_SQUARE);
	fences[slot] = gl.FenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
	return fences[slot] != NULL && frame_shows_square(frame) && ok;
}

/*
 * What backs a mapping, for the runner to judge: a view of a file (through
 * libvgpu's socket channel, the host-visible region's) or plain memory.
 */
static void print_backing(const char *what, void *map)
{
	char name[MAX_PATH];

	if (map && GetMappedFileNameA(GetCurrentProcess(), map, name, sizeof(name)))
		printf("# %s mapping: a view of %s\n", what, name);
	else
		printf("# %s mapping: not a view of a file\n", what);
}

static void *storage_mapped(const char *what, GLenum target, GLsizeiptr bytes, GLbitfield access)
{
	void *map;

	gl.BufferStorage(target, bytes, NULL, access);
	map = gl.MapBufferRange(target, 0, bytes, access);
	print_backing(what, map);
	return map;
}

/*
 * A streaming vertex buffer as applications keep one: storage made once,
 * mapped once for writing (persistent, coherent), two frames in flight;
 * each frame moves and recolours the square by writing the mapping only.
 */
static void test_vertices_through_mapping(void)
{
	const GLbitfield access = GL_MAP_WRITE_BIT | GL_MAP_PERSISTENT_BIT | GL_MAP_COHERENT_BIT;
	GLsync fences[SLOTS] = { NULL };
	GLuint program, vao, vbo;
	int good = 0;
	float *map;

	CHECK_EQ(offered, blobs_expected());
	if (!offered)
		return;
	program = build_program(vertex_src, fragment_src);
	CHECK(program != 0);
	gl.GenVertexArrays(1, &vao);
	gl.BindVertexArray(vao);
	gl.GenBuffers(1, &vbo);
	gl.BindBuffer(GL_ARRAY_BUFFER, vbo);
	map = storage_mapped("vertex", GL_ARRAY_BUFFER, SLOTS * SLOT_FLOATS * sizeof(float),
			     access);
	CHECK(map != NULL);
	CHECK(gl_ok("storage and mapping"));
	if (map && program) {
		gl.VertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, FLOATS_PER_VERT * sizeof(float),
				       (void *)0);
		gl.VertexAttribPointer(1, 3, GL_FLOAT, GL_FALSE, FLOATS_PER_VERT * sizeof(float),
				       (void *)(2 * sizeof(float)));
		gl.EnableVertexAttribArray(0);
		gl.EnableVertexAttribArray(1);
		gl.UseProgram(program);
		glViewport(0, 0, SIZE, SIZE);
		glClearColor(background.r / 255.0f, background.g / 255.0f, background.b / 255.0f,
			     1.0f);
		for (int frame = 0; frame < FRAMES; frame++)
			good += run_frame(map, fences, frame);
		printf("# %d of %d frames drew what the mapping said\n", good, FRAMES);
		CHECK_EQ(good, FRAMES);
		for (int slot = 0; slot < SLOTS; slot++)
			CHECK(wait_fence(&fences[slot]));
		CHECK(gl.UnmapBuffer(GL_ARRAY_BUFFER) == GL_TRUE);
	}
	CHECK(gl_ok("frames"));
	gl.DeleteBuffers(1, &vbo);
	gl.DeleteVertexArrays(1, &vao);
	if (program)
		gl.DeleteProgram(program);
}

static uint32_t pattern_word(int round, int i)
{
	return (uint32_t)(round + 1) * 0x9e3779b9u ^ (uint32_t)i * 0x85ebca6bu;
}

/* Round r's copy: a range of words that crosses pages, from and to places of its own. */
struct copy_range {
	int from, to, words;
};

static struct copy_range round_range(int round)
{
	struct copy_range r = { 0, 0, COPY_WORDS };

	if (round == 0)
		return r; /* the first copy fills the whole buffer */
	r.words = 700 + round * 97;
	r.from = (round * 1237) % (COPY_WORDS - r.words);
	r.to = (round * 613) % (COPY_WORDS - r.words);
	return r;
}

/*
 * One round: the program writes the source through its mapping, the GPU
 * copies the range into the destination, and once the fence is passed the
 * destination's mapping must show the copy and everything else unchanged.
 */
static bool copy_round(uint32_t *src, const uint32_t *dst, uint32_t *expect, int round)
{
	const struct copy_range r = round_range(round);
	GLsync fence;
	int i;

	for (i = 0; i < r.words; i++)
		src[r.from + i] = pattern_word(round, i);
	memcpy(expect + r.to, src + r.from, r.words * sizeof(uint32_t));
	gl.CopyBufferSubData(GL_COPY_READ_BUFFER, GL_COPY_WRITE_BUFFER, r.from * sizeof(uint32_t),
			     r.to * sizeof(uint32_t), r.words * sizeof(uint32_t));
	fence = gl.FenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
	if (!fence || !wait_fence(&fence))
		return false;
	for (i = 0; i < COPY_WORDS && dst[i] == expect[i]; i++)
		;
	if (i == COPY_WORDS)
		return true;
	printf("# round %d (words %d..%d to %d): word %d reads %08x, want %08x\n", round, r.from,
	       r.from + r.words, r.to, i, dst[i], expect[i]);
	return false;
}

/*
 * The other way: the GPU writes a buffer mapped once for reading
 * (persistent, coherent), round after round, copying from a buffer the
 * program writes through its own mapping; no upload or download call at all.
 */
static void test_gpu_copies_seen_through_mapping(void)
{
	const GLbitfield write_access =
		GL_MAP_WRITE_BIT | GL_MAP_PERSISTENT_BIT | GL_MAP_COHERENT_BIT;
	const GLbitfield read_access =
		GL_MAP_READ_BIT | GL_MAP_PERSISTENT_BIT | GL_MAP_COHERENT_BIT;
	const GLsizeiptr bytes = COPY_WORDS * sizeof(uint32_t);
	uint32_t *expect = calloc(COPY_WORDS, sizeof(uint32_t));
	uint32_t *src, *dst;
	GLuint bufs[2];
	int good = 0;

	CHECK_EQ(offered, blobs_expected());
	CHECK(expect != NULL);
	if (!offered || !expect) {
		free(expect);
		return;
	}
	gl.GenBuffers(2, bufs);
	gl.BindBuffer(GL_COPY_READ_BUFFER, bufs[0]);
	src = storage_mapped("copy source", GL_COPY_READ_BUFFER, bytes, write_access);
	gl.BindBuffer(GL_COPY_WRITE_BUFFER, bufs[1]);
	dst = storage_mapped("copy destination", GL_COPY_WRITE_BUFFER, bytes, read_access);
	CHECK(src != NULL);
	CHECK(dst != NULL);
	CHECK(gl_ok("storage and mappings"));
	if (src && dst) {
		for (int round = 0; round < COPY_ROUNDS; round++)
			good += copy_round(src, dst, expect, round);
		printf("# %d of %d copies seen through the mapping\n", good, COPY_ROUNDS);
		CHECK_EQ(good, COPY_ROUNDS);
	}
	CHECK(!src || gl.UnmapBuffer(GL_COPY_READ_BUFFER) == GL_TRUE);
	CHECK(!dst || gl.UnmapBuffer(GL_COPY_WRITE_BUFFER) == GL_TRUE);
	CHECK(gl_ok("copies"));
	gl.DeleteBuffers(2, bufs);
	free(expect);
}

int main(void)
{
	RUN(test_context);
	if (opened) {
		RUN(test_offered_exactly_with_blobs);
		RUN(test_vertices_through_mapping);
		RUN(test_gpu_copies_seen_through_mapping);
	}
	wgl_close(&app);
	return tap_done();
}
