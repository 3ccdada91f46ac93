/* SPDX-License-Identifier: MIT */
/*
 * Framebuffer objects: render into a texture with a depth renderbuffer,
 * read it back, draw that texture into the window, and blit.
 */
#include "gl_test.h"
#include "tap.h"

#define SIZE 64
#define FBO_SIZE 32

static struct wgl_app app;
static bool opened;
static GLuint fbo, color_tex, depth_rb;

static void test_context(void)
{
	opened = gl_test_open(&app, "wgl_fbo", SIZE, WGL_PROFILE_LEGACY, 0, 0);
	CHECK(opened);
	CHECK(gl.GenFramebuffers && gl.BindFramebuffer && gl.FramebufferTexture2D &&
	      gl.GenRenderbuffers && gl.RenderbufferStorage && gl.BlitFramebuffer);
	opened = opened && gl.GenFramebuffers && gl.BlitFramebuffer;
}

static void test_complete(void)
{
	glGenTextures(1, &color_tex);
	glBindTexture(GL_TEXTURE_2D, color_tex);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
	glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, FBO_SIZE, FBO_SIZE, 0, GL_RGBA, GL_UNSIGNED_BYTE,
		     NULL);
	gl.GenRenderbuffers(1, &depth_rb);
	gl.BindRenderbuffer(GL_RENDERBUFFER, depth_rb);
	gl.RenderbufferStorage(GL_RENDERBUFFER, GL_DEPTH_COMPONENT24, FBO_SIZE, FBO_SIZE);
	gl.GenFramebuffers(1, &fbo);
	gl.BindFramebuffer(GL_FRAMEBUFFER, fbo);
	gl.FramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, color_tex, 0);
	gl.FramebufferRenderbuffer(GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_RENDERBUFFER, depth_rb);
	CHECK_EQ(gl.CheckFramebufferStatus(GL_FRAMEBUFFER), GL_FRAMEBUFFER_COMPLETE);
	CHECK(gl_ok("framebuffer setup"));
}

/* Clear blue, then a yellow quad over the right half, with depth testing on. */
static void test_render_and_read(void)
{
	gl.BindFramebuffer(GL_FRAMEBUFFER, fbo);
	glViewport(0, 0, FBO_SIZE, FBO_SIZE);
	glClearColor(0, 0, 1, 1);
	glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
	glEnable(GL_DEPTH_TEST);
	glColor3f(1, 1, 0);
	glBegin(GL_QUADS);
	glVertex3f(0, -1, 0);
	glVertex3f(1, -1, 0);
	glVertex3f(1, 1, 0);
	glVertex3f(0, 1, 0);
	glEnd();
	glDisable(GL_DEPTH_TEST);
	CHECK(pixel_at_is(4, 4, (struct rgb){ 0, 0, 255 }));
	CHECK(pixel_at_is(FBO_SIZE - 4, FBO_SIZE - 4, (struct rgb){ 255, 255, 0 }));
	CHECK(gl_ok("render to texture"));
}

/* The window gets the FBO's texture stretched over it. */
static void test_texture_to_window(void)
{
	gl.BindFramebuffer(GL_FRAMEBUFFER, 0);
	glViewport(0, 0, SIZE, SIZE);
	glClearColor(1, 0, 0, 1);
	glClear(GL_COLOR_BUFFER_BIT);
	draw_textured_quad(color_tex);
	CHECK(pixel_at_is(8, SIZE / 2, (struct rgb){ 0, 0, 255 }));
	CHECK(pixel_at_is(SIZE - 8, SIZE / 2, (struct rgb){ 255, 255, 0 }));
	CHECK(gl_ok("texture to window"));
}

/* glBlitFramebuffer from the FBO into the window's lower-left quarter. */
static void test_blit(void)
{
	glClearColor(0, 1, 0, 1);
	glClear(GL_COLOR_BUFFER_BIT);
	gl.BindFramebuffer(GL_READ_FRAMEBUFFER, fbo);
	gl.BindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
	gl.BlitFramebuffer(0, 0, FBO_SIZE, FBO_SIZE, 0, 0, FBO_SIZE, FBO_SIZE, GL_COLOR_BUFFER_BIT,
			   GL_NEAREST);
	gl.BindFramebuffer(GL_FRAMEBUFFER, 0);
	CHECK(pixel_at_is(4, 4, (struct rgb){ 0, 0, 255 }));
	CHECK(pixel_at_is(FBO_SIZE - 4, 4, (struct rgb){ 255, 255, 0 }));
	CHECK(pixel_at_is(SIZE - 4, SIZE - 4, (struct rgb){ 0, 255, 0 }));
	CHECK(gl_ok("blit"));
}

int main(void)
{
	RUN(test_context);
	if (opened) {
		RUN(test_complete);
		RUN(test_render_and_read);
		RUN(test_texture_to_window);
		RUN(test_blit);
	}
	wgl_close(&app);
	return tap_done();
}
