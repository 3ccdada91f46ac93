/* SPDX-License-Identifier: MIT */
/* libvgpu over its socket channel: blobs and the views RESOURCE_MAP gives of
 * guest memory and of the host-visible region, and the maps it must refuse. */
#include <stdio.h>
#include <string.h>

#include "socket_client.h"

static void test_create_blob_framing(void)
{
	struct vgpu_dev *dev = open_default();
	struct vgpu_resource_create_blob blob = {
		.blob_mem = VGPU_BLOB_MEM_HOST3D,
		.blob_flags = VGPU_BLOB_FLAG_MAPPABLE,
		.blob_id = 7,
		.size = 16384,
		.desc = { .target = 0,
			  .format = 64,
			  .bind = 0x10,
			  .width = 16384,
			  .height = 1,
			  .depth = 1,
			  .array_size = 1 },
		.handle = 55,
		.res_id = 66,
	};
	struct vgpu_resource_create_blob sent;
	struct fake_request req;

	CHECK_EQ(vgpu_resource_create_blob(dev, &blob), VGPU_OK);
	req = last_request();
	memcpy(&sent, req.in, sizeof(sent));
	CHECK_EQ(req.code, VGPU_IOCTL_RESOURCE_CREATE_BLOB);
	CHECK_EQ(req.in_size, sizeof(sent));
	CHECK_EQ(req.payload_size, 0);
	CHECK_EQ(sent.blob_mem, VGPU_BLOB_MEM_HOST3D);
	CHECK_EQ(sent.blob_flags, VGPU_BLOB_FLAG_MAPPABLE);
	CHECK_EQ(sent.blob_id, 7);
	CHECK_EQ(sent.size, 16384);
	CHECK_EQ(sent.desc.width, 16384);
	CHECK_EQ(sent.desc.bind, 0x10);
	CHECK_EQ(sent.handle, 0);
	CHECK_EQ(sent.res_id, 0);
	CHECK_EQ(blob.handle, 2);
	CHECK_EQ(blob.res_id, 200);
	/* A refusal leaves the caller's struct alone. */
	server.status[VGPU_CTL_FN(VGPU_IOCTL_RESOURCE_CREATE_BLOB) - 0x900] = VGPU_E_UNSUPPORTED;
	blob.handle = 0;
	CHECK_EQ(vgpu_resource_create_blob(dev, &blob), VGPU_E_UNSUPPORTED);
	CHECK_EQ(blob.handle, 0);
	CHECK_EQ(vgpu_resource_create_blob(dev, NULL), VGPU_E_INVALID);
	CHECK_EQ(vgpu_resource_create_blob(NULL, &blob), VGPU_E_INVALID);
	finish(dev);
}

/* Region pages 2 and 5, the later first: the view must show them in extent order. */
static void script_region_map(void)
{
	server.map_file = VGPU_SOCK_FILE_HOST_VISIBLE;
	server.extents[0] = (struct vgpu_sock_extent){ .offset = 5 * 4096, .len = 4096 };
	server.extents[1] = (struct vgpu_sock_extent){ .offset = 2 * 4096, .len = 4096 };
}

/* Writes through the view land in the region file, and guest memory stays untouched. */
static void check_view_is_region(void *ptr)
{
	char a[4096], b[4096], m[4096];
	char *p = ptr;

	memset(p, 'R', 4096);
	memset(p + 4096, 'S', 4096);
	CHECK_EQ(pread(server.region_fd, a, sizeof(a), 5 * 4096), (ssize_t)sizeof(a));
	CHECK_EQ(pread(server.region_fd, b, sizeof(b), 2 * 4096), (ssize_t)sizeof(b));
	CHECK(a[0] == 'R' && a[4095] == 'R');
	CHECK(b[0] == 'S' && b[4095] == 'S');
	CHECK_EQ(pread(server.mem_fd, m, sizeof(m), 5 * 4096), (ssize_t)sizeof(m));
	CHECK(m[0] == 0 && m[4095] == 0);
	CHECK_EQ(pwrite(server.region_fd, "hvm", 3, 2 * 4096 + 30), 3);
	CHECK(memcmp(p + 4096 + 30, "hvm", 3) == 0);
}

/* The region's descriptor came with the hello: the path it names is never needed. */
static void test_region_fd_received(void)
{
	struct vgpu_dev *dev;
	void *ptr = NULL;

	fake_init(&server);
	snprintf(server.region_path, sizeof(server.region_path), "/nonexistent-dir/region");
	script_region_map();
	CHECK_EQ(open_on(&server, &dev), VGPU_OK);
	if (!dev) {
		fake_stop(&server);
		return;
	}
	CHECK_EQ(vgpu_info(dev)->host_visible_size, FAKE_REGION_SIZE);
	CHECK_EQ(vgpu_resource_map(dev, 1, &ptr, NULL), VGPU_OK);
	if (ptr)
		check_view_is_region(ptr);
	finish(dev);
}

static void test_map_region_at_offset(void)
{
	struct vgpu_dev *dev = open_default();
	void *ptr = NULL;
	uint64_t size = 0;

	script_region_map();
	CHECK_EQ(vgpu_resource_map(dev, 1, &ptr, &size), VGPU_OK);
	CHECK_EQ(size, 2 * 4096);
	if (ptr)
		check_view_is_region(ptr);
	CHECK_EQ(vgpu_resource_unmap(dev, 1), VGPU_OK);
	if (ptr)
		CHECK(!is_mapped(ptr));
	finish(dev);
}

/* Clients without descriptor passing open the region by the path the hello names. */
static void test_map_region_by_path(void)
{
	struct vgpu_dev *dev;
	void *ptr = NULL;

	fake_init(&server);
	server.pass_fd = false;
	script_region_map();
	CHECK_EQ(open_on(&server, &dev), VGPU_OK);
	CHECK_EQ(vgpu_resource_map(dev, 1, &ptr, NULL), VGPU_OK);
	if (ptr)
		check_view_is_region(ptr);
	finish(dev);
}

/*
 * A MAP reply the client must not follow: the call fails with TRANSPORT,
 * nothing is mapped, the connection is broken and nothing crashes.
 */
static void check_map_rejected(bool region, uint32_t map_file, enum fake_fault fault,
			       uint64_t ext_offset)
{
	struct vgpu_get_stats stats;
	struct vgpu_dev *dev;
	void *ptr = NULL;

	fake_init(&server);
	server.region = region;
	server.map_file = map_file;
	server.fault = fault;
	server.fault_code = VGPU_IOCTL_RESOURCE_MAP;
	server.extents[0].offset = ext_offset;
	if (open_on(&server, &dev) != VGPU_OK) {
		CHECK(!"open failed");
		fake_stop(&server);
		return;
	}
	CHECK_EQ(vgpu_resource_map(dev, 1, &ptr, NULL), VGPU_E_TRANSPORT);
	CHECK(ptr == NULL);
	CHECK_EQ(vgpu_get_stats(dev, &stats), VGPU_E_TRANSPORT);
	finish(dev);
}

static void test_bad_mem_file(void)
{
	check_map_rejected(true, VGPU_SOCK_FILE_GUEST_MEMORY, FAULT_BAD_MEM_FILE, 3 * 4096);
}

/* Inside guest memory (64 KiB) but past the end of the region (32 KiB). */
static void test_extent_outside_region(void)
{
	check_map_rejected(true, VGPU_SOCK_FILE_HOST_VISIBLE, FAULT_NONE, FAKE_REGION_SIZE);
}

static void test_region_file_without_region(void)
{
	check_map_rejected(false, VGPU_SOCK_FILE_HOST_VISIBLE, FAULT_NONE, 3 * 4096);
}

static void test_map_lays_extents_end_to_end(void)
{
	struct vgpu_dev *dev = open_default();
	void *ptr = NULL, *again = NULL;
	uint64_t size = 0;
	unsigned int before;

	CHECK_EQ(vgpu_resource_map(dev, 1, &ptr, &size), VGPU_OK);
	CHECK_EQ(size, 2 * 4096);
	CHECK_EQ(last_request().code, VGPU_IOCTL_RESOURCE_MAP);
	if (!ptr) {
		finish(dev);
		return;
	}
	check_view_is_memory(ptr);
	/* A second MAP is the same view, without asking the server. */
	before = fake_count(&server);
	CHECK_EQ(vgpu_resource_map(dev, 1, &again, NULL), VGPU_OK);
	CHECK(again == ptr);
	CHECK_EQ(fake_count(&server), before);
	CHECK_EQ(vgpu_resource_unmap(dev, 1), VGPU_OK);
	CHECK_EQ(last_request().code, VGPU_IOCTL_RESOURCE_UNMAP);
	CHECK(!is_mapped(ptr));
	finish(dev);
}

static void test_destroy_drops_view(void)
{
	struct vgpu_dev *dev = open_default();
	void *ptr = NULL;

	CHECK_EQ(vgpu_resource_map(dev, 1, &ptr, NULL), VGPU_OK);
	CHECK(ptr && is_mapped(ptr));
	CHECK_EQ(vgpu_resource_destroy(dev, 1), VGPU_OK);
	CHECK_EQ(last_request().code, VGPU_IOCTL_RESOURCE_DESTROY);
	CHECK(!is_mapped(ptr));
	finish(dev);
}

static void test_map_refused(void)
{
	struct vgpu_dev *dev = open_default();
	void *ptr = (void *)&ptr;

	server.status[VGPU_CTL_FN(VGPU_IOCTL_RESOURCE_MAP) - 0x900] = VGPU_E_BAD_HANDLE;
	CHECK_EQ(vgpu_resource_map(dev, 9, &ptr, NULL), VGPU_E_BAD_HANDLE);
	CHECK(ptr == (void *)&ptr);
	/* Not broken: the next call goes through. */
	server.status[VGPU_CTL_FN(VGPU_IOCTL_RESOURCE_MAP) - 0x900] = VGPU_OK;
	CHECK_EQ(vgpu_resource_map(dev, 9, &ptr, NULL), VGPU_OK);
	finish(dev);
}

int main(void)
{
	RUN(test_create_blob_framing);
	RUN(test_region_fd_received);
	RUN(test_map_region_at_offset);
	RUN(test_map_region_by_path);
	RUN(test_bad_mem_file);
	RUN(test_extent_outside_region);
	RUN(test_region_file_without_region);
	RUN(test_map_lays_extents_end_to_end);
	RUN(test_destroy_drops_view);
	RUN(test_map_refused);
	return tap_done();
}
