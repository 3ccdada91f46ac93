/* SPDX-License-Identifier: MIT */
/*
 * The reference scene's resources (tools/common/triangle_scene.h) on one
 * client: a 256x256 B8G8R8A8 render target and a vertex buffer, both
 * mapped, plus the calls that move them between guest and host.
 */
#ifndef TESTOS_SCENARIOS_SCENE_H
#define TESTOS_SCENARIOS_SCENE_H

#include <stdint.h>

#include "client.h"
#include "triangle_scene.h"

struct scene {
	struct client *c;
	struct vgpu_resource_create rt;
	struct vgpu_resource_create vb;
	uint8_t *rt_pixels;
	uint8_t *vb_data;
	uint32_t rt_extents; /* pieces of the render target's backing */
};

/* Create and map both resources on a client that has its context. */
int scene_setup(struct scene *s, struct client *c);
/* Copy triangle_scene_vertices into the vertex buffer and send them to the host. */
int scene_upload_vertices(struct scene *s);
/* Run a stream that uses both resources. */
int scene_submit(struct scene *s, const uint32_t *cmds, uint32_t bytes);
/* Read the whole render target back into rt_pixels and wait for it. */
int scene_read_back(struct scene *s);

/* The pixel (x, y) of the read-back image, as B, G, R, A bytes. */
const uint8_t *scene_pixel(const struct scene *s, uint32_t x, uint32_t y);

#endif /* TESTOS_SCENARIOS_SCENE_H */
