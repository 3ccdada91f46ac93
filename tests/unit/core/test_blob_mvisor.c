/* SPDX-License-Identifier: MIT */
/*
 * HOST3D blobs on the Mvisor personality: CREATE_BLOB carries the gallium
 * description, and MAP_BLOB answers where the device placed the blob.  The
 * core checks that address (page-aligned, inside the window, covering the
 * blob, overlapping no other mapped blob) before mapping anything, and
 * takes a blob it refuses out of the device again.
 */
#include <string.h>

#include "blob_session.h"

#define REGION (64u * PAGE)

static void test_get_info_reports_blob_desc(void)
{
	struct fake_gpu_config cfg = blob_config(true, REGION);
	struct vgpu_get_info info;

	if (!blob_up(true, REGION))
		return;
	info = get_info(F);
	CHECK(info.features & VGPU_FEATURE_RESOURCE_BLOB);
	CHECK(info.features & VGPU_FEATURE_HOST_VISIBLE);
	CHECK(info.features & VGPU_FEATURE_BLOB_DESC);
	CHECK(!(info.features & VGPU_FEATURE_CONTEXT_INIT));
	CHECK_EQ(info.host_visible_size, REGION);
	down();

	/* without a region from the transport: the window where Mvisor places blobs */
	cfg.hide_shm_region = true;
	if (!blob_up_with(&cfg, true))
		return;
	info = get_info(F);
	CHECK(info.features & VGPU_FEATURE_HOST_VISIBLE);
	CHECK_EQ(info.host_visible_size, 256ull << 30);
	down();
}

static void test_unsupported_without_capability_or_mapping(void)
{
	struct fake_gpu_config cfg = blob_config(true, 0);
	struct vgpu_resource_create_blob b = blob_desc(PAGE, 1);
	struct vgpu_get_info info;

	if (!blob_up_with(&cfg, true))
		return;
	info = get_info(F);
	CHECK(!(info.features &
		(VGPU_FEATURE_RESOURCE_BLOB | VGPU_FEATURE_BLOB_DESC | VGPU_FEATURE_HOST_VISIBLE)));
	REJECTS(call(F, VGPU_IOCTL_RESOURCE_CREATE_BLOB, &b, sizeof(b)), VGPU_E_UNSUPPORTED);
	down();

	cfg = blob_config(true, REGION);
	CHECK_EQ(harness_fakes(&H, &cfg), VGPU_OK);
	H.os.os.map_device_user = NULL;
	CHECK_EQ(harness_create(&H), VGPU_OK);
	F = H.dev ? harness_open(&H, &H) : NULL;
	if (F) {
		CHECK_EQ(make_context(F), VGPU_OK);
		info = get_info(F);
		CHECK(info.features & VGPU_FEATURE_RESOURCE_BLOB);
		CHECK(!(info.features & VGPU_FEATURE_HOST_VISIBLE));
		REJECTS(call(F, VGPU_IOCTL_RESOURCE_CREATE_BLOB, &b, sizeof(b)),
			VGPU_E_UNSUPPORTED);
	}
	down();
}

static void test_create_carries_description(void)
{
	struct vgpu_resource_create_blob b = blob_desc(8 * PAGE, 9);
	const struct fake_gpu_res *res;
	struct fake_gpu_record rec;

	if (!blob_up(true, REGION))
		return;
	b.desc = texture_desc(32, 32, 1);
	b.desc.size = 0;
	b.desc.nr_samples = 1;
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_CREATE_BLOB, &b, sizeof(b)), VGPU_OK);
	CHECK(fake_gpu_last(&H.gpu, WIRE_CMD_RESOURCE_CREATE_BLOB, &rec));
	CHECK_EQ(rec.request_bytes, 96);
	CHECK_EQ(rec.queue, 0);
	res = fake_gpu_resource(&H.gpu, b.res_id);
	CHECK(res && res->blob && res->target == 2 && res->width == 32 && res->height == 32 &&
	      res->nr_samples == 0 && res->blob_id == 9 && res->blob_size == 8 * PAGE);
	CHECK(res && res->ctx_mask != 0);
	down();
}

static void test_map_where_device_placed(void)
{
	uint32_t first, second, res_id = 0;
	const struct fake_gpu_res *res;
	struct vgpu_resource_map m;

	if (!blob_up(true, REGION))
		return;
	first = make_blob(F, 2 * PAGE, 1, NULL);
	second = make_blob(F, PAGE, 2, &res_id);
	CHECK_EQ(map_offset(F, first), 0);
	CHECK_EQ(map_handle(F, second, &m), VGPU_OK);
	CHECK_EQ(m.size, PAGE);
	res = fake_gpu_resource(&H.gpu, res_id);
	CHECK(res && res->mapped && region_offset(&m) == res->map_offset);
	CHECK_EQ(region_offset(&m), 2 * PAGE);
	memset((void *)(uintptr_t)m.address, 0xa5, PAGE);
	CHECK_EQ(H.gpu.hv_mem[2 * PAGE], 0xa5);
	CHECK_EQ(unmap_handle(F, second), VGPU_OK);
	CHECK_EQ(map_offset(F, second), 2 * PAGE);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_MAP_BLOB), 2);
	CHECK_EQ(destroy_handle(F, first), VGPU_OK);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_UNMAP_BLOB), 1);
	/* the device's first fit reuses the hole, and the core accepts it */
	first = make_blob(F, PAGE, 3, NULL);
	CHECK_EQ(map_offset(F, first), 0);
	down();
}

/* Without a region from the transport, addresses from 256 GiB up are the device's to give. */
static void test_default_window(void)
{
	struct fake_gpu_config cfg = blob_config(true, REGION);
	struct vgpu_resource_map m;
	uint32_t handle;

	cfg.hide_shm_region = true;
	if (!blob_up_with(&cfg, true))
		return;
	handle = make_blob(F, PAGE, 1, NULL);
	CHECK_EQ(map_handle(F, handle, &m), VGPU_OK);
	CHECK_EQ(m.address, FAKE_GPU_MVISOR_WINDOW); /* the fake OS's stand-in address */
	down();
}

/* The next MAP_BLOB answer lies as `lie` says: the map fails and the blob is taken out again. */
static void check_answer_refused(uint32_t handle, const struct fake_gpu_map_answer *lie)
{
	uint64_t unmaps = fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_UNMAP_BLOB);
	unsigned mapped = fake_gpu_mapped_blobs(&H.gpu);

	fake_gpu_next_map_answer(&H.gpu, lie);
	CHECK_EQ(map_handle(F, handle, NULL), VGPU_E_DEVICE);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_UNMAP_BLOB), unmaps + 1);
	CHECK_EQ(fake_gpu_mapped_blobs(&H.gpu), mapped);
	CHECK_EQ(H.os.live_device_maps, 1);
}

static void test_bad_addresses_refused(void)
{
	uint32_t placed, handle;
	uint64_t base;

	if (!blob_up(true, REGION))
		return;
	base = H.gpu.hv_pa;
	placed = make_blob(F, 2 * PAGE, 1, NULL);
	CHECK_EQ(map_offset(F, placed), 0);
	handle = make_blob(F, 2 * PAGE, 2, NULL);
	check_answer_refused(handle, &(struct fake_gpu_map_answer){ .set = FAKE_GPU_MAP_GPA,
								    .gpa = base + 2 * PAGE +
									   1 }); /* misaligned */
	check_answer_refused(handle,
			     &(struct fake_gpu_map_answer){ .set = FAKE_GPU_MAP_GPA,
							    .gpa = base - 2 * PAGE }); /* below */
	check_answer_refused(handle, &(struct fake_gpu_map_answer){
					     .set = FAKE_GPU_MAP_GPA,
					     .gpa = base + REGION - PAGE }); /* past the end */
	check_answer_refused(
		handle, &(struct fake_gpu_map_answer){ .set = FAKE_GPU_MAP_GPA,
						       .gpa = UINT64_MAX - PAGE + 1 }); /* wraps */
	check_answer_refused(
		handle, &(struct fake_gpu_map_answer){ .set = FAKE_GPU_MAP_GPA,
						       .gpa = base + PAGE }); /* over `placed` */
	check_answer_refused(handle, &(struct fake_gpu_map_answer){ .set = FAKE_GPU_MAP_SIZE,
								    .size = PAGE }); /* too small */
	check_answer_refused(handle,
			     &(struct fake_gpu_map_answer){ .set = FAKE_GPU_MAP_INFO,
							    .map_info = WIRE_MAP_CACHE_NONE });
	/* an honest answer still works */
	CHECK_EQ(map_offset(F, handle), 2 * PAGE);
	down();
}

static void test_error_and_truncated_answers(void)
{
	uint32_t handle;

	if (!blob_up(true, REGION))
		return;
	handle = make_blob(F, PAGE, 1, NULL);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_RESOURCE_MAP_BLOB, FAKE_GPU_ERROR,
			  WIRE_RESP_ERR_INVALID_PARAMETER, 1);
	CHECK_EQ(map_handle(F, handle, NULL), VGPU_E_DEVICE);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_UNMAP_BLOB), 0);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_RESOURCE_MAP_BLOB, FAKE_GPU_ERROR,
			  WIRE_RESP_ERR_OUT_OF_MEMORY, 1);
	CHECK_EQ(map_handle(F, handle, NULL), VGPU_E_NO_MEMORY);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_UNMAP_BLOB), 0);
	/* Mvisor's 48-byte answer cut short: the device did map, so the core unmaps */
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_RESOURCE_MAP_BLOB, FAKE_GPU_TRUNCATE, 0, 1);
	CHECK_EQ(map_handle(F, handle, NULL), VGPU_E_DEVICE);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_UNMAP_BLOB), 1);
	CHECK_EQ(fake_gpu_mapped_blobs(&H.gpu), 0);
	CHECK_EQ(map_offset(F, handle), 0);
	down();
}

/* Host-visible memory full: NO_MEMORY as the ABI says, as on the standard device. */
static void test_full_memory_is_no_memory(void)
{
	uint32_t big, more;

	if (!blob_up(true, REGION))
		return;
	big = make_blob(F, REGION, 1, NULL);
	more = make_blob(F, PAGE, 2, NULL);
	CHECK_EQ(map_offset(F, big), 0);
	CHECK_EQ(map_handle(F, more, NULL), VGPU_E_NO_MEMORY);
	CHECK_EQ(fake_gpu_mapped_blobs(&H.gpu), 1);
	/* room again: the same blob maps */
	CHECK_EQ(destroy_handle(F, big), VGPU_OK);
	CHECK_EQ(map_offset(F, more), 0);
	down();
}

/* A device-chosen range whose UNMAP_BLOB got no answer is never accepted again. */
static void test_unmap_timeout_keeps_range(void)
{
	struct vgpu_file *other;
	uint32_t handle;

	if (!blob_up(true, REGION))
		return;
	handle = make_blob(F, PAGE, 1, NULL);
	CHECK_EQ(map_offset(F, handle), 0);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_RESOURCE_UNMAP_BLOB, FAKE_GPU_DROP, 0, 1);
	CHECK_EQ(destroy_handle(F, handle), VGPU_OK);
	other = harness_open(&H, &H.gpu);
	CHECK(other != NULL);
	if (other) {
		CHECK_EQ(make_context(other), VGPU_OK);
		handle = make_blob(other, PAGE, 1, NULL);
		/* the device (which did unmap) places it at 0 again: the core refuses */
		CHECK_EQ(map_handle(other, handle, NULL), VGPU_E_DEVICE);
		CHECK_EQ(fake_gpu_mapped_blobs(&H.gpu), 0);
		vgpu_file_close(other);
	}
	down();
}

static void test_close_with_mapped_blobs(void)
{
	uint32_t handle;

	if (!blob_up(true, REGION))
		return;
	for (uint32_t i = 1; i <= 3; i++) {
		handle = make_blob(F, i * PAGE, i, NULL);
		CHECK(map_offset(F, handle) != UINT64_MAX);
	}
	CHECK_EQ(H.os.live_device_maps, 3);
	vgpu_file_close(F);
	F = NULL;
	CHECK_EQ(H.os.live_device_maps, 0);
	CHECK_EQ(fake_gpu_mapped_blobs(&H.gpu), 0);
	CHECK_EQ(fake_gpu_live_resources(&H.gpu), 0);
	CHECK_EQ(fake_gpu_stats(&H.gpu).leaked_at_reset, 0);
	down();
}

int main(void)
{
	RUN(test_get_info_reports_blob_desc);
	RUN(test_unsupported_without_capability_or_mapping);
	RUN(test_create_carries_description);
	RUN(test_map_where_device_placed);
	RUN(test_default_window);
	RUN(test_bad_addresses_refused);
	RUN(test_error_and_truncated_answers);
	RUN(test_full_memory_is_no_memory);
	RUN(test_unmap_timeout_keeps_range);
	RUN(test_close_with_mapped_blobs);
	return tap_done();
}
