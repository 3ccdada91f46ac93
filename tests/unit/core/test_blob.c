/* SPDX-License-Identifier: MIT */
/*
 * HOST3D blobs on the standard personality: RESOURCE_CREATE_BLOB and its
 * checks, RESOURCE_MAP through the device's host-visible memory (shared
 * memory region 1, where the driver chooses each blob's place), the
 * allocator of that memory, and what the core does when the device answers
 * MAP_BLOB or UNMAP_BLOB badly or not at all.  The fake device counts a
 * blob placed outside the region or over another as a violation, and the
 * fake OS a user mapping outside it or over another.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "blob_session.h"

#define REGION (64u * PAGE)

static int create_blob(struct vgpu_resource_create_blob b)
{
	return call(F, VGPU_IOCTL_RESOURCE_CREATE_BLOB, &b, sizeof(b));
}

static void test_get_info_reports_blobs(void)
{
	struct vgpu_get_info info;

	if (!blob_up(false, REGION))
		return;
	info = get_info(F);
	CHECK(info.features & VGPU_FEATURE_RESOURCE_BLOB);
	CHECK(info.features & VGPU_FEATURE_HOST_VISIBLE);
	CHECK(info.features & VGPU_FEATURE_CONTEXT_INIT);
	CHECK(!(info.features & VGPU_FEATURE_BLOB_DESC));
	CHECK_EQ(info.host_visible_size, REGION);
	down();
}

/* Blob support needs the feature, the region and a way to map it: else UNSUPPORTED. */
static void check_blobs_unsupported(const struct fake_gpu_config *cfg, bool blob_feature)
{
	struct vgpu_get_info info;

	if (!blob_up_with(cfg, true))
		return;
	info = get_info(F);
	CHECK_EQ(!!(info.features & VGPU_FEATURE_RESOURCE_BLOB), blob_feature);
	CHECK(!(info.features & VGPU_FEATURE_HOST_VISIBLE));
	CHECK_EQ(info.host_visible_size, 0);
	REJECTS(create_blob(blob_desc(PAGE, 1)), VGPU_E_UNSUPPORTED);
	down();
}

static void test_unsupported_without_blob_feature(void)
{
	struct fake_gpu_config cfg = blob_config(false, REGION);

	cfg.features &= ~(1ull << VIRTIO_GPU_FEAT_RESOURCE_BLOB);
	check_blobs_unsupported(&cfg, false);
	check_blobs_unsupported(NULL, false);
}

static void test_unsupported_without_region(void)
{
	struct fake_gpu_config cfg = blob_config(false, REGION);

	cfg.hide_shm_region = true;
	check_blobs_unsupported(&cfg, true);
	cfg = blob_config(false, 0);
	check_blobs_unsupported(&cfg, true);
}

static void test_unsupported_without_map_device_user(void)
{
	struct fake_gpu_config cfg = blob_config(false, REGION);
	struct vgpu_get_info info;

	CHECK_EQ(harness_fakes(&H, &cfg), VGPU_OK);
	H.os.os.map_device_user = NULL;
	CHECK_EQ(harness_create(&H), VGPU_OK);
	F = H.dev ? harness_open(&H, &H) : NULL;
	if (F) {
		CHECK_EQ(make_context(F), VGPU_OK);
		info = get_info(F);
		CHECK(info.features & VGPU_FEATURE_RESOURCE_BLOB);
		CHECK(!(info.features & VGPU_FEATURE_HOST_VISIBLE));
		REJECTS(create_blob(blob_desc(PAGE, 1)), VGPU_E_UNSUPPORTED);
	}
	down();
}

static void test_create_sends_blob_and_attaches(void)
{
	struct vgpu_get_stats before, after;
	const struct fake_gpu_res *res;
	struct fake_gpu_record ctx, rec;
	struct vgpu_resource_create_blob b = blob_desc(4 * PAGE, 77);

	if (!blob_up(false, REGION))
		return;
	CHECK_EQ(call(F, VGPU_IOCTL_GET_STATS, &before, sizeof(before)), VGPU_OK);
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_CREATE_BLOB, &b, sizeof(b)), VGPU_OK);
	CHECK(b.handle != 0 && b.res_id != 0);
	CHECK(fake_gpu_last(&H.gpu, WIRE_CMD_CTX_CREATE, &ctx));
	CHECK(fake_gpu_last(&H.gpu, WIRE_CMD_RESOURCE_CREATE_BLOB, &rec));
	CHECK_EQ(rec.request_bytes, sizeof(struct wire_resource_create_blob));
	CHECK_EQ(rec.ctx_id, ctx.ctx_id);
	CHECK_EQ(rec.resource_id, b.res_id);
	/* the context resolves the blob's id in its command streams */
	CHECK(fake_gpu_last(&H.gpu, WIRE_CMD_CTX_ATTACH_RESOURCE, &rec));
	CHECK_EQ(rec.resource_id, b.res_id);
	CHECK_EQ(rec.ctx_id, ctx.ctx_id);
	res = fake_gpu_resource(&H.gpu, b.res_id);
	CHECK(res && res->blob && res->blob_id == 77 && res->blob_size == 4 * PAGE &&
	      res->blob_flags == 1 && !res->mapped && !res->entries);
	CHECK_EQ(call(F, VGPU_IOCTL_GET_STATS, &after, sizeof(after)), VGPU_OK);
	CHECK_EQ(after.resources, before.resources + 1);
	CHECK_EQ(after.backing_bytes, before.backing_bytes);
	CHECK_EQ(destroy_handle(F, b.handle), VGPU_OK);
	CHECK_EQ(fake_gpu_live_resources(&H.gpu), 0);
	CHECK_EQ(call(F, VGPU_IOCTL_GET_STATS, &after, sizeof(after)), VGPU_OK);
	CHECK_EQ(after.resources, before.resources);
	down();
}

/* The blob `base`, changed by `edits` (expressions on `b`), is refused as invalid. */
#define REJECTS_BLOB(...)                                                                          \
	do {                                                                                       \
		struct vgpu_resource_create_blob b = blob_desc(PAGE, 1);                           \
		__VA_ARGS__;                                                                       \
		REJECTS(create_blob(b), VGPU_E_INVALID);                                           \
	} while (0)

static void test_create_rejects_blob_mem(void)
{
	if (!blob_up(false, REGION))
		return;
	REJECTS_BLOB(b.blob_mem = 0);
	REJECTS_BLOB(b.blob_mem = 1 /* guest */);
	REJECTS_BLOB(b.blob_mem = 3 /* host3d_guest */);
	REJECTS_BLOB(b.blob_mem = 0xffffffffu);
	down();
}

static void test_create_rejects_flags(void)
{
	if (!blob_up(false, REGION))
		return;
	REJECTS_BLOB(b.blob_flags = 1u << 1);
	REJECTS_BLOB(b.blob_flags = VGPU_BLOB_FLAG_MAPPABLE | (1u << 31));
	down();
}

static void test_create_rejects_blob_id(void)
{
	if (!blob_up(false, REGION))
		return;
	REJECTS_BLOB(b.blob_id = 0);
	REJECTS_BLOB(b.blob_id = 1ull << 32);
	REJECTS_BLOB(b.blob_id = UINT64_MAX);
	/* the boundary itself is accepted */
	CHECK(make_blob(F, PAGE, 0xffffffffu, NULL) != 0);
	down();
}

static void test_create_rejects_size(void)
{
	if (!blob_up(false, REGION))
		return;
	REJECTS_BLOB(b.size = 0);
	REJECTS_BLOB(b.size = PAGE - 1);
	REJECTS_BLOB(b.size = PAGE + 1);
	REJECTS_BLOB(b.size = VGPU_MAX_RESOURCE_BYTES + PAGE);
	REJECTS_BLOB(b.size = UINT64_MAX - PAGE + 1);
	down();
}

static void test_create_rejects_desc(void)
{
	if (!blob_up(false, REGION))
		return;
	REJECTS_BLOB(b.desc.size = PAGE);
	REJECTS_BLOB(b.desc.handle = 1);
	REJECTS_BLOB(b.desc.res_id = 1);
	REJECTS_BLOB(b.desc.width = 0);
	REJECTS_BLOB(b.desc.height = 2);
	REJECTS_BLOB(b.desc.target = 99);
	REJECTS_BLOB(b.desc.flags = 1u << 5);
	REJECTS_BLOB(b.desc = texture_desc(64, 64, 8));
	down();
}

static void test_create_before_context(void)
{
	struct fake_gpu_config cfg = blob_config(false, REGION);

	if (!blob_up_with(&cfg, false))
		return;
	REJECTS(create_blob(blob_desc(PAGE, 1)), VGPU_E_STATE);
	down();
}

static void test_device_refuses_create(void)
{
	if (!blob_up(false, REGION))
		return;
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_RESOURCE_CREATE_BLOB, FAKE_GPU_ERROR,
			  WIRE_RESP_ERR_INVALID_PARAMETER, 1);
	CHECK_EQ(create_blob(blob_desc(PAGE, 1)), VGPU_E_DEVICE);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_CTX_ATTACH_RESOURCE), 0);
	/* the attach fails: the blob is released on the device again */
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_CTX_ATTACH_RESOURCE, FAKE_GPU_ERROR,
			  WIRE_RESP_ERR_UNSPEC, 1);
	CHECK_EQ(create_blob(blob_desc(PAGE, 2)), VGPU_E_DEVICE);
	CHECK_EQ(fake_gpu_live_resources(&H.gpu), 0);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_UNREF), 1);
	down();
}

static void test_map_unmap_destroy(void)
{
	struct vgpu_resource_map m, again;
	uint32_t res_id = 0, handle;
	const struct fake_gpu_res *res;
	struct fake_gpu_record rec;

	if (!blob_up(false, REGION))
		return;
	handle = make_blob(F, 4 * PAGE, 5, &res_id);
	CHECK(handle != 0);
	CHECK_EQ(map_handle(F, handle, &m), VGPU_OK);
	CHECK_EQ(m.size, 4 * PAGE);
	CHECK(fake_gpu_last(&H.gpu, WIRE_CMD_RESOURCE_MAP_BLOB, &rec));
	CHECK_EQ(rec.resource_id, res_id);
	res = fake_gpu_resource(&H.gpu, res_id);
	CHECK(res && res->mapped);
	if (res)
		CHECK_EQ(region_offset(&m), res->map_offset);
	CHECK_EQ(H.os.last_device_cache, VGPU_CACHE_CACHED);
	CHECK_EQ(H.os.live_device_maps, 1);
	/* the mapping is the device's memory: what user mode writes, the device holds */
	memset((void *)(uintptr_t)m.address, 0x5a, 4 * PAGE);
	CHECK_EQ(H.gpu.hv_mem[region_offset(&m) + 4 * PAGE - 1], 0x5a);

	CHECK_EQ(map_handle(F, handle, &again), VGPU_OK);
	CHECK_EQ(again.address, m.address);
	CHECK_EQ(unmap_handle(F, handle), VGPU_OK);
	CHECK_EQ(H.os.live_device_maps, 0);
	/* the device mapping stays: a second MAP maps the same range, without a command */
	CHECK_EQ(fake_gpu_mapped_blobs(&H.gpu), 1);
	CHECK_EQ(map_handle(F, handle, &again), VGPU_OK);
	CHECK_EQ(region_offset(&again), region_offset(&m));
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_MAP_BLOB), 1);
	CHECK_EQ(unmap_handle(F, handle), VGPU_OK);
	CHECK_EQ(unmap_handle(F, handle), VGPU_E_STATE);

	CHECK_EQ(destroy_handle(F, handle), VGPU_OK);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_UNMAP_BLOB), 1);
	CHECK_EQ(fake_gpu_mapped_blobs(&H.gpu), 0);
	CHECK_EQ(fake_gpu_live_resources(&H.gpu), 0);
	/* destroying a mapped blob unmaps it first */
	handle = make_blob(F, PAGE, 6, NULL);
	CHECK_EQ(map_offset(F, handle), 0);
	CHECK_EQ(destroy_handle(F, handle), VGPU_OK);
	CHECK_EQ(H.os.live_device_maps, 0);
	CHECK_EQ(fake_gpu_mapped_blobs(&H.gpu), 0);
	down();
}

static void test_map_passes_cache_type(void)
{
	static const struct {
		uint32_t map_info;
		enum vgpu_cache_type cache;
	} cases[] = {
		{ WIRE_MAP_CACHE_UNCACHED, VGPU_CACHE_UNCACHED },
		{ WIRE_MAP_CACHE_WC, VGPU_CACHE_WRITE_COMBINED },
		{ WIRE_MAP_CACHE_CACHED | 0x30u, VGPU_CACHE_CACHED }, /* bits outside the mask */
		/* no type stated: QEMU's answer for virgl buffers, mapped cached as Linux does */
		{ WIRE_MAP_CACHE_NONE, VGPU_CACHE_CACHED },
	};

	if (!blob_up(false, REGION))
		return;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake_gpu_map_answer lie = { .set = FAKE_GPU_MAP_INFO,
						   .map_info = cases[i].map_info };
		uint32_t handle = make_blob(F, PAGE, i + 1, NULL);

		fake_gpu_next_map_answer(&H.gpu, &lie);
		CHECK(map_offset(F, handle) != UINT64_MAX);
		CHECK_EQ(H.os.last_device_cache, cases[i].cache);
	}
	down();
}

/*
 * An OS that will not map the window (Windows: it overlaps RAM, or a routine
 * is missing) says why; the blob stays usable once it can.
 */
static void test_map_refused_by_os(void)
{
	static const int refusals[] = { VGPU_E_DEVICE, VGPU_E_UNSUPPORTED, VGPU_E_INVALID };
	uint32_t handle;

	if (!blob_up(false, REGION))
		return;
	handle = make_blob(F, PAGE, 1, NULL);
	for (unsigned i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		H.os.device_map_refusal = refusals[i];
		CHECK_EQ(map_handle(F, handle, NULL),
			 refusals[i] == VGPU_E_INVALID ? VGPU_E_NO_MEMORY : refusals[i]);
	}
	H.os.device_map_refusal = 0;
	CHECK(map_offset(F, handle) != UINT64_MAX);
	down();
}

static void test_blob_transfers_refused_submit_wait_work(void)
{
	struct vgpu_wait w = { .kind = VGPU_WAIT_RESOURCE, .timeout_ns = SECOND };
	uint32_t handle;

	if (!blob_up(false, REGION))
		return;
	handle = make_blob(F, PAGE, 1, NULL);
	REJECTS(transfer_buffer(F, VGPU_IOCTL_TRANSFER_TO_HOST, handle, 0, 16, 1), VGPU_E_INVALID);
	REJECTS(transfer_buffer(F, VGPU_IOCTL_TRANSFER_FROM_HOST, handle, 0, 16, 1),
		VGPU_E_INVALID);
	CHECK_EQ(submit(F, &handle, 1, 4, 1), VGPU_OK);
	w.handle = handle;
	CHECK_EQ(call(F, VGPU_IOCTL_WAIT, &w, sizeof(w)), VGPU_OK);
	CHECK_EQ(w.completed, 1);
	down();
}

static void test_map_of_unmappable_blob(void)
{
	struct vgpu_resource_create_blob b = blob_desc(PAGE, 1);
	struct vgpu_resource_map m;

	if (!blob_up(false, REGION))
		return;
	b.blob_flags = 0;
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_CREATE_BLOB, &b, sizeof(b)), VGPU_OK);
	REJECTS(map_handle(F, b.handle, &m), VGPU_E_INVALID);
	CHECK_EQ(H.os.live_device_maps, 0);
	down();
}

/* Blobs of `pages` pages, created and mapped in order; their offsets in offsets[]. */
static void map_blobs(uint32_t *handles, uint64_t *offsets, unsigned n, uint32_t pages,
		      uint64_t first_id)
{
	for (unsigned i = 0; i < n; i++) {
		handles[i] = make_blob(F, (uint64_t)pages * PAGE, first_id + i, NULL);
		CHECK(handles[i] != 0);
		offsets[i] = map_offset(F, handles[i]);
	}
}

static void test_allocator_exhaustion_and_reuse(void)
{
	uint32_t handles[4], last;
	uint64_t offsets[4];
	uint64_t maps;

	if (!blob_up(false, 16 * PAGE))
		return;
	map_blobs(handles, offsets, 4, 4, 1);
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ(offsets[i], i * 4 * PAGE);
	last = make_blob(F, PAGE, 9, NULL);
	maps = fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_MAP_BLOB);
	CHECK_EQ(map_handle(F, last, NULL), VGPU_E_NO_MEMORY);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_MAP_BLOB), maps);
	/* an unmapped view gives nothing back: the device mapping stays */
	CHECK_EQ(unmap_handle(F, handles[2]), VGPU_OK);
	CHECK_EQ(map_handle(F, last, NULL), VGPU_E_NO_MEMORY);
	CHECK_EQ(destroy_handle(F, handles[2]), VGPU_OK);
	CHECK_EQ(map_offset(F, last), 8 * PAGE);
	down();
}

static void test_allocator_fragmentation(void)
{
	uint32_t handles[4], big, small;
	uint64_t offsets[4];

	if (!blob_up(false, 16 * PAGE))
		return;
	map_blobs(handles, offsets, 4, 4, 1);
	CHECK_EQ(destroy_handle(F, handles[0]), VGPU_OK);
	CHECK_EQ(destroy_handle(F, handles[2]), VGPU_OK);
	/* 8 pages free, but in two holes */
	big = make_blob(F, 8 * PAGE, 10, NULL);
	CHECK_EQ(map_handle(F, big, NULL), VGPU_E_NO_MEMORY);
	small = make_blob(F, 2 * PAGE, 11, NULL);
	CHECK_EQ(map_offset(F, small), 0); /* first fit */
	CHECK_EQ(destroy_handle(F, handles[1]), VGPU_OK);
	/* pages 2..11 are free now */
	CHECK_EQ(map_offset(F, big), 2 * PAGE);
	down();
}

/* After a device error the range is free again; out of memory is NO_MEMORY, as on Mvisor. */
static void test_map_error_answer(void)
{
	uint32_t handle;

	if (!blob_up(false, REGION))
		return;
	handle = make_blob(F, PAGE, 1, NULL);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_RESOURCE_MAP_BLOB, FAKE_GPU_ERROR,
			  WIRE_RESP_ERR_OUT_OF_MEMORY, 1);
	CHECK_EQ(map_handle(F, handle, NULL), VGPU_E_NO_MEMORY);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_RESOURCE_MAP_BLOB, FAKE_GPU_ERROR, WIRE_RESP_ERR_UNSPEC,
			  1);
	CHECK_EQ(map_handle(F, handle, NULL), VGPU_E_DEVICE);
	CHECK_EQ(H.os.live_device_maps, 0);
	/* refused: nothing to unmap, and the range is free */
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_UNMAP_BLOB), 0);
	CHECK_EQ(map_offset(F, handle), 0);
	down();
}

/* The device answered, but not OK_MAP_INFO: it may have mapped; the core unmaps. */
static void test_map_wrong_answer_type(void)
{
	uint32_t first, second;

	if (!blob_up(false, REGION))
		return;
	first = make_blob(F, PAGE, 1, NULL);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_RESOURCE_MAP_BLOB, FAKE_GPU_ERROR, WIRE_RESP_OK_NODATA,
			  1);
	CHECK_EQ(map_handle(F, first, NULL), VGPU_E_DEVICE);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_UNMAP_BLOB), 1);
	/* the device refused that unmap: the range stays reserved, the next blob goes elsewhere */
	second = make_blob(F, PAGE, 2, NULL);
	CHECK_EQ(map_offset(F, second), PAGE);
	CHECK_EQ(map_offset(F, first), 2 * PAGE);
	down();
}

static void test_map_bad_cache_type(void)
{
	static const uint32_t bad[] = { 4, 0xf };
	uint32_t handle;

	if (!blob_up(false, REGION))
		return;
	handle = make_blob(F, PAGE, 1, NULL);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fake_gpu_map_answer lie = { .set = FAKE_GPU_MAP_INFO, .map_info = bad[i] };

		fake_gpu_next_map_answer(&H.gpu, &lie);
		CHECK_EQ(map_handle(F, handle, NULL), VGPU_E_DEVICE);
		CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_UNMAP_BLOB), i + 1);
		CHECK_EQ(fake_gpu_mapped_blobs(&H.gpu), 0);
		CHECK_EQ(H.os.live_device_maps, 0);
	}
	/* each unmap was answered: the range was given back every time */
	CHECK_EQ(map_offset(F, handle), 0);
	down();
}

static void test_map_truncated_answer(void)
{
	uint32_t handle;

	if (!blob_up(false, REGION))
		return;
	handle = make_blob(F, PAGE, 1, NULL);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_RESOURCE_MAP_BLOB, FAKE_GPU_TRUNCATE, 0, 1);
	CHECK_EQ(map_handle(F, handle, NULL), VGPU_E_DEVICE);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_UNMAP_BLOB), 1);
	CHECK_EQ(fake_gpu_mapped_blobs(&H.gpu), 0);
	CHECK_EQ(map_offset(F, handle), 0);
	down();
}

/* A MAP_BLOB never answered: its range is never handed out again. */
static void test_map_timeout_keeps_range(void)
{
	struct vgpu_file *other;
	uint32_t handle;

	if (!blob_up(false, REGION))
		return;
	handle = make_blob(F, 2 * PAGE, 1, NULL);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_RESOURCE_MAP_BLOB, FAKE_GPU_DROP, 0, 1);
	CHECK_EQ(map_handle(F, handle, NULL), VGPU_E_TIMEOUT);
	other = harness_open(&H, &H.gpu);
	CHECK(other != NULL);
	if (other) {
		CHECK_EQ(make_context(other), VGPU_OK);
		handle = make_blob(other, PAGE, 1, NULL);
		CHECK_EQ(map_offset(other, handle), 2 * PAGE);
		vgpu_file_close(other);
	}
	down();
}

/* An UNMAP_BLOB never answered: its range stays reserved until the device is reset. */
static void test_unmap_timeout_keeps_range(void)
{
	uint32_t handle;

	if (!blob_up(false, REGION))
		return;
	handle = make_blob(F, 2 * PAGE, 1, NULL);
	CHECK_EQ(map_offset(F, handle), 0);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_RESOURCE_UNMAP_BLOB, FAKE_GPU_DROP, 0, 1);
	CHECK_EQ(destroy_handle(F, handle), VGPU_OK);
	CHECK_EQ(H.os.live_device_maps, 0);
	handle = make_blob(F, 2 * PAGE, 2, NULL);
	CHECK_EQ(map_offset(F, handle), 2 * PAGE);
	down();
}

static void test_close_with_mapped_blobs(void)
{
	uint32_t handles[3];
	uint64_t offsets[3];

	if (!blob_up(false, REGION))
		return;
	map_blobs(handles, offsets, 3, 2, 1);
	CHECK_EQ(H.os.live_device_maps, 3);
	vgpu_file_close(F);
	F = NULL;
	CHECK_EQ(H.os.live_device_maps, 0);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_UNMAP_BLOB), 3);
	CHECK_EQ(fake_gpu_mapped_blobs(&H.gpu), 0);
	CHECK_EQ(fake_gpu_live_resources(&H.gpu), 0);
	CHECK_EQ(fake_gpu_stats(&H.gpu).leaked_at_reset, 0);
	down();
}

static void test_device_lost_with_mapped_blobs(void)
{
	uint32_t handles[2], handle;
	uint64_t offsets[2], start;

	if (!blob_up(false, REGION))
		return;
	map_blobs(handles, offsets, 2, 1, 1);
	handle = make_blob(F, PAGE, 3, NULL);
	fake_gpu_die(&H.gpu);
	vgpu_device_mark_lost(H.dev);
	CHECK_EQ(map_handle(F, handle, NULL), VGPU_E_DEVICE_LOST);
	start = now_ns();
	vgpu_file_close(F);
	F = NULL;
	CHECK(now_ns() - start < HARNESS_COMMAND_TIMEOUT_NS);
	CHECK_EQ(H.os.live_device_maps, 0);
	down();
}

/*
 * Before the shell resets a device it keeps (power-down): the device
 * unmaps every blob it mapped, once, while it still answers; no blob is
 * mapped again on that core, and the files' own unmaps later still work.
 */
static void test_give_back_before_reset(void)
{
	uint32_t handles[2], unmapped;
	uint64_t offsets[2];

	if (!blob_up(false, REGION))
		return;
	map_blobs(handles, offsets, 2, 1, 1);
	unmapped = make_blob(F, PAGE, 3, NULL);
	vgpu_device_give_back_blobs(H.dev);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_UNMAP_BLOB), 2);
	CHECK_EQ(fake_gpu_mapped_blobs(&H.gpu), 0);
	vgpu_device_give_back_blobs(H.dev);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_UNMAP_BLOB), 2);
	CHECK_EQ(map_handle(F, unmapped, NULL), VGPU_E_DEVICE_LOST);
	CHECK_EQ(map_handle(F, handles[0], NULL), VGPU_E_DEVICE_LOST);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_MAP_BLOB), 2);
	CHECK_EQ(destroy_handle(F, handles[0]), VGPU_OK);
	CHECK_EQ(destroy_handle(F, handles[1]), VGPU_OK);
	CHECK_EQ(destroy_handle(F, unmapped), VGPU_OK);
	CHECK_EQ(H.os.live_device_maps, 0);
	down();
}

struct map_thread {
	uint32_t handle;
	int status;
};

static void *map_in_thread(void *arg)
{
	struct map_thread *m = arg;

	m->status = map_handle(F, m->handle, NULL);
	return NULL;
}

static void *give_back_in_thread(void *arg)
{
	(void)arg;
	vgpu_device_give_back_blobs(H.dev);
	return NULL;
}

static void sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
}

/*
 * A map the device has not answered yet when the blobs are given back:
 * the give-back waits for it, then unmaps that blob too, so that no blob
 * the device mapped outlives its reset.
 */
static void test_give_back_waits_for_a_map_in_progress(void)
{
	struct map_thread m = { 0 };
	pthread_t mapper, giver;
	int polls = 0;

	if (!blob_up(false, REGION))
		return;
	m.handle = make_blob(F, PAGE, 1, NULL);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_RESOURCE_MAP_BLOB, FAKE_GPU_DEFER, 0, 1);
	CHECK_EQ(pthread_create(&mapper, NULL, map_in_thread, &m), 0);
	while (fake_gpu_pending_count(&H.gpu) == 0 && polls++ < 500)
		sleep_ms(1);
	CHECK_EQ(fake_gpu_pending_count(&H.gpu), 1);
	CHECK_EQ(pthread_create(&giver, NULL, give_back_in_thread, NULL), 0);
	sleep_ms(50);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_UNMAP_BLOB), 0);
	fake_gpu_complete_pending(&H.gpu, FAKE_GPU_ARRIVAL);
	pthread_join(mapper, NULL);
	pthread_join(giver, NULL);
	CHECK_EQ(m.status, VGPU_OK);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_UNMAP_BLOB), 1);
	CHECK_EQ(fake_gpu_mapped_blobs(&H.gpu), 0);
	CHECK_EQ(map_handle(F, make_blob(F, PAGE, 2, NULL), NULL), VGPU_E_DEVICE_LOST);
	CHECK_EQ(destroy_handle(F, m.handle), VGPU_OK);
	CHECK_EQ(H.os.live_device_maps, 0);
	down();
}

/* A device that stops answering costs one command timeout, not one for each blob. */
static void test_give_back_from_a_silent_device(void)
{
	uint32_t handles[3];
	uint64_t offsets[3], start;

	if (!blob_up(false, REGION))
		return;
	map_blobs(handles, offsets, 3, 1, 1);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_RESOURCE_UNMAP_BLOB, FAKE_GPU_DROP, 0, 3);
	start = now_ns();
	vgpu_device_give_back_blobs(H.dev);
	CHECK(now_ns() - start < 2 * HARNESS_COMMAND_TIMEOUT_NS);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_UNMAP_BLOB), 1);
	CHECK_EQ(map_handle(F, make_blob(F, PAGE, 4, NULL), NULL), VGPU_E_DEVICE_LOST);
	down();
}

/* Each failing acquisition of a create and a map fails cleanly and leaves nothing behind. */
static void test_alloc_failures(void)
{
	int64_t baseline;
	uint32_t handle = 0;
	int ret = VGPU_E_NO_MEMORY, n;

	if (!blob_up(false, REGION))
		return;
	/* the file's handle table, which stays once grown */
	CHECK_EQ(destroy_handle(F, make_blob(F, PAGE, 1, NULL)), VGPU_OK);
	baseline = fake_os_live(&H.os);
	for (n = 0; n < 64 && !handle; n++) {
		fake_os_fail_at(&H.os, n);
		handle = make_blob(F, PAGE, 1, NULL);
		fake_os_fail_at(&H.os, -1);
		if (!handle) {
			CHECK_EQ(fake_gpu_live_resources(&H.gpu), 0);
			CHECK_EQ(fake_os_live(&H.os), baseline);
		}
	}
	CHECK(handle != 0);
	baseline = fake_os_live(&H.os);
	for (n = 0; n < 64 && ret != VGPU_OK; n++) {
		fake_os_fail_at(&H.os, n);
		ret = map_handle(F, handle, NULL);
		fake_os_fail_at(&H.os, -1);
		CHECK(ret == VGPU_OK || ret == VGPU_E_NO_MEMORY);
		if (ret != VGPU_OK)
			CHECK_EQ(H.os.live_device_maps, 0);
	}
	printf("# blob map made %d acquisitions\n", n);
	CHECK_EQ(ret, VGPU_OK);
	CHECK(n >= 3);
	/* whichever step failed, the blob ended up in one place: the first */
	CHECK_EQ(fake_gpu_mapped_blobs(&H.gpu), 1);
	down();
}

/*
 * Each failing acquisition of a mapped blob's destroy, once alone and once
 * with memory short from there on: UNMAP_BLOB and UNREF still go out, so
 * the device keeps nothing and the blob's range is free for the next map
 * (which lands where it did).
 */
static void destroy_with_failures(bool onward)
{
	uint64_t injected = 1;
	int n;

	if (!blob_up(false, REGION))
		return;
	for (n = 0; n < 64 && injected; n++) {
		uint32_t handle = make_blob(F, 2 * PAGE, (uint64_t)n + 1, NULL);

		CHECK_EQ(map_offset(F, handle), 0);
		injected = H.os.injected_failures;
		(onward ? fake_os_fail_onward : fake_os_fail_at)(&H.os, n);
		CHECK_EQ(destroy_handle(F, handle), VGPU_OK);
		fake_os_fail_at(&H.os, -1);
		injected = H.os.injected_failures - injected;
		CHECK_EQ(fake_gpu_mapped_blobs(&H.gpu), 0);
		CHECK_EQ(fake_gpu_live_resources(&H.gpu), 0);
		CHECK_EQ(H.os.live_device_maps, 0);
	}
	printf("# blob destroy made %d acquisitions\n", n - 1);
	CHECK(n >= 3);
	CHECK_EQ(injected, 0);
	CHECK_EQ(map_offset(F, make_blob(F, 2 * PAGE, 100, NULL)), 0);
	down();
}

static void test_destroy_alloc_failures(void)
{
	destroy_with_failures(false);
	destroy_with_failures(true);
}

int main(void)
{
	RUN(test_get_info_reports_blobs);
	RUN(test_unsupported_without_blob_feature);
	RUN(test_unsupported_without_region);
	RUN(test_unsupported_without_map_device_user);
	RUN(test_create_sends_blob_and_attaches);
	RUN(test_create_rejects_blob_mem);
	RUN(test_create_rejects_flags);
	RUN(test_create_rejects_blob_id);
	RUN(test_create_rejects_size);
	RUN(test_create_rejects_desc);
	RUN(test_create_before_context);
	RUN(test_device_refuses_create);
	RUN(test_map_unmap_destroy);
	RUN(test_map_passes_cache_type);
	RUN(test_map_refused_by_os);
	RUN(test_blob_transfers_refused_submit_wait_work);
	RUN(test_map_of_unmappable_blob);
	RUN(test_allocator_exhaustion_and_reuse);
	RUN(test_allocator_fragmentation);
	RUN(test_map_error_answer);
	RUN(test_map_wrong_answer_type);
	RUN(test_map_bad_cache_type);
	RUN(test_map_truncated_answer);
	RUN(test_map_timeout_keeps_range);
	RUN(test_unmap_timeout_keeps_range);
	RUN(test_close_with_mapped_blobs);
	RUN(test_device_lost_with_mapped_blobs);
	RUN(test_give_back_before_reset);
	RUN(test_give_back_from_a_silent_device);
	RUN(test_give_back_waits_for_a_map_in_progress);
	RUN(test_alloc_failures);
	RUN(test_destroy_alloc_failures);
	return tap_done();
}
