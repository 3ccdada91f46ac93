/* SPDX-License-Identifier: MIT */
/*
 * HOST3D blobs through the whole stack on the TEST device model: libvgpu ->
 * socket -> vgpu-sim (the core; the host-visible region the model handed
 * over) -> vgpu-devmodel -> virglrenderer.  Run with VGPU_SIM_DEVICE=model
 * or model-mvisor.
 *
 * A blob buffer is created as each personality wants it (standard: the
 * virgl object first, by PIPE_RESOURCE_CREATE with the blob id; Mvisor:
 * the description in the call), mapped, filled with the reference scene's
 * vertices through the mapping alone and drawn from as the vertex buffer:
 * the picture proves the renderer read the bytes without any transfer.
 * Then the same mapping is rewritten (solid yellow vertices) and drawn
 * again: coherent, no re-upload.  Everything released leaves nothing
 * behind; blob calls the driver must refuse are refused.
 */
#include <stdlib.h>
#include <string.h>

#include "blob_client.h"
#include "integration.h"
#include "triangle_scene.h"
#include "virgl_stream.h"

#define BLOB_BYTES 4096u
#define VERTEX_FLOATS 8u
#define MODEL_REGION_BYTES (256ull << 20)
/* Inside the triangle; and a corner outside it. */
#define INSIDE_X 128u
#define INSIDE_Y 150u
#define OUTSIDE_X 5u
#define OUTSIDE_Y 5u

static struct vgpu_dev *dev;
static struct scene_client scene;
static uint32_t next_blob_id = 100;
static struct vgpu_resource_create_blob blob;
static float *vertices; /* the blob's mapping */

static const char *device_name(void)
{
	const char *env = getenv("VGPU_SIM_DEVICE");

	return env ? env : "";
}

/* A vertex buffer blob of BLOB_BYTES with the given blob flags, as the personality wants it. */
static int create_blob(struct vgpu_resource_create_blob *b, uint32_t blob_flags)
{
	return blob_client_create(dev, next_blob_id++, blob_flags, BLOB_BYTES, b);
}

static void test_device_offers_blobs(void)
{
	const struct vgpu_get_info *info;
	bool blob_desc; /* Mvisor: the device creates the virgl object itself */

	CHECK_EQ(vgpu_open(&dev), VGPU_OK);
	if (!dev)
		return;
	info = vgpu_info(dev);
	CHECK(info->features & VGPU_FEATURE_RESOURCE_BLOB);
	CHECK(info->features & VGPU_FEATURE_HOST_VISIBLE);
	CHECK_EQ(info->host_visible_size, MODEL_REGION_BYTES);
	blob_desc = info->features & VGPU_FEATURE_BLOB_DESC;
	CHECK_EQ(blob_desc, strcmp(device_name(), "model-mvisor") == 0);
	CHECK_EQ(info->personality,
		 blob_desc ? VGPU_PERSONALITY_MVISOR : VGPU_PERSONALITY_STANDARD);
}

static void test_create_and_map(void)
{
	void *ptr = NULL;
	uint64_t size = 0;

	if (!dev)
		return;
	CHECK_EQ(vgpu_context_create(dev, VGPU_CAPSET_VIRGL2, "test_devmodel_blob"), VGPU_OK);
	CHECK_CLIENT(&scene, scene_client_attach(&scene, dev));
	CHECK_EQ(create_blob(&blob, VGPU_BLOB_FLAG_MAPPABLE), VGPU_OK);
	CHECK(blob.handle != 0 && blob.res_id != 0);
	CHECK_EQ(vgpu_resource_map(dev, blob.handle, &ptr, &size), VGPU_OK);
	CHECK(ptr != NULL && size >= BLOB_BYTES);
	vertices = ptr;
}

static int submit(struct vstream *s)
{
	const uint32_t handles[2] = { scene.rt, blob.handle };

	if (!vstream_ok(s))
		return VGPU_E_NO_MEMORY;
	return vgpu_submit(dev, s->buf, vstream_size_bytes(s), handles, 2, NULL);
}

/* Pixel (x, y) of the read-back image, B8G8R8A8. */
static const uint8_t *pixel(uint32_t x, uint32_t y)
{
	return scene.rt_pixels + y * TRIANGLE_SCENE_STRIDE + x * TRIANGLE_SCENE_BYTES_PER_PIXEL;
}

static bool is_bgra(const uint8_t *p, uint8_t b, uint8_t g, uint8_t r)
{
	return p[0] == b && p[1] == g && p[2] == r && p[3] == 255;
}

static bool expect_bgra(const uint8_t *p, uint8_t b, uint8_t g, uint8_t r)
{
	if (is_bgra(p, b, g, r))
		return true;
	printf("# pixel BGRA (%u, %u, %u, %u), want (%u, %u, %u, 255)\n", p[0], p[1], p[2], p[3], b,
	       g, r);
	return false;
}

static void test_draw_from_mapping(void)
{
	static uint32_t cmds[TRIANGLE_SCENE_MAX_DWORDS];
	struct vstream s;

	CHECK(vertices != NULL);
	if (!vertices)
		return;
	memcpy(vertices, triangle_scene_vertices, TRIANGLE_SCENE_VB_BYTES);
	vstream_init(&s, cmds, TRIANGLE_SCENE_MAX_DWORDS);
	triangle_scene_encode(&s, scene.rt_res_id, blob.res_id);
	CHECK_EQ(submit(&s), VGPU_OK);
	CHECK_CLIENT(&scene, scene_client_read_back(&scene));
	CHECK_EQ(scene_client_check(&scene, stdout, "# first draw: "), 0);
}

/* The same mapping, new bytes, no transfer: the next draw must use them. */
static void test_rewrite_and_draw_again(void)
{
	static uint32_t cmds[64];
	struct vstream s;

	CHECK(vertices != NULL);
	if (!vertices)
		return;
	CHECK(!is_bgra(pixel(INSIDE_X, INSIDE_Y), 0, 255, 255));
	for (unsigned v = 0; v < 3; v++) {
		float *color = vertices + v * VERTEX_FLOATS + 4;

		color[0] = 1.0f; /* yellow */
		color[1] = 1.0f;
		color[2] = 0.0f;
		color[3] = 1.0f;
	}
	vstream_init(&s, cmds, 64);
	vstream_clear_color(&s, triangle_scene_clear_color);
	vstream_draw_arrays(&s, VSTREAM_PRIM_TRIANGLES, 0, 3);
	CHECK_EQ(submit(&s), VGPU_OK);
	CHECK_CLIENT(&scene, scene_client_read_back(&scene));
	CHECK(expect_bgra(pixel(INSIDE_X, INSIDE_Y), 0, 255, 255));
	CHECK(expect_bgra(pixel(OUTSIDE_X, OUTSIDE_Y), 153, 102, 51));
}

static void test_release_leaves_nothing(void)
{
	const struct vgpu_get_stats want = { .open_files = 1, .contexts = 1 };
	struct vgpu_get_stats got;

	if (!dev)
		return;
	CHECK_EQ(vgpu_resource_unmap(dev, blob.handle), VGPU_OK);
	CHECK_EQ(vgpu_resource_unmap(dev, blob.handle), VGPU_E_STATE);
	CHECK_EQ(vgpu_resource_destroy(dev, blob.handle), VGPU_OK);
	CHECK_EQ(vgpu_resource_destroy(dev, blob.handle), VGPU_E_BAD_HANDLE);
	vertices = NULL;
	scene_client_release(&scene);
	CHECK(stats_settle(dev, &want, &got));
	CHECK_EQ(got.device_errors, 0);
}

/* A second blob gets the region's range the first one gave back, and its bytes start clean. */
static void test_map_again_after_destroy(void)
{
	struct vgpu_resource_create_blob b;
	void *ptr = NULL;
	uint64_t size = 0;

	if (!dev)
		return;
	CHECK_EQ(create_blob(&b, VGPU_BLOB_FLAG_MAPPABLE), VGPU_OK);
	CHECK_EQ(vgpu_resource_map(dev, b.handle, &ptr, &size), VGPU_OK);
	if (ptr) {
		static const uint8_t zero[TRIANGLE_SCENE_VB_BYTES];

		CHECK(memcmp(ptr, zero, sizeof(zero)) == 0);
	}
	CHECK_EQ(vgpu_resource_destroy(dev, b.handle), VGPU_OK);
}

/* Blob calls the kernel must refuse, each with its code, leaving nothing behind. */
static void test_blob_errors(void)
{
	const struct vgpu_get_stats want = { .open_files = 1, .contexts = 1 };
	struct vgpu_resource_create_blob b;
	struct vgpu_get_stats got;
	struct vgpu_dev *bare = NULL;
	struct vgpu_transfer t = { .box = { .w = 16, .h = 1, .d = 1 } };
	void *ptr = NULL;

	if (!dev)
		return;
	/* Not MAPPABLE: it exists, and cannot be mapped. */
	CHECK_EQ(create_blob(&b, 0), VGPU_OK);
	CHECK_EQ(vgpu_resource_map(dev, b.handle, &ptr, NULL), VGPU_E_INVALID);
	CHECK(ptr == NULL);
	/* No guest backing: no transfers. */
	t.handle = b.handle;
	CHECK_EQ(vgpu_transfer_to_host(dev, &t, NULL), VGPU_E_INVALID);
	CHECK_EQ(vgpu_transfer_from_host(dev, &t, NULL), VGPU_E_INVALID);
	CHECK_EQ(vgpu_resource_destroy(dev, b.handle), VGPU_OK);

	CHECK_EQ(create_blob(&b, VGPU_BLOB_FLAG_MAPPABLE), VGPU_OK);
	CHECK_EQ(vgpu_resource_destroy(dev, b.handle), VGPU_OK);
	b.blob_id = 0;
	CHECK_EQ(vgpu_resource_create_blob(dev, &b), VGPU_E_INVALID);
	b.blob_id = 1ull << 32;
	CHECK_EQ(vgpu_resource_create_blob(dev, &b), VGPU_E_INVALID);
	b.blob_id = next_blob_id++;
	b.size = BLOB_BYTES + 1;
	CHECK_EQ(vgpu_resource_create_blob(dev, &b), VGPU_E_INVALID);
	b.size = BLOB_BYTES;
	b.blob_mem = 1; /* GUEST: not offered */
	CHECK_EQ(vgpu_resource_create_blob(dev, &b), VGPU_E_INVALID);
	b.blob_mem = VGPU_BLOB_MEM_HOST3D;
	b.blob_flags = 1u << 5;
	CHECK_EQ(vgpu_resource_create_blob(dev, &b), VGPU_E_INVALID);
	b.blob_flags = VGPU_BLOB_FLAG_MAPPABLE;
	b.desc.size = BLOB_BYTES;
	CHECK_EQ(vgpu_resource_create_blob(dev, &b), VGPU_E_INVALID);
	/* A handle without a context has nowhere to create one. */
	CHECK_EQ(vgpu_open(&bare), VGPU_OK);
	if (bare) {
		b.desc.size = 0;
		CHECK_EQ(vgpu_resource_create_blob(bare, &b), VGPU_E_STATE);
		vgpu_close(bare);
	}
	CHECK(stats_settle(dev, &want, &got));
}

static void test_close(void)
{
	if (dev)
		vgpu_close(dev);
	dev = NULL;
}

int main(void)
{
	RUN(test_sim_starts);
	RUN(test_device_offers_blobs);
	RUN(test_create_and_map);
	RUN(test_draw_from_mapping);
	RUN(test_rewrite_and_draw_again);
	RUN(test_release_leaves_nothing);
	RUN(test_map_again_after_destroy);
	RUN(test_blob_errors);
	RUN(test_close);
	RUN(test_sim_stops_cleanly);
	return tap_done();
}
