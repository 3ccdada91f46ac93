/* SPDX-License-Identifier: MIT */
/*
 * GL_ARB_buffer_storage through the whole Linux stack: persistent and
 * coherent buffers are HOST3D blobs in host-visible memory (the winsys's
 * vgpu_blob.c), which only the device model offers here.  The device under
 * test comes from $VGPU_SIM_DEVICE, as the sim reads it:
 *  - model, model-mvisor: the extension must be offered, and a buffer
 *    mapped once must carry the application's writes to the GPU frame
 *    after frame with no upload call, and the GPU's writes back;
 *  - qemu (QEMU 7.2's device, no blobs; the default): Mesa's virgl offers
 *    the extension only when the winsys can back coherent mappings, so it
 *    must not be offered at all (no silent, incoherent fallback).
 * Nothing may make the winsys complain meanwhile: its messages on stderr
 * (a transfer the kernel refused, a failed blob) are collected and checked.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GL/glcorearb.h>

#include "egl_core.h"
#include "gl_env.h"
#include "pixels.h"
#include "sim_harness.h"
#include "tap.h"

#define SIZE 64
#define FRAMES 120
#define SLOTS 3 /* frames in flight, each with its own part of the buffer */
#define VERTS_PER_FRAME 4
#define FLOATS_PER_VERT 6 /* vec2 position, vec4 colour */
#define FRAME_BYTES (VERTS_PER_FRAME * FLOATS_PER_VERT * (GLsizeiptr)sizeof(float))
#define RECT_W 8 /* pixels */
#define WAIT_NS 5000000000ull
#define READBACK_WORDS 4096 /* 16 KiB: several pages of a blob */

#define GL_FUNCTIONS(X)                                                                            \
	X(PFNGLGETSTRINGIPROC, GetStringi)                                                         \
	X(PFNGLGETINTEGERVPROC, GetIntegerv)                                                       \
	X(PFNGLGETERRORPROC, GetError)                                                             \
	X(PFNGLVIEWPORTPROC, Viewport)                                                             \
	X(PFNGLCLEARCOLORPROC, ClearColor)                                                         \
	X(PFNGLCLEARPROC, Clear)                                                                   \
	X(PFNGLREADPIXELSPROC, ReadPixels)                                                         \
	X(PFNGLGENFRAMEBUFFERSPROC, GenFramebuffers)                                               \
	X(PFNGLBINDFRAMEBUFFERPROC, BindFramebuffer)                                               \
	X(PFNGLFRAMEBUFFERTEXTURE2DPROC, FramebufferTexture2D)                                     \
	X(PFNGLGENTEXTURESPROC, GenTextures)                                                       \
	X(PFNGLBINDTEXTUREPROC, BindTexture)                                                       \
	X(PFNGLTEXIMAGE2DPROC, TexImage2D)                                                         \
	X(PFNGLGENBUFFERSPROC, GenBuffers)                                                         \
	X(PFNGLBINDBUFFERPROC, BindBuffer)                                                         \
	X(PFNGLDELETEBUFFERSPROC, DeleteBuffers)                                                   \
	X(PFNGLBUFFERDATAPROC, BufferData)                                                         \
	X(PFNGLBUFFERSUBDATAPROC, BufferSubData)                                                   \
	X(PFNGLBUFFERSTORAGEPROC, BufferStorage)                                                   \
	X(PFNGLCOPYBUFFERSUBDATAPROC, CopyBufferSubData)                                           \
	X(PFNGLMAPBUFFERRANGEPROC, MapBufferRange)                                                 \
	X(PFNGLUNMAPBUFFERPROC, UnmapBuffer)                                                       \
	X(PFNGLGENVERTEXARRAYSPROC, GenVertexArrays)                                               \
	X(PFNGLBINDVERTEXARRAYPROC, BindVertexArray)                                               \
	X(PFNGLVERTEXATTRIBPOINTERPROC, VertexAttribPointer)                                       \
	X(PFNGLENABLEVERTEXATTRIBARRAYPROC, EnableVertexAttribArray)                               \
	X(PFNGLCREATESHADERPROC, CreateShader)                                                     \
	X(PFNGLSHADERSOURCEPROC, ShaderSource)                                                     \
	X(PFNGLCOMPILESHADERPROC, CompileShader)                                                   \
	X(PFNGLCREATEPROGRAMPROC, CreateProgram)                                                   \
	X(PFNGLATTACHSHADERPROC, AttachShader)                                                     \
	X(PFNGLLINKPROGRAMPROC, LinkProgram)                                                       \
	X(PFNGLGETPROGRAMIVPROC, GetProgramiv)                                                     \
	X(PFNGLUSEPROGRAMPROC, UseProgram)                                                         \
	X(PFNGLDRAWARRAYSPROC, DrawArrays)                                                         \
	X(PFNGLFENCESYNCPROC, FenceSync)                                                           \
	X(PFNGLCLIENTWAITSYNCPROC, ClientWaitSync)                                                 \
	X(PFNGLDELETESYNCPROC, DeleteSync)

#define DECLARE_GL(type, name) static type gl##name;
GL_FUNCTIONS(DECLARE_GL)

static struct egl_core egl;
static int gl_ready;
static int has_buffer_storage;
static FILE *winsys_log; /* our stderr while GL runs */
static int saved_stderr = -1;

static int load_gl(void)
{
	int missing = 0;

#define LOAD_GL(type, name)                                                                        \
	gl##name = (type)eglGetProcAddress("gl" #name);                                            \
	if (!gl##name) {                                                                           \
		printf("# no gl" #name "\n");                                                      \
		missing++;                                                                         \
	}
	GL_FUNCTIONS(LOAD_GL)
#undef LOAD_GL
	return missing ? -1 : 0;
}

/* Whether the device under test has blobs with host-visible memory. */
static int device_has_blobs(void)
{
	const char *device = getenv("VGPU_SIM_DEVICE");

	return device && (!strcmp(device, "model") || !strcmp(device, "model-mvisor"));
}

static int extension_offered(const char *name)
{
	GLint count = 0, i;

	glGetIntegerv(GL_NUM_EXTENSIONS, &count);
	for (i = 0; i < count; i++) {
		const char *ext = (const char *)glGetStringi(GL_EXTENSIONS, (GLuint)i);

		if (ext && !strcmp(ext, name))
			return 1;
	}
	return 0;
}

static int pixel_is(int x, int y, uint32_t want, int frame)
{
	uint32_t got = 0;

	glReadPixels(x, y, 1, 1, GL_RGBA, GL_UNSIGNED_BYTE, &got);
	if (near(got, want))
		return 1;
	printf("# frame %d: pixel (%d,%d) is %08x, want %08x\n", frame, x, y, got, want);
	return 0;
}

static GLuint compile(GLenum kind, const char *src)
{
	GLuint shader = glCreateShader(kind);

	glShaderSource(shader, 1, &src, NULL);
	glCompileShader(shader);
	return shader;
}

static GLuint colour_program(void)
{
	static const char *const vs =
		"#version 330 core\n"
		"layout(location = 0) in vec2 pos;\n"
		"layout(location = 1) in vec4 colour;\n"
		"out vec4 v_colour;\n"
		"void main() { v_colour = colour; gl_Position = vec4(pos, 0.0, 1.0); }\n";
	static const char *const fs = "#version 330 core\n"
				      "in vec4 v_colour;\n"
				      "out vec4 frag;\n"
				      "void main() { frag = v_colour; }\n";
	GLuint prog = glCreateProgram();
	GLint ok = 0;

	glAttachShader(prog, compile(GL_VERTEX_SHADER, vs));
	glAttachShader(prog, compile(GL_FRAGMENT_SHADER, fs));
	glLinkProgram(prog);
	glGetProgramiv(prog, GL_LINK_STATUS, &ok);
	CHECK(ok);
	return prog;
}

static void make_target(void)
{
	GLuint tex, fbo;

	glGenTextures(1, &tex);
	glBindTexture(GL_TEXTURE_2D, tex);
	glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, SIZE, SIZE, 0, GL_RGBA, GL_UNSIGNED_BYTE, NULL);
	glGenFramebuffers(1, &fbo);
	glBindFramebuffer(GL_FRAMEBUFFER, fbo);
	glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, tex, 0);
	glViewport(0, 0, SIZE, SIZE);
}

/* GL messages from the winsys go to a file from here on (the sim keeps the real stderr). */
static int collect_stderr(void)
{
	fflush(stderr);
	winsys_log = tmpfile();
	saved_stderr = dup(STDERR_FILENO);
	if (!winsys_log || saved_stderr < 0 || dup2(fileno(winsys_log), STDERR_FILENO) < 0)
		return -1;
	return 0;
}

/* Put stderr back; replay what was said as diagnostics; how many lines were the winsys's. */
static int winsys_complaints(void)
{
	char line[512];
	int complaints = 0;

	fflush(stderr);
	if (saved_stderr >= 0) {
		dup2(saved_stderr, STDERR_FILENO);
		close(saved_stderr);
		saved_stderr = -1;
	}
	if (!winsys_log)
		return -1;
	rewind(winsys_log);
	while (fgets(line, sizeof(line), winsys_log)) {
		printf("# stderr: %s", line);
		if (!strncmp(line, "vgpu:", 5))
			complaints++;
	}
	fclose(winsys_log);
	winsys_log = NULL;
	return complaints;
}

static void test_sim_starts(void)
{
	CHECK_EQ(gl_env_start_sim(), 0);
	CHECK_EQ(collect_stderr(), 0);
}

static void test_core_context(void)
{
	int opened = egl_core_open(&egl);

	CHECK_EQ(opened, 0);
	if (opened == 0)
		CHECK_EQ(load_gl(), 0);
	gl_ready = opened == 0 && !tap_case_failed;
}

static void test_offered_exactly_with_blobs(void)
{
	CHECK(gl_ready);
	if (!gl_ready)
		return;
	has_buffer_storage = extension_offered("GL_ARB_buffer_storage");
	printf("# device %s: GL_ARB_buffer_storage %s\n",
	       getenv("VGPU_SIM_DEVICE") ? getenv("VGPU_SIM_DEVICE") : "(default)",
	       has_buffer_storage ? "offered" : "not offered");
	CHECK_EQ(has_buffer_storage, device_has_blobs());
}

/* Frame f's rectangle: its left column and its colour. */
static int rect_left(int frame)
{
	return 8 + (frame * 5) % (SIZE - 2 * 8 - RECT_W + 1);
}

static uint32_t rect_colour(int frame)
{
	return rgba((unsigned)(40 + frame * 7) % 256, (unsigned)(250 - frame) % 256,
		    (unsigned)(frame * 13) % 256, 255);
}

/* Frame f's quad (a triangle strip) with its colour, in place. */
static void write_quad(float *v, int frame)
{
	float x0 = (float)rect_left(frame) * 2.0f / SIZE - 1.0f;
	float x1 = (float)(rect_left(frame) + RECT_W) * 2.0f / SIZE - 1.0f;
	const float xs[VERTS_PER_FRAME] = { x0, x1, x0, x1 };
	const float ys[VERTS_PER_FRAME] = { -0.5f, -0.5f, 0.5f, 0.5f };
	uint32_t c = rect_colour(frame);
	int i;

	for (i = 0; i < VERTS_PER_FRAME; i++) {
		float *out = v + i * FLOATS_PER_VERT;

		out[0] = xs[i];
		out[1] = ys[i];
		out[2] = (float)(c & 0xff) / 255.0f;
		out[3] = (float)((c >> 8) & 0xff) / 255.0f;
		out[4] = (float)((c >> 16) & 0xff) / 255.0f;
		out[5] = 1.0f;
	}
}

static int wait_sync(GLsync *sync)
{
	GLenum result;

	if (!*sync)
		return 1;
	result = glClientWaitSync(*sync, GL_SYNC_FLUSH_COMMANDS_BIT, WAIT_NS);
	glDeleteSync(*sync);
	*sync = NULL;
	return result == GL_ALREADY_SIGNALED || result == GL_CONDITION_SATISFIED;
}

/* One frame: write the slot through the mapping, draw it, fence it, check the pixels. */
static int run_frame(float *map, GLsync *fences, int frame)
{
	int slot = frame % SLOTS;
	int left = rect_left(frame);
	int ok;

	ok = wait_sync(&fences[slot]);
	write_quad(map + slot * (FRAME_BYTES / sizeof(float)), frame);
	glClear(GL_COLOR_BUFFER_BIT);
	glDrawArrays(GL_TRIANGLE_STRIP, slot * VERTS_PER_FRAME, VERTS_PER_FRAME);
	fences[slot] = glFenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
	ok &= fences[slot] != NULL;
	ok &= pixel_is(left + RECT_W / 2, SIZE / 2, rect_colour(frame), frame);
	/* where the previous frame's rectangle was: a stale quad would still be there */
	ok &= pixel_is(left - 4, SIZE / 2, rgba(0, 0, 0, 255), frame);
	ok &= pixel_is(left + RECT_W + 4, SIZE / 2, rgba(0, 0, 0, 255), frame);
	return ok;
}

/*
 * An application's streaming vertex buffer: storage allocated once, mapped
 * once (write, persistent, coherent), three frames in flight each with its
 * own slot and fence; every frame moves and recolours the quad by writing
 * the mapping only.
 */
static void test_persistent_vertices_frame_after_frame(void)
{
	const GLbitfield access = GL_MAP_WRITE_BIT | GL_MAP_PERSISTENT_BIT | GL_MAP_COHERENT_BIT;
	GLsync fences[SLOTS] = { NULL };
	GLuint vao, vbo;
	float *map;
	int frame, good = 0;

	CHECK(gl_ready);
	if (!gl_ready || !has_buffer_storage) {
		CHECK(!device_has_blobs());
		return;
	}
	make_target();
	glUseProgram(colour_program());
	glClearColor(0.0f, 0.0f, 0.0f, 1.0f);
	glGenVertexArrays(1, &vao);
	glBindVertexArray(vao);
	glGenBuffers(1, &vbo);
	glBindBuffer(GL_ARRAY_BUFFER, vbo);
	glBufferStorage(GL_ARRAY_BUFFER, SLOTS * FRAME_BYTES, NULL, access);
	map = glMapBufferRange(GL_ARRAY_BUFFER, 0, SLOTS * FRAME_BYTES, access);
	CHECK(map != NULL);
	CHECK_EQ(glGetError(), GL_NO_ERROR);
	if (!map)
		return;
	glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, FLOATS_PER_VERT * sizeof(float), NULL);
	glVertexAttribPointer(1, 4, GL_FLOAT, GL_FALSE, FLOATS_PER_VERT * sizeof(float),
			      (const void *)(2 * sizeof(float)));
	glEnableVertexAttribArray(0);
	glEnableVertexAttribArray(1);
	for (frame = 0; frame < FRAMES; frame++)
		good += run_frame(map, fences, frame);
	printf("# %d of %d frames drew what the mapping said\n", good, FRAMES);
	CHECK_EQ(good, FRAMES);
	for (frame = 0; frame < SLOTS; frame++)
		CHECK(wait_sync(&fences[frame]));
	CHECK(glUnmapBuffer(GL_ARRAY_BUFFER));
	CHECK_EQ(glGetError(), GL_NO_ERROR);
	glDeleteBuffers(1, &vbo);
}

static void fill_round(uint32_t *words, int round)
{
	int i;

	for (i = 0; i < READBACK_WORDS; i++)
		words[i] = (uint32_t)round * 0x9e3779b9u ^ (uint32_t)i * 0x01000193u;
}

/* The GPU copies round `round`'s data (also left in expect) into the COPY_WRITE buffer. */
static int gpu_copy(GLuint src, uint32_t *expect, int round)
{
	const GLsizeiptr bytes = READBACK_WORDS * sizeof(uint32_t);
	GLsync sync;

	fill_round(expect, round);
	glBindBuffer(GL_COPY_READ_BUFFER, src);
	glBufferData(GL_COPY_READ_BUFFER, bytes, expect, GL_STREAM_DRAW);
	glCopyBufferSubData(GL_COPY_READ_BUFFER, GL_COPY_WRITE_BUFFER, 0, 0, bytes);
	sync = glFenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
	return wait_sync(&sync);
}

static int shows(const uint32_t *map, const uint32_t *expect, const char *how, int round)
{
	if (!memcmp(map, expect, READBACK_WORDS * sizeof(uint32_t)))
		return 1;
	printf("# round %d: the %s mapping does not show what the GPU wrote\n", round, how);
	return 0;
}

/*
 * The other direction: the GPU writes the buffer (a copy), and after the
 * fence the persistent read mapping shows those bytes, round after round;
 * then an ordinary map of the same buffer, which makes the driver read
 * the buffer back (a transfer for guest-backed buffers, none for a blob).
 */
static void test_gpu_writes_seen_through_mapping(void)
{
	const GLbitfield access = GL_MAP_READ_BIT | GL_MAP_PERSISTENT_BIT | GL_MAP_COHERENT_BIT;
	const GLsizeiptr bytes = READBACK_WORDS * sizeof(uint32_t);
	uint32_t *expect = calloc(READBACK_WORDS, sizeof(uint32_t));
	GLuint bufs[2];
	/* The ordinary map reads the round after the persistent ones. */
	const int rounds = 16;
	uint32_t *map;
	int round, good = 0;

	CHECK(gl_ready);
	CHECK(expect != NULL);
	if (!gl_ready || !has_buffer_storage || !expect) {
		CHECK(!device_has_blobs());
		free(expect);
		return;
	}
	glGenBuffers(2, bufs);
	glBindBuffer(GL_COPY_WRITE_BUFFER, bufs[1]);
	glBufferStorage(GL_COPY_WRITE_BUFFER, bytes, NULL, access);
	map = glMapBufferRange(GL_COPY_WRITE_BUFFER, 0, bytes, access);
	CHECK(map != NULL);
	if (map) {
		for (round = 0; round < rounds; round++)
			good += gpu_copy(bufs[0], expect, round) &&
				shows(map, expect, "persistent", round);
		CHECK_EQ(good, rounds);
		CHECK(glUnmapBuffer(GL_COPY_WRITE_BUFFER));
	}
	CHECK(gpu_copy(bufs[0], expect, rounds));
	map = glMapBufferRange(GL_COPY_WRITE_BUFFER, 0, bytes, GL_MAP_READ_BIT);
	CHECK(map != NULL);
	if (map) {
		CHECK(shows(map, expect, "ordinary", rounds));
		CHECK(glUnmapBuffer(GL_COPY_WRITE_BUFFER));
	}
	CHECK_EQ(glGetError(), GL_NO_ERROR);
	glDeleteBuffers(2, bufs);
	free(expect);
}

/*
 * Draw frame `frame` from slot 0 of the bound buffer after `update` put its
 * quad there; true when the pixels show it.
 */
static int draw_slot0(int frame)
{
	int left = rect_left(frame);

	glClear(GL_COLOR_BUFFER_BIT);
	glDrawArrays(GL_TRIANGLE_STRIP, 0, VERTS_PER_FRAME);
	return pixel_is(left + RECT_W / 2, SIZE / 2, rect_colour(frame), frame) &&
	       pixel_is(left - 4, SIZE / 2, rgba(0, 0, 0, 255), frame);
}

/* glBufferSubData of frame `frame`'s quad while a draw that reads the buffer is queued. */
static void sub_data_while_busy(float *quads, GLsizeiptr bytes, int frame)
{
	glDrawArrays(GL_TRIANGLE_STRIP, 0, VERTS_PER_FRAME);
	write_quad(quads, frame);
	write_quad(quads + VERTS_PER_FRAME * FLOATS_PER_VERT, frame);
	glBufferSubData(GL_ARRAY_BUFFER, 0, bytes, quads);
}

/*
 * glBufferSubData on a persistently mapped (dynamic storage) buffer that
 * the GPU is using, of a part and of all of it, each followed by a write
 * through the old mapping: both ways must keep reaching the buffer that is
 * drawn (the driver may neither drop the update nor move the buffer away
 * from the mapping); then the same once it is unmapped, where the driver
 * could stage the update (a staged copy is never made for such a buffer).
 */
static void test_sub_data_beside_mapping(void)
{
	const GLbitfield access = GL_MAP_WRITE_BIT | GL_MAP_PERSISTENT_BIT | GL_MAP_COHERENT_BIT;
	float quads[2 * VERTS_PER_FRAME * FLOATS_PER_VERT];
	GLuint vao, vbo;
	float *map;

	CHECK(gl_ready);
	if (!gl_ready || !has_buffer_storage) {
		CHECK(!device_has_blobs());
		return;
	}
	make_target();
	glUseProgram(colour_program());
	glClearColor(0.0f, 0.0f, 0.0f, 1.0f);
	glGenVertexArrays(1, &vao);
	glBindVertexArray(vao);
	glGenBuffers(1, &vbo);
	glBindBuffer(GL_ARRAY_BUFFER, vbo);
	glBufferStorage(GL_ARRAY_BUFFER, 2 * FRAME_BYTES, NULL, access | GL_DYNAMIC_STORAGE_BIT);
	map = glMapBufferRange(GL_ARRAY_BUFFER, 0, 2 * FRAME_BYTES, access);
	CHECK(map != NULL);
	if (!map)
		return;
	glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, FLOATS_PER_VERT * sizeof(float), NULL);
	glVertexAttribPointer(1, 4, GL_FLOAT, GL_FALSE, FLOATS_PER_VERT * sizeof(float),
			      (const void *)(2 * sizeof(float)));
	glEnableVertexAttribArray(0);
	glEnableVertexAttribArray(1);
	write_quad(map, 1);
	CHECK(draw_slot0(1));
	sub_data_while_busy(quads, FRAME_BYTES, 2);
	CHECK(draw_slot0(2));
	write_quad(map, 3);
	CHECK(draw_slot0(3));
	sub_data_while_busy(quads, sizeof(quads), 4);
	CHECK(draw_slot0(4));
	write_quad(map, 5);
	CHECK(draw_slot0(5));
	CHECK(glUnmapBuffer(GL_ARRAY_BUFFER));
	sub_data_while_busy(quads, FRAME_BYTES, 6);
	CHECK(draw_slot0(6));
	sub_data_while_busy(quads, sizeof(quads), 7);
	CHECK(draw_slot0(7));
	CHECK_EQ(glGetError(), GL_NO_ERROR);
	glDeleteBuffers(1, &vbo);
}

static void test_context_goes(void)
{
	CHECK_EQ(egl_core_close(&egl), 0);
}

static void test_winsys_said_nothing(void)
{
	CHECK_EQ(winsys_complaints(), 0);
}

static void test_sim_stops_cleanly(void)
{
	CHECK(sim_alive());
	CHECK_EQ(sim_stop(), 0);
}

int main(void)
{
	RUN(test_sim_starts);
	RUN(test_core_context);
	RUN(test_offered_exactly_with_blobs);
	RUN(test_persistent_vertices_frame_after_frame);
	RUN(test_gpu_writes_seen_through_mapping);
	RUN(test_sub_data_beside_mapping);
	RUN(test_context_goes);
	RUN(test_winsys_said_nothing);
	RUN(test_sim_stops_cleanly);
	return tap_done();
}
