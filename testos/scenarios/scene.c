/* SPDX-License-Identifier: MIT */
#include "scene.h"

#include <string.h>

#include "../shell/gpu.h"

static int create_and_map(struct client *c, struct vgpu_resource_create *desc, uint8_t **map)
{
	void *ptr;
	uint64_t size;
	int ret = client_resource(c, desc);

	if (ret != VGPU_OK)
		return ret;
	ret = client_map(c, desc->handle, &ptr, &size);
	if (ret != VGPU_OK)
		return ret;
	if (size < desc->size)
		return VGPU_E_INVALID;
	*map = ptr;
	return VGPU_OK;
}

int scene_setup(struct scene *s, struct client *c)
{
	int ret;

	*s = (struct scene){
		.c = c,
		.rt = { .target = VSTREAM_TARGET_TEXTURE_2D,
			.format = TRIANGLE_SCENE_FORMAT,
			.bind = VSTREAM_BIND_RENDER_TARGET | VSTREAM_BIND_SAMPLER_VIEW,
			.width = TRIANGLE_SCENE_WIDTH,
			.height = TRIANGLE_SCENE_HEIGHT,
			.depth = 1,
			.array_size = 1,
			.size = TRIANGLE_SCENE_RT_BYTES },
		.vb = { .target = VSTREAM_TARGET_BUFFER,
			.format = VSTREAM_FORMAT_R8_UNORM,
			.bind = VSTREAM_BIND_VERTEX_BUFFER,
			.width = TRIANGLE_SCENE_VB_BYTES,
			.height = 1,
			.depth = 1,
			.array_size = 1,
			.size = TRIANGLE_SCENE_VB_BYTES },
	};
	ret = create_and_map(c, &s->rt, &s->rt_pixels);
	if (ret != VGPU_OK)
		return ret;
	s->rt_extents = c->gpu->env.last_backing_extents;
	return create_and_map(c, &s->vb, &s->vb_data);
}

int scene_upload_vertices(struct scene *s)
{
	const struct vgpu_transfer t = {
		.handle = s->vb.handle,
		.box = { .w = TRIANGLE_SCENE_VB_BYTES, .h = 1, .d = 1 },
	};

	memcpy(s->vb_data, triangle_scene_vertices, TRIANGLE_SCENE_VB_BYTES);
	return client_transfer(s->c, true, &t);
}

int scene_submit(struct scene *s, const uint32_t *cmds, uint32_t bytes)
{
	const uint32_t handles[2] = { s->rt.handle, s->vb.handle };

	return client_submit(s->c, cmds, bytes, handles, 2);
}

int scene_read_back(struct scene *s)
{
	const struct vgpu_transfer t = {
		.handle = s->rt.handle,
		.box = { .w = TRIANGLE_SCENE_WIDTH, .h = TRIANGLE_SCENE_HEIGHT, .d = 1 },
		.stride = TRIANGLE_SCENE_STRIDE,
	};
	int ret = client_transfer(s->c, false, &t);

	return ret == VGPU_OK ? client_finish(s->c) : ret;
}

const uint8_t *scene_pixel(const struct scene *s, uint32_t x, uint32_t y)
{
	return s->rt_pixels + (size_t)y * TRIANGLE_SCENE_STRIDE + (size_t)x * 4u;
}
