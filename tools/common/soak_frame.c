/* SPDX-License-Identifier: MIT */
#ifdef _WIN32
#include <windows.h>
#endif
#include <GL/gl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <time.h>
#endif

#include "soak_frame.h"

#define TEX_MIN 4
/* Texture sides run from TEX_MIN to TEX_MIN + TEX_SPREAD - 1, below any drawable's side. */
#define TEX_SPREAD (SOAK_FRAME_MIN - TEX_MIN)

struct rgba {
	uint8_t r, g, b, a;
};

/*
 * A texel of the pattern `seed`: each channel its own function of the
 * position, so that a row or column out of place, or a texel of another
 * seed (another frame, or the upload before the update), shows.
 */
static struct rgba texel(unsigned seed, int i, int j)
{
	return (struct rgba){ (uint8_t)(i * 8 + seed), (uint8_t)(j * 8 + seed * 3),
			      (uint8_t)((unsigned)(i ^ j) + seed * 5), 255 };
}

static struct rgba background(unsigned frame)
{
	return (struct rgba){ (uint8_t)(frame * 37 + 11), (uint8_t)(frame * 101 + 60),
			      (uint8_t)(frame * 13 + 200), 255 };
}

/* Where a frame's texture lies in the drawable (its lower left pixel, its size). */
struct placement {
	int x, y, w, h;
	unsigned seed, update_seed; /* of the upload, and of the update of its upper half */
};

static struct placement place(unsigned frame, int width, int height)
{
	struct placement p = { .w = TEX_MIN + (int)(frame % TEX_SPREAD),
			       .h = TEX_MIN + (int)((frame * 7) % TEX_SPREAD),
			       .seed = frame,
			       .update_seed = frame ^ 0x5au };

	p.x = (int)((frame * 5) % (unsigned)(width - p.w + 1));
	p.y = (int)((frame * 3) % (unsigned)(height - p.h + 1));
	return p;
}

/* What pixel (x, y) of the frame must be. */
static struct rgba expected(unsigned frame, const struct placement *p, int x, int y)
{
	int i = x - p->x, j = y - p->y;

	if (i < 0 || j < 0 || i >= p->w || j >= p->h)
		return background(frame);
	return texel(j >= p->h / 2 ? p->update_seed : p->seed, i, j);
}

static void fill_pattern(struct rgba *texels, int w, int rows, int first_row, unsigned seed)
{
	for (int j = 0; j < rows; j++)
		for (int i = 0; i < w; i++)
			texels[j * w + i] = texel(seed, i, first_row + j);
}

/* The texture, uploaded whole and then its upper half replaced: two transfers. */
static GLuint upload(const struct placement *p)
{
	static struct rgba texels[(TEX_MIN + TEX_SPREAD) * (TEX_MIN + TEX_SPREAD)];
	int half = p->h / 2;
	GLuint tex = 0;

	glGenTextures(1, &tex);
	glBindTexture(GL_TEXTURE_2D, tex);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
	fill_pattern(texels, p->w, p->h, 0, p->seed);
	glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, p->w, p->h, 0, GL_RGBA, GL_UNSIGNED_BYTE, texels);
	fill_pattern(texels, p->w, p->h - half, half, p->update_seed);
	glTexSubImage2D(GL_TEXTURE_2D, 0, 0, half, p->w, p->h - half, GL_RGBA, GL_UNSIGNED_BYTE,
			texels);
	return tex;
}

/* One pixel to one texel: pixel centres fall on texel centres, so nearest sampling is exact. */
static void draw(const struct placement *p)
{
	glEnable(GL_TEXTURE_2D);
	glTexEnvi(GL_TEXTURE_ENV, GL_TEXTURE_ENV_MODE, GL_REPLACE);
	glBegin(GL_QUADS);
	glTexCoord2f(0.0f, 0.0f);
	glVertex2f((float)p->x, (float)p->y);
	glTexCoord2f(1.0f, 0.0f);
	glVertex2f((float)(p->x + p->w), (float)p->y);
	glTexCoord2f(1.0f, 1.0f);
	glVertex2f((float)(p->x + p->w), (float)(p->y + p->h));
	glTexCoord2f(0.0f, 1.0f);
	glVertex2f((float)p->x, (float)(p->y + p->h));
	glEnd();
	glDisable(GL_TEXTURE_2D);
}

static int check(unsigned frame, const struct placement *p, int width, int height, char *why,
		 size_t why_size)
{
	static struct rgba pixels[SOAK_FRAME_MAX * SOAK_FRAME_MAX];
	int wrong = 0, first_x = 0, first_y = 0;

	glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, pixels);
	for (int y = 0; y < height; y++) {
		for (int x = 0; x < width; x++) {
			struct rgba got = pixels[y * width + x], want = expected(frame, p, x, y);

			if (got.r == want.r && got.g == want.g && got.b == want.b)
				continue;
			if (wrong++ == 0) {
				first_x = x;
				first_y = y;
			}
		}
	}
	if (wrong == 0)
		return 0;
	{
		struct rgba got = pixels[first_y * width + first_x],
			    want = expected(frame, p, first_x, first_y);

		snprintf(why, why_size,
			 "frame %u: %d pixels wrong, first (%d,%d) %02x%02x%02x want %02x%02x%02x "
			 "(texture %dx%d at %d,%d)",
			 frame, wrong, first_x, first_y, got.r, got.g, got.b, want.r, want.g,
			 want.b, p->w, p->h, p->x, p->y);
	}
	return -1;
}

int soak_frame(unsigned frame, int width, int height, char *why, size_t why_size)
{
	struct placement p;
	struct rgba bg = background(frame);
	GLenum error;
	GLuint tex;

	if (width < SOAK_FRAME_MIN || height < SOAK_FRAME_MIN || width > SOAK_FRAME_MAX ||
	    height > SOAK_FRAME_MAX) {
		snprintf(why, why_size, "a %dx%d drawable: the soak needs %d to %d a side", width,
			 height, SOAK_FRAME_MIN, SOAK_FRAME_MAX);
		return -1;
	}
	p = place(frame, width, height);
	glDisable(GL_DITHER);
	glViewport(0, 0, width, height);
	glMatrixMode(GL_PROJECTION);
	glLoadIdentity();
	glOrtho(0.0, width, 0.0, height, -1.0, 1.0);
	glMatrixMode(GL_MODELVIEW);
	glLoadIdentity();
	glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
	glPixelStorei(GL_PACK_ALIGNMENT, 1);
	glReadBuffer(GL_BACK);

	glClearColor(bg.r / 255.0f, bg.g / 255.0f, bg.b / 255.0f, 1.0f);
	glClear(GL_COLOR_BUFFER_BIT);
	tex = upload(&p);
	draw(&p);
	glDeleteTextures(1, &tex);

	error = glGetError();
	if (error != GL_NO_ERROR) {
		snprintf(why, why_size, "frame %u: GL error 0x%x", frame, error);
		return -1;
	}
	return check(frame, &p, width, height, why, why_size);
}

static double now_s(void)
{
#ifdef _WIN32
	LARGE_INTEGER count, frequency;

	QueryPerformanceCounter(&count);
	QueryPerformanceFrequency(&frequency);
	return (double)count.QuadPart / (double)frequency.QuadPart;
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
#endif
}

int soak_parse_args(const char *program, int argc, char **argv, int default_size, double *seconds,
		    int *size)
{
	*seconds = argc > 1 ? atof(argv[1]) : 0;
	*size = argc > 2 ? atoi(argv[2]) : default_size;
	if (argc < 2 || argc > 3 || !(*seconds > 0) || *size < SOAK_FRAME_MIN ||
	    *size > SOAK_FRAME_MAX) {
		fprintf(stderr, "usage: %s SECONDS [SIZE (%d to %d)]\n", program, SOAK_FRAME_MIN,
			SOAK_FRAME_MAX);
		return 2;
	}
	return 0;
}

int soak_run(const char *program, int size, double seconds, void (*present)(void *ctx), void *ctx)
{
	const char *renderer = (const char *)glGetString(GL_RENDERER);
	double end = now_s() + seconds;
	unsigned frame = 0;
	char why[256];

	if (!renderer || !strstr(renderer, "vgpu")) {
		fprintf(stderr, "%s: the renderer is %s, not vgpu's\n", program,
			renderer ? renderer : "(none)");
		return 1;
	}
	while (now_s() < end) {
		if (soak_frame(frame, size, size, why, sizeof(why)) != 0) {
			fprintf(stderr, "%s: %s\n", program, why);
			return 1;
		}
		present(ctx);
		frame++;
	}
	printf("frames %u\n", frame);
	return 0;
}
