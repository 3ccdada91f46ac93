/* SPDX-License-Identifier: MIT */
#include "torus.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TWO_PI 6.28318530718f

static void put_vertex(float *v, float major, float minor, float u, float w)
{
	float cu = cosf(u), su = sinf(u), cw = cosf(w), sw = sinf(w);

	/* The normal points from the tube's centre line to the surface. */
	v[0] = (major + minor * cw) * cu;
	v[1] = (major + minor * cw) * su;
	v[2] = minor * sw;
	v[3] = cw * cu;
	v[4] = cw * su;
	v[5] = sw;
}

static void put_quad(uint32_t *idx, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	const uint32_t quad[6] = { a, b, c, b, d, c };

	memcpy(idx, quad, sizeof(quad));
}

int torus_build(struct torus *t, float major, float minor, uint32_t rings, uint32_t sides)
{
	uint32_t i, j, n = 0;

	memset(t, 0, sizeof(*t));
	if (rings < 3 || sides < 3 || rings > 1024 || sides > 1024 || minor <= 0 || major <= minor)
		return -1;
	t->vertex_count = (rings + 1) * (sides + 1);
	t->index_count = rings * sides * 6;
	t->vertices = malloc(sizeof(float) * TORUS_FLOATS_PER_VERTEX * t->vertex_count);
	t->indices = malloc(sizeof(uint32_t) * t->index_count);
	if (!t->vertices || !t->indices) {
		torus_free(t);
		return -1;
	}
	for (i = 0; i <= rings; i++)
		for (j = 0; j <= sides; j++)
			put_vertex(&t->vertices[TORUS_FLOATS_PER_VERTEX * (i * (sides + 1) + j)],
				   major, minor, TWO_PI * i / rings, TWO_PI * j / sides);
	for (i = 0; i < rings; i++) {
		for (j = 0; j < sides; j++) {
			uint32_t a = i * (sides + 1) + j;

			put_quad(&t->indices[n], a, a + sides + 1, a + 1, a + sides + 2);
			n += 6;
		}
	}
	return 0;
}

void torus_free(struct torus *t)
{
	free(t->vertices);
	free(t->indices);
	memset(t, 0, sizeof(*t));
}
