// SPDX-License-Identifier: MIT
/*
 * The IOCTL dispatcher refuses every class of bad input with the status the
 * ABI documents, and a refused call never reaches the device.  One case per
 * input class; the positive paths and ownership live in test_objects.c.
 */
#include <string.h>

#include "session.h"

static int create(struct vgpu_resource_create c)
{
	return call(F, VGPU_IOCTL_RESOURCE_CREATE, &c, sizeof(c));
}

/* The description `base`, changed by `edits` (expressions on `c`), is refused as invalid. */
#define REJECTS_DESC(base, ...)                                                 \
	do {                                                                    \
		struct vgpu_resource_create c = (base);                         \
		__VA_ARGS__;                                                    \
		REJECTS(create(c), VGPU_E_INVALID);                             \
	} while (0)
#define REJECTS_TEXTURE(...) REJECTS_DESC(texture_desc(64, 64, 1), __VA_ARGS__)
#define REJECTS_BUFFER(...) REJECTS_DESC(buffer_desc(4096), __VA_ARGS__)

static void test_unknown_control_code(void)
{
	struct vgpu_get_info info = { .abi_major = VGPU_ABI_VERSION_MAJOR };

	if (!up(false))
		return;
	REJECTS(call(F, VGPU_CTL_CODE(0x8FF, VGPU_METHOD_BUFFERED), &info, sizeof(info)),
		VGPU_E_UNSUPPORTED);
	REJECTS(call(F, VGPU_CTL_CODE(0x90C, VGPU_METHOD_BUFFERED), &info, sizeof(info)),
		VGPU_E_UNSUPPORTED);
	REJECTS(call(F, 0, &info, sizeof(info)), VGPU_E_UNSUPPORTED);
	/* another device type in the high bits */
	REJECTS(call(F, VGPU_IOCTL_GET_INFO ^ (1u << 16), &info, sizeof(info)),
		VGPU_E_UNSUPPORTED);
	down();
}

static void test_wrong_method_bits(void)
{
	struct vgpu_get_info info = { .abi_major = VGPU_ABI_VERSION_MAJOR };
	struct vgpu_submit s = { .size = 4, .signal = 1 };
	uint32_t dword = 0;

	if (!up(true))
		return;
	for (uint32_t m = 1; m < 4; m++)
		REJECTS(call(F, VGPU_CTL_CODE(0x900, m), &info, sizeof(info)),
			VGPU_E_UNSUPPORTED);
	REJECTS(call_payload(F, VGPU_CTL_CODE(0x909, VGPU_METHOD_BUFFERED), &s, sizeof(s), &dword,
			     4, NULL),
		VGPU_E_UNSUPPORTED);
	REJECTS(call_payload(F, VGPU_CTL_CODE(0x909, VGPU_METHOD_OUT_DIRECT), &s, sizeof(s),
			     &dword, 4, NULL),
		VGPU_E_UNSUPPORTED);
	down();
}

static void test_fixed_struct_too_small(void)
{
	uint8_t buf[128] = { 0 };
	struct vgpu_submit s = { .size = 4, .signal = 1 };
	uint32_t dword = 0;

	if (!up(true))
		return;
	REJECTS(call(F, VGPU_IOCTL_GET_INFO, buf, sizeof(struct vgpu_get_info) - 1),
		VGPU_E_BAD_SIZE);
	REJECTS(call(F, VGPU_IOCTL_RESOURCE_CREATE, buf, sizeof(struct vgpu_resource_create) - 8),
		VGPU_E_BAD_SIZE);
	REJECTS(call(F, VGPU_IOCTL_WAIT, buf, 0), VGPU_E_BAD_SIZE);
	REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s) - 4, &dword, 4, NULL),
		VGPU_E_BAD_SIZE);
	down();
}

static void test_fixed_struct_too_large(void)
{
	uint8_t buf[128] = { 0 };
	struct {
		struct vgpu_submit s;
		uint32_t extra;
	} big = { .s = { .size = 4, .signal = 1 } };
	uint32_t dword = 0;

	if (!up(true))
		return;
	REJECTS(call(F, VGPU_IOCTL_GET_INFO, buf, sizeof(struct vgpu_get_info) + 1),
		VGPU_E_BAD_SIZE);
	REJECTS(call(F, VGPU_IOCTL_RESOURCE_DESTROY, buf, sizeof(buf)), VGPU_E_BAD_SIZE);
	REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &big, sizeof(big), &dword, 4, NULL),
		VGPU_E_BAD_SIZE);
	down();
}

/* A buffered call whose in and out sizes differ is malformed too. */
static void test_out_buffer_size_mismatch(void)
{
	struct vgpu_get_info info = { .abi_major = VGPU_ABI_VERSION_MAJOR };
	struct vgpu_ioctl_bufs b = { .in = &info, .in_size = sizeof(info), .out = &info,
				     .out_size = sizeof(info) - 8 };

	if (!up(false))
		return;
	REJECTS(vgpu_file_ioctl(F, VGPU_IOCTL_GET_INFO, &b), VGPU_E_BAD_SIZE);
	CHECK_EQ(b.out_written, 0);
	b.out_size = sizeof(info);
	b.out = NULL;
	REJECTS(vgpu_file_ioctl(F, VGPU_IOCTL_GET_INFO, &b), VGPU_E_BAD_SIZE);
	down();
}

static void test_nonzero_pad_fields(void)
{
	struct vgpu_context_create cc = { .capset_id = VGPU_CAPSET_VIRGL2, .pad = 1 };
	struct vgpu_resource_destroy rd;
	struct vgpu_resource_map rm;
	struct vgpu_submit s = { .size = 4, .signal = 1, .pad = 1 };
	uint32_t handle, dword = 0;

	if (!up(false))
		return;
	REJECTS(call(F, VGPU_IOCTL_CONTEXT_CREATE, &cc, sizeof(cc)), VGPU_E_INVALID);
	CHECK_EQ(make_context(F), VGPU_OK);
	handle = make_buffer(F, 4096, NULL);
	CHECK(handle != 0);
	rd = (struct vgpu_resource_destroy){ .handle = handle, .pad = 1 };
	REJECTS(call(F, VGPU_IOCTL_RESOURCE_DESTROY, &rd, sizeof(rd)), VGPU_E_INVALID);
	rm = (struct vgpu_resource_map){ .handle = handle, .flags = 1 };
	REJECTS(call(F, VGPU_IOCTL_RESOURCE_MAP, &rm, sizeof(rm)), VGPU_E_INVALID);
	REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), &dword, 4, NULL),
		VGPU_E_INVALID);
	down();
}

static void test_get_info_major_mismatch(void)
{
	struct vgpu_get_info info = { .abi_major = VGPU_ABI_VERSION_MAJOR + 1 };

	if (!up(false))
		return;
	REJECTS(call(F, VGPU_IOCTL_GET_INFO, &info, sizeof(info)), VGPU_E_VERSION);
	/* the out fields are still filled so that the caller can report */
	CHECK_EQ(info.abi_major, VGPU_ABI_VERSION_MAJOR);
	CHECK_EQ(info.personality, VGPU_PERSONALITY_STANDARD);
	CHECK_EQ(info.capset_mask, (1u << VGPU_CAPSET_VIRGL) | (1u << VGPU_CAPSET_VIRGL2));
	info = (struct vgpu_get_info){ .abi_major = 0 };
	REJECTS(call(F, VGPU_IOCTL_GET_INFO, &info, sizeof(info)), VGPU_E_VERSION);
	down();
}

static void test_get_capset_unknown_capset(void)
{
	struct vgpu_get_capset g = { .capset_id = 3 };
	uint8_t payload[2048];
	uint32_t written = 99;

	if (!up(false))
		return;
	REJECTS(call_payload(F, VGPU_IOCTL_GET_CAPSET, &g, sizeof(g), payload, sizeof(payload),
			     &written),
		VGPU_E_UNSUPPORTED);
	CHECK_EQ(written, 0);
	g = (struct vgpu_get_capset){ .capset_id = 0 };
	REJECTS(call_payload(F, VGPU_IOCTL_GET_CAPSET, &g, sizeof(g), payload, sizeof(payload),
			     NULL),
		VGPU_E_UNSUPPORTED);
	/* a version beyond the highest the device offers */
	g = (struct vgpu_get_capset){ .capset_id = VGPU_CAPSET_VIRGL,
				      .version = FAKE_GPU_CAPSET1_VERSION + 1 };
	REJECTS(call_payload(F, VGPU_IOCTL_GET_CAPSET, &g, sizeof(g), payload, sizeof(payload),
			     NULL),
		VGPU_E_UNSUPPORTED);
	down();
}

static void test_get_capset_payload_too_small(void)
{
	struct vgpu_get_capset g = { .capset_id = VGPU_CAPSET_VIRGL2 };
	uint8_t payload[FAKE_GPU_CAPSET2_SIZE];
	uint32_t written = 99;
	bool untouched = true;

	if (!up(false))
		return;
	memset(payload, 0xAA, sizeof(payload));
	REJECTS(call_payload(F, VGPU_IOCTL_GET_CAPSET, &g, sizeof(g), payload,
			     FAKE_GPU_CAPSET2_SIZE - 1, &written),
		VGPU_E_BAD_SIZE);
	CHECK_EQ(written, 0);
	for (size_t i = 0; i < sizeof(payload); i++)
		untouched &= payload[i] == 0xAA;
	CHECK(untouched);
	REJECTS(call_payload(F, VGPU_IOCTL_GET_CAPSET, &g, sizeof(g), NULL, 0, &written),
		VGPU_E_BAD_SIZE);
	down();
}

static void test_context_create_twice(void)
{
	if (!up(true))
		return;
	REJECTS(make_context(F), VGPU_E_STATE);
	down();
}

static void test_context_create_unknown_capset(void)
{
	struct vgpu_context_create c = { .capset_id = 4 };

	if (!up(false))
		return;
	REJECTS(call(F, VGPU_IOCTL_CONTEXT_CREATE, &c, sizeof(c)), VGPU_E_UNSUPPORTED);
	c.capset_id = 0;
	REJECTS(call(F, VGPU_IOCTL_CONTEXT_CREATE, &c, sizeof(c)), VGPU_E_UNSUPPORTED);
	c.capset_id = 0xFFFFFFFFu;
	REJECTS(call(F, VGPU_IOCTL_CONTEXT_CREATE, &c, sizeof(c)), VGPU_E_UNSUPPORTED);
	/* nothing was created: a valid call still works */
	CHECK_EQ(make_context(F), VGPU_OK);
	down();
}

static void test_context_create_bad_flags(void)
{
	struct vgpu_context_create c = { .capset_id = VGPU_CAPSET_VIRGL2 };

	if (!up(false))
		return;
	for (uint32_t bit = 0; bit < 32; bit += 7) {
		c.flags = 1u << bit;
		REJECTS(call(F, VGPU_IOCTL_CONTEXT_CREATE, &c, sizeof(c)), VGPU_E_INVALID);
	}
	down();
}

static void test_context_create_unterminated_name(void)
{
	struct vgpu_context_create c = { .capset_id = VGPU_CAPSET_VIRGL2 };

	if (!up(false))
		return;
	memset(c.debug_name, 'x', sizeof(c.debug_name));
	REJECTS(call(F, VGPU_IOCTL_CONTEXT_CREATE, &c, sizeof(c)), VGPU_E_INVALID);
	/* 63 characters and a NUL is the longest name */
	c.debug_name[VGPU_MAX_DEBUG_NAME - 1] = 0;
	CHECK_EQ(call(F, VGPU_IOCTL_CONTEXT_CREATE, &c, sizeof(c)), VGPU_OK);
	down();
}

static void test_resource_create_before_context(void)
{
	if (!up(false))
		return;
	REJECTS(create(buffer_desc(4096)), VGPU_E_STATE);
	REJECTS(create(texture_desc(64, 64, 1)), VGPU_E_STATE);
	down();
}

static void test_resource_create_zero_dimensions(void)
{
	if (!up(true))
		return;
	REJECTS_TEXTURE(c.width = 0);
	REJECTS_TEXTURE(c.height = 0);
	REJECTS_TEXTURE(c.depth = 0);
	REJECTS_TEXTURE(c.array_size = 0);
	REJECTS_BUFFER(c.width = 0);
	down();
}

static void test_resource_create_oversized_dimensions(void)
{
	if (!up(true))
		return;
	REJECTS_TEXTURE(c.width = VGPU_MAX_TEXTURE_DIM + 1);
	REJECTS_TEXTURE(c.height = VGPU_MAX_TEXTURE_DIM + 1);
	REJECTS_TEXTURE(c.target = 3 /* 3D */, c.depth = VGPU_MAX_TEXTURE_DIM + 1);
	REJECTS_TEXTURE(c.target = 7 /* 2D array */, c.array_size = 0xFFFFFFFFu);
	REJECTS_TEXTURE(c.width = 0xFFFFFFFFu, c.height = 0xFFFFFFFFu);
	down();
}

static void test_resource_create_bad_size(void)
{
	if (!up(true))
		return;
	REJECTS_BUFFER(c.size = 0);
	REJECTS_BUFFER(c.size = VGPU_MAX_RESOURCE_BYTES + 1);
	REJECTS_BUFFER(c.size = UINT64_MAX);
	REJECTS_TEXTURE(c.size = 0);
	down();
}

static void test_resource_create_levels_beyond_dimensions(void)
{
	if (!up(true))
		return;
	/* log2(64) = 6: levels 0..6 exist */
	REJECTS_DESC(texture_desc(64, 16, 1), c.last_level = 7);
	REJECTS_DESC(texture_desc(64, 16, 1), c.last_level = 0xFFFFFFFFu);
	REJECTS_DESC(texture_desc(1, 1, 1), c.last_level = 1);
	REJECTS_BUFFER(c.last_level = 1);
	/* the boundary itself is accepted */
	CHECK_EQ(create(texture_desc(64, 16, 7)), VGPU_OK);
	down();
}

static void test_resource_create_bad_target(void)
{
	if (!up(true))
		return;
	REJECTS_TEXTURE(c.target = 9 /* PIPE_MAX_TEXTURE_TYPES */);
	REJECTS_TEXTURE(c.target = 0xFFFFFFFFu);
	down();
}

static void test_resource_create_buffer_height(void)
{
	if (!up(true))
		return;
	REJECTS_BUFFER(c.height = 2);
	REJECTS_BUFFER(c.depth = 2);
	REJECTS_BUFFER(c.array_size = 2);
	down();
}

static void test_resource_create_bad_samples(void)
{
	struct vgpu_resource_create four = texture_desc(64, 64, 1);

	if (!up(true))
		return;
	REJECTS_TEXTURE(c.nr_samples = 33);
	REJECTS_TEXTURE(c.nr_samples = 64);
	REJECTS_TEXTURE(c.nr_samples = 3);
	REJECTS_TEXTURE(c.nr_samples = 0xFFFFFFFFu);
	four.nr_samples = 4;
	CHECK_EQ(create(four), VGPU_OK);
	down();
}

static void test_resource_create_unknown_flags(void)
{
	struct vgpu_resource_create y_0_top = texture_desc(64, 64, 1);

	if (!up(true))
		return;
	for (uint32_t bit = 1; bit < 32; bit += 5)
		REJECTS_TEXTURE(c.flags = 1u << bit);
	y_0_top.flags = VGPU_RESOURCE_FLAG_Y_0_TOP;
	CHECK_EQ(create(y_0_top), VGPU_OK);
	down();
}

static void test_handle_never_issued(void)
{
	if (!up(true))
		return;
	CHECK(make_buffer(F, 4096, NULL) != 0);
	check_handle_refused(F, 0x12345u, 1000);
	check_handle_refused(F, 0xFFFFFFFFu, 1000);
	check_handle_refused(F, 2, 1000); /* the slot after the only live handle */
	down();
}

static void test_handle_destroyed(void)
{
	struct vgpu_resource_destroy rd;
	uint32_t handle, again;

	if (!up(true))
		return;
	handle = make_buffer(F, 4096, NULL);
	CHECK(handle != 0);
	rd = (struct vgpu_resource_destroy){ .handle = handle };
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_DESTROY, &rd, sizeof(rd)), VGPU_OK);
	check_handle_refused(F, handle, 1000);
	/* the slot is reused by a new resource: the old handle still names nothing */
	again = make_buffer(F, 4096, NULL);
	CHECK(again != 0);
	CHECK(again != handle);
	check_handle_refused(F, handle, 1000);
	down();
}

static void test_handle_zero(void)
{
	if (!up(true))
		return;
	CHECK(make_buffer(F, 4096, NULL) != 0);
	check_handle_refused(F, 0, 1000);
	down();
}

static void test_unmap_unmapped(void)
{
	struct vgpu_resource_map rm;
	uint32_t handle;

	if (!up(true))
		return;
	handle = make_buffer(F, 4096, NULL);
	rm = (struct vgpu_resource_map){ .handle = handle };
	REJECTS(call(F, VGPU_IOCTL_RESOURCE_UNMAP, &rm, sizeof(rm)), VGPU_E_STATE);
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_MAP, &rm, sizeof(rm)), VGPU_OK);
	rm = (struct vgpu_resource_map){ .handle = handle };
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_UNMAP, &rm, sizeof(rm)), VGPU_OK);
	rm = (struct vgpu_resource_map){ .handle = handle };
	REJECTS(call(F, VGPU_IOCTL_RESOURCE_UNMAP, &rm, sizeof(rm)), VGPU_E_STATE);
	down();
}

/*
 * up() with the transfer tests' subject, a 64x64 texture with 3 levels and
 * 32 KiB of backing: its handle, or 0 (with all torn down) if that failed.
 */
static uint32_t up_with_texture(void)
{
	uint32_t handle;

	if (!up(true))
		return 0;
	handle = make_texture(F, 64, 64, 3);
	CHECK(handle != 0);
	if (!handle)
		down();
	return handle;
}

/* A transfer of all of level 0 of that texture. */
static struct vgpu_transfer texture_transfer(uint32_t handle)
{
	return (struct vgpu_transfer){
		.handle = handle, .box = { .w = 64, .h = 64, .d = 1 }, .stride = 256, .signal = 1,
	};
}

static int xfer(struct vgpu_transfer t)
{
	return call(F, VGPU_IOCTL_TRANSFER_TO_HOST, &t, sizeof(t));
}

static int xfer_from(struct vgpu_transfer t)
{
	return call(F, VGPU_IOCTL_TRANSFER_FROM_HOST, &t, sizeof(t));
}

/*
 * texture_transfer(handle), changed by `edits` (expressions on `t`), is
 * refused as invalid by `fn` (xfer or xfer_from).
 */
#define REJECTS_TRANSFER(fn, handle, ...)                                       \
	do {                                                                    \
		struct vgpu_transfer t = texture_transfer(handle);              \
		__VA_ARGS__;                                                    \
		REJECTS(fn(t), VGPU_E_INVALID);                                 \
	} while (0)

static void test_transfer_level_beyond_last(void)
{
	struct vgpu_transfer t;
	uint32_t handle = up_with_texture();

	if (!handle)
		return;
	t = texture_transfer(handle);
	t.level = 3;
	t.box.w = t.box.h = 1;
	REJECTS(xfer(t), VGPU_E_INVALID);
	REJECTS(xfer_from(t), VGPU_E_INVALID);
	t.level = 0xFFFFFFFFu;
	REJECTS(xfer(t), VGPU_E_INVALID);
	t.level = 2; /* 16x16 */
	t.box.w = t.box.h = 16;
	CHECK_EQ(xfer(t), VGPU_OK);
	down();
}

static void test_transfer_box_outside_level(void)
{
	uint32_t handle = up_with_texture();

	if (!handle)
		return;
	REJECTS_TRANSFER(xfer, handle, t.box.x = 1);
	REJECTS_TRANSFER(xfer, handle, t.box.y = 1);
	REJECTS_TRANSFER(xfer, handle, t.box.z = 1);
	REJECTS_TRANSFER(xfer, handle, t.box.d = 2);
	/* level 1 is 32x32 */
	REJECTS_TRANSFER(xfer, handle, t.level = 1, t.box.w = 33, t.box.h = 32);
	/* x + w wraps past 2^32 */
	REJECTS_TRANSFER(xfer, handle, t.box.x = 0xFFFFFFF0u, t.box.w = 0x20);
	REJECTS_TRANSFER(xfer, handle, t.box.y = 0xFFFFFFFFu, t.box.h = 2);
	REJECTS_TRANSFER(xfer_from, handle, t.box.z = 0xFFFFFFFFu, t.box.d = 1);
	down();
}

static void test_transfer_empty_box(void)
{
	uint32_t handle = up_with_texture();

	if (!handle)
		return;
	REJECTS_TRANSFER(xfer, handle, t.box.w = 0);
	REJECTS_TRANSFER(xfer, handle, t.box.h = 0);
	REJECTS_TRANSFER(xfer, handle, t.box.d = 0);
	down();
}

static void test_transfer_past_backing(void)
{
	struct vgpu_transfer layers;
	struct vgpu_resource_create arr = texture_desc(16, 16, 1);
	uint32_t array_handle;
	uint32_t handle = up_with_texture();

	if (!handle)
		return;
	REJECTS_TRANSFER(xfer, handle, t.offset = 32768);
	REJECTS_TRANSFER(xfer, handle, t.offset = UINT64_MAX - 8);
	/* 63 rows of 1 KiB + 64 bytes > 32 KiB */
	REJECTS_TRANSFER(xfer, handle, t.stride = 1024);
	REJECTS_TRANSFER(xfer, handle, t.stride = 0xFFFFFFFFu);
	/* layer_stride on a 2D array of 4 layers of 16x16 */
	arr.target = 7;
	arr.array_size = 4;
	arr.size = 16 * 16 * 4 * 2;
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_CREATE, &arr, sizeof(arr)), VGPU_OK);
	array_handle = arr.handle;
	layers = (struct vgpu_transfer){
		.handle = array_handle, .box = { .w = 16, .h = 16, .d = 4 }, .stride = 16,
		.layer_stride = 0xFFFFFFFFu, .signal = 1,
	};
	REJECTS(xfer(layers), VGPU_E_INVALID);
	/* the core rounds backing up to whole pages: 4 KiB here */
	layers.layer_stride = 1024; /* 3 * 1024 + 256 fits in 4 KiB */
	CHECK_EQ(xfer(layers), VGPU_OK);
	layers.layer_stride = 2048; /* 3 * 2048 + 256 does not */
	layers.signal = 2;
	REJECTS(xfer(layers), VGPU_E_INVALID);
	layers.signal = 3;
	layers.layer_stride = 256;
	CHECK_EQ(xfer(layers), VGPU_OK);
	down();
}

static void test_transfer_signal_not_increasing(void)
{
	struct vgpu_transfer t;
	uint32_t handle = up_with_texture();

	if (!handle)
		return;
	t = texture_transfer(handle);
	t.signal = 0;
	REJECTS(xfer(t), VGPU_E_INVALID);
	t.signal = 5;
	CHECK_EQ(xfer(t), VGPU_OK);
	REJECTS(xfer(t), VGPU_E_INVALID);
	t.signal = 4;
	REJECTS(xfer_from(t), VGPU_E_INVALID);
	REJECTS(submit(F, &handle, 1, 2, 5), VGPU_E_INVALID);
	t.signal = 9; /* gaps are allowed */
	CHECK_EQ(xfer_from(t), VGPU_OK);
	down();
}

static void test_submit_size_not_multiple_of_4(void)
{
	struct vgpu_submit s = { .size = 6, .signal = 1 };
	uint8_t payload[8] = { 0 };

	if (!up(true))
		return;
	REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, 6, NULL),
		VGPU_E_INVALID);
	s.size = 1;
	REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, 1, NULL),
		VGPU_E_INVALID);
	down();
}

static void test_submit_too_large(void)
{
	static uint8_t payload[VGPU_MAX_SUBMIT_BYTES + 4];
	struct vgpu_submit s = { .size = VGPU_MAX_SUBMIT_BYTES + 4, .signal = 1 };
	uint32_t psize = VGPU_MAX_SUBMIT_BYTES + 4;

	if (!up(true))
		return;
	REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, psize, NULL),
		VGPU_E_INVALID);
	/* exactly the limit is accepted */
	s.size = VGPU_MAX_SUBMIT_BYTES;
	CHECK_EQ(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, s.size, NULL), VGPU_OK);
	down();
}

static void test_submit_too_many_handles(void)
{
	static uint32_t payload[VGPU_MAX_SUBMIT_HANDLES + 2];
	uint32_t n = VGPU_MAX_SUBMIT_HANDLES + 1;
	struct vgpu_submit s = { .size = 4, .num_handles = n, .signal = 1 };
	uint32_t handle;

	if (!up(true))
		return;
	handle = make_buffer(F, 4096, NULL);
	for (uint32_t i = 0; i < n; i++)
		payload[i] = handle;
	REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, (n + 1) * 4, NULL),
		VGPU_E_INVALID);
	s.num_handles = 0xFFFFFFFFu;
	REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, (n + 1) * 4, NULL),
		VGPU_E_INVALID);
	/* the limit itself is accepted (one handle many times) */
	s.num_handles = n - 1;
	CHECK_EQ(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, n * 4, NULL), VGPU_OK);
	down();
}

static void test_submit_payload_size_mismatch(void)
{
	struct vgpu_submit s = { .size = 8, .num_handles = 1, .signal = 1 };
	uint32_t payload[8] = { 0 };

	if (!up(true))
		return;
	payload[0] = make_buffer(F, 4096, NULL);
	REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, 8, NULL),
		VGPU_E_BAD_SIZE);
	REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, 16, NULL),
		VGPU_E_BAD_SIZE);
	REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), NULL, 0, NULL), VGPU_E_BAD_SIZE);
	/* 4 * num_handles overflowing 32 bits must not wrap into a match */
	s = (struct vgpu_submit){ .size = 8, .num_handles = 0x40000000u, .signal = 1 };
	REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, 8, NULL),
		VGPU_E_INVALID);
	s = (struct vgpu_submit){ .size = 8, .num_handles = 1, .signal = 1 };
	CHECK_EQ(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, 12, NULL), VGPU_OK);
	down();
}

static void test_submit_foreign_handle(void)
{
	struct vgpu_file *other;
	uint32_t mine, theirs, list[2];

	if (!up(true))
		return;
	other = harness_open(&H, &F);
	CHECK(other != NULL);
	CHECK_EQ(make_context(other), VGPU_OK);
	theirs = make_buffer(other, 4096, NULL);
	mine = make_buffer(F, 4096, NULL);
	list[0] = mine;
	list[1] = theirs;
	/* handles are per file: "theirs" may equal a handle F never issued, or one it did */
	if (theirs != mine)
		REJECTS(submit(F, list, 2, 2, 1), VGPU_E_BAD_HANDLE);
	list[1] = 0x7777u;
	REJECTS(submit(F, list, 2, 2, 1), VGPU_E_BAD_HANDLE);
	vgpu_file_close(other);
	down();
}

static void test_submit_signal_not_increasing(void)
{
	if (!up(true))
		return;
	REJECTS(submit(F, NULL, 0, 2, 0), VGPU_E_INVALID);
	CHECK_EQ(submit(F, NULL, 0, 2, 3), VGPU_OK);
	REJECTS(submit(F, NULL, 0, 2, 3), VGPU_E_INVALID);
	REJECTS(submit(F, NULL, 0, 2, 2), VGPU_E_INVALID);
	down();
}

static void test_submit_nonzero_flags(void)
{
	struct vgpu_submit s = { .size = 4, .signal = 1 };
	uint32_t dword = 0;

	if (!up(true))
		return;
	for (uint32_t bit = 0; bit < 32; bit += 3) {
		s.flags = 1u << bit;
		REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), &dword, 4, NULL),
			VGPU_E_INVALID);
	}
	down();
}

static void test_submit_before_context(void)
{
	if (!up(false))
		return;
	REJECTS(submit(F, NULL, 0, 2, 1), VGPU_E_STATE);
	down();
}

static void test_wait_unknown_kind(void)
{
	struct vgpu_wait w = { .kind = 0, .value = 0 };

	if (!up(true))
		return;
	REJECTS(call(F, VGPU_IOCTL_WAIT, &w, sizeof(w)), VGPU_E_INVALID);
	w.kind = 3;
	REJECTS(call(F, VGPU_IOCTL_WAIT, &w, sizeof(w)), VGPU_E_INVALID);
	w.kind = 0xFFFFFFFFu;
	REJECTS(call(F, VGPU_IOCTL_WAIT, &w, sizeof(w)), VGPU_E_INVALID);
	down();
}

static void test_wait_value_never_submitted(void)
{
	if (!up(true))
		return;
	REJECTS(wait_fence(F, 1, 0, NULL), VGPU_E_INVALID);
	CHECK_EQ(submit(F, NULL, 0, 2, 5), VGPU_OK);
	REJECTS(wait_fence(F, 6, 1000000, NULL), VGPU_E_INVALID);
	REJECTS(wait_fence(F, UINT64_MAX, 0, NULL), VGPU_E_INVALID);
	/* values up to the last submitted one are fine, gaps included */
	CHECK_EQ(wait_fence(F, 3, 1000000000ull, NULL), VGPU_OK);
	down();
}

static void test_wait_no_timeout_on_pending_work(void)
{
	uint64_t completed = 99;

	if (!up(true))
		return;
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_SUBMIT_3D, FAKE_GPU_DEFER, 0, -1);
	CHECK_EQ(submit(F, NULL, 0, 2, 1), VGPU_OK);
	CHECK_EQ(wait_fence(F, 1, 0, &completed), VGPU_E_BUSY);
	CHECK_EQ(completed, 0);
	CHECK_EQ(fake_gpu_complete_pending(&H.gpu, FAKE_GPU_ARRIVAL), 1);
	CHECK_EQ(wait_fence(F, 1, 0, &completed), VGPU_OK);
	CHECK_EQ(completed, 1);
	down();
}

static void test_wait_timeout_elapses(void)
{
	struct vgpu_wait w;
	uint64_t start, took;
	uint32_t handle;

	if (!up(true))
		return;
	handle = make_buffer(F, 4096, NULL);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_SUBMIT_3D, FAKE_GPU_DEFER, 0, -1);
	CHECK_EQ(submit(F, &handle, 1, 2, 1), VGPU_OK);
	start = now_ns();
	CHECK_EQ(wait_fence(F, 1, 50000000ull, NULL), VGPU_E_TIMEOUT);
	took = now_ns() - start;
	CHECK(took >= 50000000ull);
	CHECK(took < 1000000000ull);
	w = (struct vgpu_wait){ .kind = VGPU_WAIT_RESOURCE, .handle = handle,
				.timeout_ns = 20000000ull };
	start = now_ns();
	CHECK_EQ(call(F, VGPU_IOCTL_WAIT, &w, sizeof(w)), VGPU_E_TIMEOUT);
	CHECK(now_ns() - start < 1000000000ull);
	fake_gpu_complete_pending(&H.gpu, FAKE_GPU_ARRIVAL);
	down();
}

int main(void)
{
	RUN(test_unknown_control_code);
	RUN(test_wrong_method_bits);
	RUN(test_fixed_struct_too_small);
	RUN(test_fixed_struct_too_large);
	RUN(test_out_buffer_size_mismatch);
	RUN(test_nonzero_pad_fields);
	RUN(test_get_info_major_mismatch);
	RUN(test_get_capset_unknown_capset);
	RUN(test_get_capset_payload_too_small);
	RUN(test_context_create_twice);
	RUN(test_context_create_unknown_capset);
	RUN(test_context_create_bad_flags);
	RUN(test_context_create_unterminated_name);
	RUN(test_resource_create_before_context);
	RUN(test_resource_create_zero_dimensions);
	RUN(test_resource_create_oversized_dimensions);
	RUN(test_resource_create_bad_size);
	RUN(test_resource_create_levels_beyond_dimensions);
	RUN(test_resource_create_bad_target);
	RUN(test_resource_create_buffer_height);
	RUN(test_resource_create_bad_samples);
	RUN(test_resource_create_unknown_flags);
	RUN(test_handle_never_issued);
	RUN(test_handle_destroyed);
	RUN(test_handle_zero);
	RUN(test_unmap_unmapped);
	RUN(test_transfer_level_beyond_last);
	RUN(test_transfer_box_outside_level);
	RUN(test_transfer_empty_box);
	RUN(test_transfer_past_backing);
	RUN(test_transfer_signal_not_increasing);
	RUN(test_submit_size_not_multiple_of_4);
	RUN(test_submit_too_large);
	RUN(test_submit_too_many_handles);
	RUN(test_submit_payload_size_mismatch);
	RUN(test_submit_foreign_handle);
	RUN(test_submit_signal_not_increasing);
	RUN(test_submit_nonzero_flags);
	RUN(test_submit_before_context);
	RUN(test_wait_unknown_kind);
	RUN(test_wait_value_never_submitted);
	RUN(test_wait_no_timeout_on_pending_work);
	RUN(test_wait_timeout_elapses);
	return tap_done();
}
