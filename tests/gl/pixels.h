/* SPDX-License-Identifier: MIT */
/* Pixels as glReadPixels(GL_RGBA, GL_UNSIGNED_BYTE) returns them, and their comparison. */
#ifndef VGPU_TESTS_GL_PIXELS_H
#define VGPU_TESTS_GL_PIXELS_H

#include <stdint.h>

static inline uint32_t rgba(unsigned r, unsigned g, unsigned b, unsigned a)
{
	return r | g << 8 | b << 16 | (uint32_t)a << 24;
}

/* Equal but for rounding: rasterizers may differ by a step or two per channel. */
static inline int near(uint32_t got, uint32_t want)
{
	int i;

	for (i = 0; i < 32; i += 8) {
		int d = (int)((got >> i) & 0xff) - (int)((want >> i) & 0xff);

		if (d < -2 || d > 2)
			return 0;
	}
	return 1;
}

#endif /* VGPU_TESTS_GL_PIXELS_H */
