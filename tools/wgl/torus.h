/* SPDX-License-Identifier: MIT */
/* A torus mesh with per-vertex normals, for the demo. */
#ifndef VGPU_WGL_TORUS_H
#define VGPU_WGL_TORUS_H

#include <stdint.h>

/* Per vertex: position xyz, normal xyz. */
#define TORUS_FLOATS_PER_VERTEX 6

struct torus {
	float *vertices;   /* (rings + 1) * (sides + 1) vertices */
	uint32_t *indices; /* rings * sides * 6: two triangles per quad */
	uint32_t vertex_count;
	uint32_t index_count;
};

/*
 * A torus around the z axis: `major` radius to the tube's centre, `minor`
 * the tube's; `rings` segments around, `sides` around the tube (3..1024).
 * Returns 0, or -1 on bad arguments or no memory.
 */
int torus_build(struct torus *t, float major, float minor, uint32_t rings, uint32_t sides);
void torus_free(struct torus *t);

#endif /* VGPU_WGL_TORUS_H */
