/* SPDX-License-Identifier: MIT */
/*
 * The TEST device model's host-visible memory (devmodel/host_visible.h) on
 * the real virglrenderer and llvmpipe: a HOST3D blob buffer created the way
 * a guest does (PIPE_RESOURCE_CREATE with a blob id, then CREATE_BLOB),
 * mapped by the renderer and placed in the region.  Bytes written through
 * a separate mapping of the region's file (what a client process has) must
 * be what the renderer reads from the buffer, and the renderer's writes
 * must show in the region, with no copy in between; giving the blob back
 * must leave the renderer its data and the region's range empty.
 */
#define VIRGL_RENDERER_UNSTABLE_APIS
#include <linux/virtio_gpu.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <virgl/virglrenderer.h>

#include "host_visible.h"
#include "keep_loaded.h"
#include "tap.h"

#define REGION_BYTES (1u << 20)
#define BLOB_BYTES (64u * 1024u)
#define BLOB_OFFSET (128u * 1024u)
#define CTX_ID 1u
#define RES_ID 7u
#define BLOB_ID 42u
/* virgl protocol facts: PIPE_RESOURCE_CREATE (11 dwords), a buffer, its flags. */
#define CCMD_PIPE_RESOURCE_CREATE 48u
#define PIPE_BUFFER 0u
#define FORMAT_R8_UNORM 64u
#define BIND_VERTEX_BUFFER (1u << 4)
#define RESOURCE_FLAG_MAP_PERSISTENT (1u << 1)
#define RESOURCE_FLAG_MAP_COHERENT (1u << 2)

struct virgl_box {
	uint32_t x, y, z, w, h, d;
};

static struct host_visible hv;
static uint8_t *client_view; /* the region as another process maps it */
static void *renderer_ptr;
static uint64_t renderer_size;

static void on_fence(void *cookie, uint32_t fence)
{
}

static struct virgl_renderer_callbacks callbacks = { .version = 4, .write_fence = on_fence };

static void test_renderer_and_region_start(void)
{
	CHECK_EQ(virgl_renderer_init(&callbacks,
				     VIRGL_RENDERER_USE_EGL | VIRGL_RENDERER_USE_SURFACELESS,
				     &callbacks),
		 0);
	host_gl_keep_loaded();
	CHECK_EQ(host_visible_init(&hv, REGION_BYTES, 0), 0);
	CHECK(hv.fd >= 0);
	client_view = mmap(NULL, REGION_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, hv.fd, 0);
	CHECK(client_view != MAP_FAILED);
}

static void test_blob_maps_page_aligned(void)
{
	uint32_t cmd[12] = {
		CCMD_PIPE_RESOURCE_CREATE | 11u << 16,
		PIPE_BUFFER,
		FORMAT_R8_UNORM,
		BIND_VERTEX_BUFFER,
		BLOB_BYTES,
		1,
		1,
		1,
		0,
		0,
		RESOURCE_FLAG_MAP_PERSISTENT | RESOURCE_FLAG_MAP_COHERENT,
		BLOB_ID,
	};
	struct virgl_renderer_resource_create_blob_args args = {
		.res_handle = RES_ID,
		.ctx_id = CTX_ID,
		.blob_mem = VIRTIO_GPU_BLOB_MEM_HOST3D,
		.blob_flags = VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE,
		.blob_id = BLOB_ID,
		.size = BLOB_BYTES,
	};
	uint32_t map_info = 0;

	/* virglrenderer 0.10 reports map_info only for contexts made with a capset id. */
	CHECK_EQ(virgl_renderer_context_create_with_flags(CTX_ID, VIRTIO_GPU_CAPSET_VIRGL2, 4,
							  "test"),
		 0);
	CHECK_EQ(virgl_renderer_submit_cmd(cmd, CTX_ID, 12), 0);
	CHECK_EQ(virgl_renderer_resource_create_blob(&args), 0);
	virgl_renderer_ctx_attach_resource(CTX_ID, RES_ID);
	CHECK_EQ(virgl_renderer_resource_map(RES_ID, &renderer_ptr, &renderer_size), 0);
	CHECK_EQ(renderer_size, BLOB_BYTES);
	CHECK_EQ((uintptr_t)renderer_ptr % (uintptr_t)sysconf(_SC_PAGESIZE), 0);
	/* Not relied on by the model (its guest gets ordinary cached pages): reported only. */
	printf("# renderer mapping %p, %llu bytes, map_info query %d (0x%x)\n", renderer_ptr,
	       (unsigned long long)renderer_size,
	       virgl_renderer_resource_get_map_info(RES_ID, &map_info), map_info);
}

static void test_placement_is_checked(void)
{
	CHECK_EQ(host_visible_map(&hv, RES_ID, 100, renderer_ptr, renderer_size),
		 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	CHECK_EQ(host_visible_map(&hv, RES_ID, REGION_BYTES - 4096, renderer_ptr, renderer_size),
		 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	CHECK_EQ(host_visible_map(&hv, RES_ID, 0, (uint8_t *)renderer_ptr + 1, 4096),
		 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	CHECK(!host_visible_is_mapped(&hv, RES_ID));
}

/*
 * The renderer's pointer is llvmpipe's buffer storage itself (what draws
 * read).  virglrenderer cannot TRANSFER_FROM a persistently mapped buffer
 * ("unable to open buffer for reading"), so the bytes are checked there.
 */
static void test_guest_writes_reach_the_renderer(void)
{
	const uint8_t *buffer = renderer_ptr;

	memset(renderer_ptr, 0x11, BLOB_BYTES); /* what the renderer held before */
	CHECK_EQ(host_visible_map(&hv, RES_ID, BLOB_OFFSET, renderer_ptr, renderer_size),
		 VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(host_visible_is_mapped(&hv, RES_ID));
	CHECK_EQ(client_view[BLOB_OFFSET + 5], 0x11);
	for (unsigned i = 0; i < 256; i++)
		client_view[BLOB_OFFSET + 1000 + i] = (uint8_t)(i ^ 0x5a);
	for (unsigned i = 0; i < 256; i++) {
		if (buffer[1000 + i] != (uint8_t)(i ^ 0x5a)) {
			CHECK_EQ(buffer[1000 + i], (uint8_t)(i ^ 0x5a));
			break;
		}
	}
}

/* What llvmpipe writes into the buffer's storage (stream output, SSBOs) the guest sees. */
static void test_renderer_writes_reach_the_guest(void)
{
	memset((uint8_t *)renderer_ptr + 4096, 0xc3, 64);
	CHECK_EQ(client_view[BLOB_OFFSET + 4096], 0xc3);
	CHECK_EQ(client_view[BLOB_OFFSET + 4096 + 63], 0xc3);
	CHECK_EQ(client_view[BLOB_OFFSET + 4096 + 64], 0x11);
}

static void test_space_is_found_around_mappings(void)
{
	uint64_t offset = 1;

	CHECK(host_visible_find_space(&hv, BLOB_BYTES, &offset));
	CHECK_EQ(offset, 0);
	CHECK(host_visible_find_space(&hv, BLOB_OFFSET + 4096, &offset));
	CHECK_EQ(offset, BLOB_OFFSET + BLOB_BYTES);
	CHECK(!host_visible_find_space(&hv, REGION_BYTES, &offset));
}

static void test_unmap_gives_the_renderer_its_memory_back(void)
{
	CHECK_EQ(host_visible_unmap(&hv, RES_ID), VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(!host_visible_is_mapped(&hv, RES_ID));
	CHECK_EQ(host_visible_unmap(&hv, RES_ID), VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	/* The renderer keeps the last contents; the region's range is empty again. */
	CHECK_EQ(((uint8_t *)renderer_ptr)[1000 + 3], 3 ^ 0x5a);
	CHECK_EQ(((uint8_t *)renderer_ptr)[4096], 0xc3);
	CHECK_EQ(client_view[BLOB_OFFSET + 1003], 0);
	client_view[BLOB_OFFSET] = 0x77;
	CHECK_EQ(((uint8_t *)renderer_ptr)[0], 0x11);
	CHECK_EQ(virgl_renderer_resource_unmap(RES_ID), 0);
	virgl_renderer_resource_unref(RES_ID);
	virgl_renderer_context_destroy(CTX_ID);
}

static void test_no_region_maps_nothing(void)
{
	struct host_visible none;
	uint64_t offset;

	CHECK_EQ(host_visible_init(&none, 0, 0), 0);
	CHECK_EQ(none.fd, -1);
	CHECK(!host_visible_find_space(&none, 4096, &offset));
	CHECK_EQ(host_visible_map(&none, 1, 0, renderer_ptr, 4096),
		 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	CHECK(host_visible_init(&none, 1000, 0) != 0);
	host_visible_fini(&none);
}

int main(void)
{
	RUN(test_renderer_and_region_start);
	RUN(test_blob_maps_page_aligned);
	RUN(test_placement_is_checked);
	RUN(test_guest_writes_reach_the_renderer);
	RUN(test_renderer_writes_reach_the_guest);
	RUN(test_space_is_found_around_mappings);
	RUN(test_unmap_gives_the_renderer_its_memory_back);
	RUN(test_no_region_maps_nothing);
	munmap(client_view, REGION_BYTES);
	host_visible_fini(&hv);
	virgl_renderer_cleanup(&callbacks);
	return tap_done();
}
