/* SPDX-License-Identifier: MIT */
/*
 * OpenGL through the whole Linux stack: our Mesa build (virgl driver + the
 * vgpu winsys) -> libvgpu -> vgpu-sim (the kmd core) -> QEMU's
 * vhost-user-gpu -> virglrenderer.  A surfaceless EGL context renders into
 * framebuffer objects; every case checks pixels read back with
 * glReadPixels, which travel back through the same path.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GL/glcorearb.h>

#include "egl_core.h"
#include "gl_env.h"
#include "pixels.h"
#include "sim_harness.h"
#include "tap.h"

#define SIZE 64

#define GL_FUNCTIONS(X)                                                                            \
	X(PFNGLGETSTRINGPROC, GetString)                                                           \
	X(PFNGLGETINTEGERVPROC, GetIntegerv)                                                       \
	X(PFNGLGETERRORPROC, GetError)                                                             \
	X(PFNGLVIEWPORTPROC, Viewport)                                                             \
	X(PFNGLCLEARCOLORPROC, ClearColor)                                                         \
	X(PFNGLCLEARPROC, Clear)                                                                   \
	X(PFNGLREADPIXELSPROC, ReadPixels)                                                         \
	X(PFNGLFINISHPROC, Finish)                                                                 \
	X(PFNGLGENFRAMEBUFFERSPROC, GenFramebuffers)                                               \
	X(PFNGLBINDFRAMEBUFFERPROC, BindFramebuffer)                                               \
	X(PFNGLFRAMEBUFFERTEXTURE2DPROC, FramebufferTexture2D)                                     \
	X(PFNGLCHECKFRAMEBUFFERSTATUSPROC, CheckFramebufferStatus)                                 \
	X(PFNGLGENTEXTURESPROC, GenTextures)                                                       \
	X(PFNGLBINDTEXTUREPROC, BindTexture)                                                       \
	X(PFNGLTEXIMAGE2DPROC, TexImage2D)                                                         \
	X(PFNGLTEXPARAMETERIPROC, TexParameteri)                                                   \
	X(PFNGLGENBUFFERSPROC, GenBuffers)                                                         \
	X(PFNGLBINDBUFFERPROC, BindBuffer)                                                         \
	X(PFNGLBUFFERDATAPROC, BufferData)                                                         \
	X(PFNGLBUFFERSUBDATAPROC, BufferSubData)                                                   \
	X(PFNGLGETBUFFERSUBDATAPROC, GetBufferSubData)                                             \
	X(PFNGLMAPBUFFERRANGEPROC, MapBufferRange)                                                 \
	X(PFNGLUNMAPBUFFERPROC, UnmapBuffer)                                                       \
	X(PFNGLGENVERTEXARRAYSPROC, GenVertexArrays)                                               \
	X(PFNGLBINDVERTEXARRAYPROC, BindVertexArray)                                               \
	X(PFNGLVERTEXATTRIBPOINTERPROC, VertexAttribPointer)                                       \
	X(PFNGLENABLEVERTEXATTRIBARRAYPROC, EnableVertexAttribArray)                               \
	X(PFNGLCREATESHADERPROC, CreateShader)                                                     \
	X(PFNGLSHADERSOURCEPROC, ShaderSource)                                                     \
	X(PFNGLCOMPILESHADERPROC, CompileShader)                                                   \
	X(PFNGLGETSHADERIVPROC, GetShaderiv)                                                       \
	X(PFNGLGETSHADERINFOLOGPROC, GetShaderInfoLog)                                             \
	X(PFNGLCREATEPROGRAMPROC, CreateProgram)                                                   \
	X(PFNGLATTACHSHADERPROC, AttachShader)                                                     \
	X(PFNGLLINKPROGRAMPROC, LinkProgram)                                                       \
	X(PFNGLGETPROGRAMIVPROC, GetProgramiv)                                                     \
	X(PFNGLUSEPROGRAMPROC, UseProgram)                                                         \
	X(PFNGLGETUNIFORMLOCATIONPROC, GetUniformLocation)                                         \
	X(PFNGLUNIFORM1IPROC, Uniform1i)                                                           \
	X(PFNGLDRAWARRAYSPROC, DrawArrays)                                                         \
	X(PFNGLFENCESYNCPROC, FenceSync)                                                           \
	X(PFNGLCLIENTWAITSYNCPROC, ClientWaitSync)                                                 \
	X(PFNGLDELETESYNCPROC, DeleteSync)

#define DECLARE_GL(type, name) static type gl##name;
GL_FUNCTIONS(DECLARE_GL)

static struct egl_core egl;
static int gl_ready;

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

/* A framebuffer object with an RGBA8 texture of SIZE x SIZE; returns the texture. */
static GLuint make_target(GLuint *fbo)
{
	GLuint tex;

	glGenTextures(1, &tex);
	glBindTexture(GL_TEXTURE_2D, tex);
	glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, SIZE, SIZE, 0, GL_RGBA, GL_UNSIGNED_BYTE, NULL);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
	glGenFramebuffers(1, fbo);
	glBindFramebuffer(GL_FRAMEBUFFER, *fbo);
	glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, tex, 0);
	glViewport(0, 0, SIZE, SIZE);
	return tex;
}

/* Check one pixel of the bound framebuffer; prints what it found when wrong. */
static int pixel_is(int x, int y, uint32_t want)
{
	uint32_t got = 0;

	glReadPixels(x, y, 1, 1, GL_RGBA, GL_UNSIGNED_BYTE, &got);
	if (near(got, want))
		return 1;
	printf("# pixel (%d,%d) is %08x, want %08x\n", x, y, got, want);
	return 0;
}

static GLuint compile(GLenum kind, const char *src)
{
	GLuint shader = glCreateShader(kind);
	GLint ok = 0;
	char log[512];

	glShaderSource(shader, 1, &src, NULL);
	glCompileShader(shader);
	glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
	if (!ok) {
		glGetShaderInfoLog(shader, sizeof(log), NULL, log);
		printf("# shader does not compile: %s\n", log);
	}
	return shader;
}

static GLuint program(const char *vs, const char *fs)
{
	GLuint prog = glCreateProgram();
	GLint ok = 0;

	glAttachShader(prog, compile(GL_VERTEX_SHADER, vs));
	glAttachShader(prog, compile(GL_FRAGMENT_SHADER, fs));
	glLinkProgram(prog);
	glGetProgramiv(prog, GL_LINK_STATUS, &ok);
	CHECK(ok);
	return prog;
}

/* A vertex array with one vec2 attribute from a buffer of `count` points. */
static void vertex_array(const float *points, int count)
{
	GLuint vao, vbo;

	glGenVertexArrays(1, &vao);
	glBindVertexArray(vao);
	glGenBuffers(1, &vbo);
	glBindBuffer(GL_ARRAY_BUFFER, vbo);
	glBufferData(GL_ARRAY_BUFFER, (GLsizeiptr)(count * 2 * sizeof(float)), points,
		     GL_STATIC_DRAW);
	glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, NULL);
	glEnableVertexAttribArray(0);
}

static const char *const solid_vs =
	"#version 330 core\n"
	"layout(location = 0) in vec2 pos;\n"
	"out vec2 uv;\n"
	"void main() { uv = pos * 0.5 + 0.5; gl_Position = vec4(pos, 0.0, 1.0); }\n";

static void test_sim_starts(void)
{
	CHECK_EQ(gl_env_start_sim(), 0);
}

static void test_core_context(void)
{
	int opened = egl_core_open(&egl);

	CHECK_EQ(opened, 0);
	if (opened == 0)
		CHECK_EQ(load_gl(), 0);
	gl_ready = opened == 0 && !tap_case_failed;
}

static void test_renderer_is_vgpu(void)
{
	const char *renderer, *version;

	CHECK(gl_ready);
	if (!gl_ready)
		return;
	renderer = (const char *)glGetString(GL_RENDERER);
	version = (const char *)glGetString(GL_VERSION);
	printf("# GL_RENDERER: %s\n# GL_VERSION: %s\n", renderer ? renderer : "(none)",
	       version ? version : "(none)");
	CHECK(renderer && strstr(renderer, "vgpu") && strstr(renderer, "virgl"));
	/* what this machine's host (virglrenderer on llvmpipe) offers through virgl */
	CHECK(version && !strncmp(version, "4.3", 3));
}

static void test_clear(void)
{
	GLuint fbo;

	CHECK(gl_ready);
	if (!gl_ready)
		return;
	make_target(&fbo);
	CHECK_EQ(glCheckFramebufferStatus(GL_FRAMEBUFFER), GL_FRAMEBUFFER_COMPLETE);
	glClearColor(0.25f, 0.5f, 0.75f, 1.0f);
	glClear(GL_COLOR_BUFFER_BIT);
	CHECK(pixel_is(0, 0, rgba(64, 128, 191, 255)));
	CHECK(pixel_is(SIZE - 1, SIZE - 1, rgba(64, 128, 191, 255)));
	CHECK_EQ(glGetError(), GL_NO_ERROR);
}

static void test_glsl_triangle(void)
{
	static const float tri[] = { -0.5f, -0.5f, 0.5f, -0.5f, 0.0f, 0.5f };
	static const char *const fs = "#version 330 core\n"
				      "out vec4 color;\n"
				      "void main() { color = vec4(1.0, 0.5, 0.0, 1.0); }\n";
	GLuint fbo;

	CHECK(gl_ready);
	if (!gl_ready)
		return;
	make_target(&fbo);
	glClearColor(0.0f, 0.0f, 1.0f, 1.0f);
	glClear(GL_COLOR_BUFFER_BIT);
	glUseProgram(program(solid_vs, fs));
	vertex_array(tri, 3);
	glDrawArrays(GL_TRIANGLES, 0, 3);
	CHECK(pixel_is(SIZE / 2, SIZE / 2, rgba(255, 128, 0, 255)));
	CHECK(pixel_is(2, SIZE - 3, rgba(0, 0, 255, 255)));
	CHECK(pixel_is(SIZE - 3, SIZE - 3, rgba(0, 0, 255, 255)));
	CHECK_EQ(glGetError(), GL_NO_ERROR);
}

/* Draw a full-screen quad sampling `tex` into the bound framebuffer. */
static void draw_textured_quad(GLuint tex)
{
	static const float quad[] = { -1, -1, 1, -1, -1, 1, 1, 1 };
	static const char *const fs = "#version 330 core\n"
				      "in vec2 uv;\n"
				      "uniform sampler2D tex;\n"
				      "out vec4 color;\n"
				      "void main() { color = texture(tex, uv); }\n";
	GLuint prog = program(solid_vs, fs);

	glUseProgram(prog);
	glBindTexture(GL_TEXTURE_2D, tex);
	glUniform1i(glGetUniformLocation(prog, "tex"), 0);
	vertex_array(quad, 4);
	glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
}

/* A 2x2 texture uploaded from memory, sampled onto a quad: one colour per quadrant. */
static void test_texture_upload(void)
{
	static const uint32_t texels[4] = { 0xff0000ff, 0xff00ff00, 0xffff0000, 0xffffffff };
	GLuint fbo, tex;

	CHECK(gl_ready);
	if (!gl_ready)
		return;
	make_target(&fbo);
	glGenTextures(1, &tex);
	glBindTexture(GL_TEXTURE_2D, tex);
	glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, 2, 2, 0, GL_RGBA, GL_UNSIGNED_BYTE, texels);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
	draw_textured_quad(tex);
	CHECK(pixel_is(SIZE / 4, SIZE / 4, texels[0]));
	CHECK(pixel_is(3 * SIZE / 4, SIZE / 4, texels[1]));
	CHECK(pixel_is(SIZE / 4, 3 * SIZE / 4, texels[2]));
	CHECK(pixel_is(3 * SIZE / 4, 3 * SIZE / 4, texels[3]));
	CHECK_EQ(glGetError(), GL_NO_ERROR);
}

/* Render into one framebuffer's texture, then sample it from another. */
static void test_render_to_texture(void)
{
	GLuint first_fbo, second_fbo, first_tex;

	CHECK(gl_ready);
	if (!gl_ready)
		return;
	first_tex = make_target(&first_fbo);
	glClearColor(0.0f, 1.0f, 1.0f, 1.0f);
	glClear(GL_COLOR_BUFFER_BIT);
	make_target(&second_fbo);
	glClearColor(0.0f, 0.0f, 0.0f, 1.0f);
	glClear(GL_COLOR_BUFFER_BIT);
	draw_textured_quad(first_tex);
	CHECK(pixel_is(SIZE / 2, SIZE / 2, rgba(0, 255, 255, 255)));
	CHECK_EQ(glGetError(), GL_NO_ERROR);
}

/* Buffer contents written three ways (data, sub-data, a mapping) read back. */
static void test_buffer_round_trip(void)
{
	uint32_t data[256], back[256];
	GLuint buf;
	uint32_t *map;
	int i;

	CHECK(gl_ready);
	if (!gl_ready)
		return;
	for (i = 0; i < 256; i++)
		data[i] = 0x01010101u * (uint32_t)i;
	glGenBuffers(1, &buf);
	glBindBuffer(GL_COPY_WRITE_BUFFER, buf);
	glBufferData(GL_COPY_WRITE_BUFFER, sizeof(data), data, GL_DYNAMIC_DRAW);
	glBufferSubData(GL_COPY_WRITE_BUFFER, 16, 16, data + 100);
	map = glMapBufferRange(GL_COPY_WRITE_BUFFER, 64, 16, GL_MAP_WRITE_BIT);
	CHECK(map != NULL);
	if (map) {
		memcpy(map, data + 200, 16);
		CHECK(glUnmapBuffer(GL_COPY_WRITE_BUFFER));
	}
	memcpy(data + 4, data + 100, 16);
	memcpy(data + 16, data + 200, 16);
	memset(back, 0, sizeof(back));
	glGetBufferSubData(GL_COPY_WRITE_BUFFER, 0, sizeof(back), back);
	CHECK(!memcmp(back, data, sizeof(data)));
	CHECK_EQ(glGetError(), GL_NO_ERROR);
}

static void test_fence_signals(void)
{
	GLsync sync;
	GLenum result;

	CHECK(gl_ready);
	if (!gl_ready)
		return;
	glClear(GL_COLOR_BUFFER_BIT);
	sync = glFenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
	CHECK(sync != NULL);
	result = glClientWaitSync(sync, GL_SYNC_FLUSH_COMMANDS_BIT, 5000000000ull);
	CHECK(result == GL_ALREADY_SIGNALED || result == GL_CONDITION_SATISFIED);
	glDeleteSync(sync);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * With the device gone (the sim stopped under the context), GL calls keep
 * returning: the winsys reports the loss once and fails what it is asked,
 * without crashing the program or hanging it.
 */
static void test_lost_device_is_survived(void)
{
	uint32_t pixel = 0;
	double start;
	GLsync sync;

	CHECK(gl_ready);
	CHECK(!sim_alive());
	if (!gl_ready)
		return;
	start = now_s();
	glClearColor(1.0f, 1.0f, 1.0f, 1.0f);
	glClear(GL_COLOR_BUFFER_BIT);
	glReadPixels(0, 0, 1, 1, GL_RGBA, GL_UNSIGNED_BYTE, &pixel);
	sync = glFenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
	if (sync) {
		glClientWaitSync(sync, GL_SYNC_FLUSH_COMMANDS_BIT, 1000000000ull);
		glDeleteSync(sync);
	}
	glFinish();
	CHECK(now_s() - start < 10.0);
}

static void test_context_goes(void)
{
	CHECK_EQ(egl_core_close(&egl), 0);
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
	RUN(test_renderer_is_vgpu);
	RUN(test_clear);
	RUN(test_glsl_triangle);
	RUN(test_texture_upload);
	RUN(test_render_to_texture);
	RUN(test_buffer_round_trip);
	RUN(test_fence_signals);
	RUN(test_sim_stops_cleanly);
	RUN(test_lost_device_is_survived);
	RUN(test_context_goes);
	return tap_done();
}
