/* SPDX-License-Identifier: MIT */
/*
 * The dispatcher's checks of resource descriptions and of transfer boxes,
 * levels, strides and backing bounds: each bad input is refused with the
 * status the ABI documents and never reaches the device.
 */
#include <string.h>

#include "session.h"

static int create(struct vgpu_resource_create c)
{
	return call(F, VGPU_IOCTL_RESOURCE_CREATE, &c, sizeof(c));
}

/* The description `base`, changed by `edits` (expressions on `c`), is refused as invalid. */
#define REJECTS_DESC(base, ...)                                                                    \
	do {                                                                                       \
		struct vgpu_resource_create c = (base);                                            \
		__VA_ARGS__;                                                                       \
		REJECTS(create(c), VGPU_E_INVALID);                                                \
	} while (0)
#define REJECTS_TEXTURE(...) REJECTS_DESC(texture_desc(64, 64, 1), __VA_ARGS__)
#define REJECTS_BUFFER(...) REJECTS_DESC(buffer_desc(4096), __VA_ARGS__)

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

static void test_resource_create_unknown_format(void)
{
	struct vgpu_resource_create_blob blob = { .blob_mem = VGPU_BLOB_MEM_HOST3D,
						  .blob_id = 1,
						  .size = 4096,
						  .desc = texture_desc(16, 16, 1) };

	if (!up(true))
		return;
	REJECTS_TEXTURE(c.format = 0xFFFFFFFFu);
	REJECTS_TEXTURE(c.format = 0 /* NONE */);
	REJECTS_TEXTURE(c.format = 73 /* a gap in enum virgl_formats */);
	REJECTS_TEXTURE(c.format = 322 /* past the last one */);
	REJECTS_BUFFER(c.format = 0xFFFFFFFFu);
	blob.desc.size = 0;
	blob.desc.format = 0xFFFFFFFFu;
	REJECTS(call(F, VGPU_IOCTL_RESOURCE_CREATE_BLOB, &blob, sizeof(blob)), VGPU_E_INVALID);
	CHECK_EQ(create(texture_desc(16, 16, 1)), VGPU_OK);
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
		.handle = handle,
		.box = { .w = 64, .h = 64, .d = 1 },
		.stride = 256,
		.signal = 1,
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
#define REJECTS_TRANSFER(fn, handle, ...)                                                          \
	do {                                                                                       \
		struct vgpu_transfer t = texture_transfer(handle);                                 \
		__VA_ARGS__;                                                                       \
		REJECTS(fn(t), VGPU_E_INVALID);                                                    \
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

/*
 * A 1D array's layers are in z, as virglrenderer bounds and uploads them:
 * its y spans the height, 1.  The core once bounded the layers in y,
 * refusing every layer but the first and passing boxes the host refuses.
 */
static void test_transfer_1d_array_layers_in_z(void)
{
	struct vgpu_resource_create arr = texture_desc(16, 1, 1);
	struct vgpu_transfer t;

	if (!up(true))
		return;
	arr.target = 6 /* 1D array */;
	arr.array_size = 3;
	arr.size = 16 * 4 * 3;
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_CREATE, &arr, sizeof(arr)), VGPU_OK);
	t = (struct vgpu_transfer){ .handle = arr.handle,
				    .box = { .z = 1, .w = 16, .h = 1, .d = 2 },
				    .signal = 1 };
	CHECK_EQ(xfer(t), VGPU_OK);
	t.box.z = 2;
	t.signal = 2;
	REJECTS(xfer(t), VGPU_E_INVALID);
	/* the layers as rows: what the fuzzer found passing */
	t.box = (struct vgpu_box){ .y = 1, .w = 16, .h = 2, .d = 1 };
	REJECTS(xfer(t), VGPU_E_INVALID);
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
		.handle = array_handle,
		.box = { .w = 16, .h = 16, .d = 4 },
		.stride = 64,
		.layer_stride = 0xFFFFFFFFu,
		.signal = 1,
	};
	REJECTS(xfer(layers), VGPU_E_INVALID);
	/* the core rounds backing up to whole pages: 4 KiB here */
	layers.layer_stride = 1024; /* 3 * 1024 + 16 rows of 64 bytes fit in 4 KiB */
	CHECK_EQ(xfer(layers), VGPU_OK);
	layers.layer_stride = 2048; /* 3 * 2048 + 1024 do not */
	layers.signal = 2;
	REJECTS(xfer(layers), VGPU_E_INVALID);
	layers.signal = 3;
	layers.layer_stride = 256;
	CHECK_EQ(xfer(layers), VGPU_OK);
	down();
}

/* A resource of `format`, w x h, one level, `size` bytes of backing: its handle. */
static uint32_t make_sized(uint32_t format, uint32_t w, uint32_t h, uint64_t size)
{
	struct vgpu_resource_create c = texture_desc(w, h, 1);

	c.format = format;
	c.size = size;
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_CREATE, &c, sizeof(c)), VGPU_OK);
	return c.handle;
}

static struct vgpu_transfer box_of(uint32_t handle, uint32_t w, uint32_t h, uint64_t signal)
{
	return (struct vgpu_transfer){ .handle = handle,
				       .box = { .w = w, .h = h, .d = 1 },
				       .signal = signal };
}

/* The backing bound counts the format's bytes per texel or block, not one byte per texel. */
static void test_transfer_past_backing_in_bytes(void)
{
	struct vgpu_transfer t;
	uint32_t bgra, rgba32f, dxt1, dxt5, mips;

	if (!up(true))
		return;
	bgra = make_sized(1 /* B8G8R8A8_UNORM */, 64, 64, 4096);
	/* the reproducer: 64x17 texels are 4352 bytes */
	REJECTS(xfer_from(box_of(bgra, 64, 17, 1)), VGPU_E_INVALID);
	REJECTS(xfer(box_of(bgra, 64, 17, 1)), VGPU_E_INVALID);
	CHECK_EQ(xfer_from(box_of(bgra, 64, 16, 1)), VGPU_OK);
	t = box_of(bgra, 64, 16, 2);
	t.stride = 255; /* less than a row of 64 texels */
	REJECTS(xfer(t), VGPU_E_INVALID);

	rgba32f = make_sized(31 /* R32G32B32A32_FLOAT */, 32, 32, 4096);
	REJECTS(xfer(box_of(rgba32f, 32, 9, 2)), VGPU_E_INVALID);
	t = box_of(rgba32f, 1, 1, 2);
	t.offset = 4081;
	REJECTS(xfer(t), VGPU_E_INVALID);
	t.offset = 4080;
	CHECK_EQ(xfer(t), VGPU_OK);

	/* compressed: whole 4x4 blocks, a partial block counts whole */
	dxt1 = make_sized(106 /* DXT1_RGBA, 8 bytes */, 64, 128, 4096);
	CHECK_EQ(xfer(box_of(dxt1, 64, 128, 3)), VGPU_OK);
	t = box_of(dxt1, 61, 125, 4);
	t.offset = 8;
	REJECTS(xfer(t), VGPU_E_INVALID);
	dxt5 = make_sized(108 /* DXT5_RGBA, 16 bytes */, 64, 64, 4096);
	CHECK_EQ(xfer(box_of(dxt5, 64, 64, 4)), VGPU_OK);
	t = box_of(dxt5, 4, 4, 5);
	t.offset = 4096 - 15;
	REJECTS(xfer(t), VGPU_E_INVALID);

	/* every level: level 1 of a 64x64 BGRA8 texture is 32x32, 4 KiB */
	mips = make_texture(F, 64, 64, 2);
	t = box_of(mips, 32, 32, 5);
	t.level = 1;
	t.offset = 32768 - 4096 + 4;
	REJECTS(xfer(t), VGPU_E_INVALID);
	t.offset = 32768 - 4096;
	CHECK_EQ(xfer(t), VGPU_OK);
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

int main(void)
{
	RUN(test_resource_create_before_context);
	RUN(test_resource_create_zero_dimensions);
	RUN(test_resource_create_oversized_dimensions);
	RUN(test_resource_create_bad_size);
	RUN(test_resource_create_levels_beyond_dimensions);
	RUN(test_resource_create_bad_target);
	RUN(test_resource_create_unknown_format);
	RUN(test_resource_create_buffer_height);
	RUN(test_resource_create_bad_samples);
	RUN(test_resource_create_unknown_flags);
	RUN(test_transfer_level_beyond_last);
	RUN(test_transfer_box_outside_level);
	RUN(test_transfer_1d_array_layers_in_z);
	RUN(test_transfer_empty_box);
	RUN(test_transfer_past_backing);
	RUN(test_transfer_past_backing_in_bytes);
	RUN(test_transfer_signal_not_increasing);
	return tap_done();
}
