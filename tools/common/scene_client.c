/* SPDX-License-Identifier: MIT */
/*
 * The reference scene through libvgpu (scene_client.h).
 */
#include "scene_client.h"

#include <string.h>

#include "triangle_scene.h"
#include "virgl_stream.h"

/* Remember which call failed, so that messages can say more than a code. */
static int step(struct scene_client *c, const char *name, int status)
{
	if (status != VGPU_OK)
		c->failed_step = name;
	return status;
}

static int create_and_map(struct scene_client *c, struct vgpu_resource_create *req,
			  uint32_t *handle, uint32_t *res_id, uint8_t **map)
{
	uint64_t size = 0;
	void *ptr = NULL;
	int ret;

	ret = step(c, "vgpu_resource_create", vgpu_resource_create(c->dev, req));
	if (ret)
		return ret;
	*handle = req->handle;
	*res_id = req->res_id;
	ret = step(c, "vgpu_resource_map", vgpu_resource_map(c->dev, *handle, &ptr, &size));
	if (ret)
		return ret;
	if (size < req->size)
		return step(c, "vgpu_resource_map (mapping smaller than the resource)",
			    VGPU_E_INVALID);
	*map = ptr;
	return VGPU_OK;
}

int scene_client_attach(struct scene_client *c, struct vgpu_dev *dev)
{
	struct vgpu_resource_create rt = {
		.target = VSTREAM_TARGET_TEXTURE_2D,
		.format = TRIANGLE_SCENE_FORMAT,
		.bind = VSTREAM_BIND_RENDER_TARGET | VSTREAM_BIND_SAMPLER_VIEW,
		.width = TRIANGLE_SCENE_WIDTH,
		.height = TRIANGLE_SCENE_HEIGHT,
		.depth = 1,
		.array_size = 1,
		.size = TRIANGLE_SCENE_RT_BYTES,
	};
	struct vgpu_resource_create vb = {
		.target = VSTREAM_TARGET_BUFFER,
		.format = VSTREAM_FORMAT_R8_UNORM,
		.bind = VSTREAM_BIND_VERTEX_BUFFER,
		.width = TRIANGLE_SCENE_VB_BYTES,
		.height = 1,
		.depth = 1,
		.array_size = 1,
		.size = TRIANGLE_SCENE_VB_BYTES,
	};
	int ret;

	memset(c, 0, sizeof(*c));
	c->dev = dev;
	if (!dev)
		return step(c, "scene_client_attach (no device)", VGPU_E_INVALID);
	ret = create_and_map(c, &rt, &c->rt, &c->rt_res_id, &c->rt_pixels);
	if (ret)
		return ret;
	return create_and_map(c, &vb, &c->vb, &c->vb_res_id, &c->vb_data);
}

int scene_client_open(struct scene_client *c, const char *debug_name)
{
	struct vgpu_dev *dev = NULL;
	int ret = vgpu_open(&dev);

	memset(c, 0, sizeof(*c));
	if (ret)
		return step(c, "vgpu_open", ret);
	c->dev = dev;
	ret = step(c, "vgpu_context_create",
		   vgpu_context_create(dev, VGPU_CAPSET_VIRGL2, debug_name));
	if (ret)
		return ret;
	return scene_client_attach(c, dev);
}

static int upload_vertices(struct scene_client *c)
{
	const struct vgpu_transfer t = {
		.handle = c->vb,
		.box = { .w = TRIANGLE_SCENE_VB_BYTES, .h = 1, .d = 1 },
	};

	memcpy(c->vb_data, triangle_scene_vertices, TRIANGLE_SCENE_VB_BYTES);
	return step(c, "vgpu_transfer_to_host", vgpu_transfer_to_host(c->dev, &t, NULL));
}

static int submit_scene(struct scene_client *c)
{
	static uint32_t cmds[TRIANGLE_SCENE_MAX_DWORDS];
	const uint32_t handles[2] = { c->rt, c->vb };
	struct vstream s;

	vstream_init(&s, cmds, TRIANGLE_SCENE_MAX_DWORDS);
	triangle_scene_encode(&s, c->rt_res_id, c->vb_res_id);
	if (!vstream_ok(&s))
		return step(c, "triangle_scene_encode (stream too long)", VGPU_E_NO_MEMORY);
	return step(c, "vgpu_submit",
		    vgpu_submit(c->dev, cmds, vstream_size_bytes(&s), handles, 2, NULL));
}

int scene_client_read_back(struct scene_client *c)
{
	const struct vgpu_transfer t = {
		.handle = c->rt,
		.box = { .w = TRIANGLE_SCENE_WIDTH, .h = TRIANGLE_SCENE_HEIGHT, .d = 1 },
		.stride = TRIANGLE_SCENE_STRIDE,
	};
	int ret;

	ret = step(c, "vgpu_transfer_from_host",
		   vgpu_transfer_from_host(c->dev, &t, &c->last_fence));
	if (ret)
		return ret;
	return step(c, "vgpu_wait_fence",
		    vgpu_wait_fence(c->dev, c->last_fence, SCENE_CLIENT_WAIT_NS));
}

int scene_client_render(struct scene_client *c)
{
	int ret;

	if (!c->rt_pixels || !c->vb_data)
		return step(c, "scene_client_render (not set up)", VGPU_E_STATE);
	ret = upload_vertices(c);
	if (ret)
		return ret;
	ret = submit_scene(c);
	if (ret)
		return ret;
	return scene_client_read_back(c);
}

int scene_client_check(const struct scene_client *c, FILE *log, const char *prefix)
{
	return triangle_scene_check(c->rt_pixels, TRIANGLE_SCENE_STRIDE, log, prefix);
}

void scene_client_release(struct scene_client *c)
{
	if (!c->dev)
		return;
	if (c->vb)
		vgpu_resource_destroy(c->dev, c->vb);
	if (c->rt)
		vgpu_resource_destroy(c->dev, c->rt);
	c->vb = c->rt = 0;
	c->vb_data = c->rt_pixels = NULL;
}

void scene_client_close(struct scene_client *c)
{
	scene_client_release(c);
	if (c->dev)
		vgpu_close(c->dev);
	c->dev = NULL;
}
