/* SPDX-License-Identifier: MIT */
/*
 * libvgpu for Windows over its test channel, run under Wine against a
 * real vgpu-sim, either way it is reached: TCP on loopback (the sim's
 * --tcp port) or its Unix socket through Linux's own calls; guest memory
 * mapped through Z:\ views of the sim's memory file.  Usage:
 *   VGPU_SOCKET=tcp:127.0.0.1:PORT wine test_libvgpu_sim.exe
 *   VGPU_SOCKET=/path/of/sim.sock wine test_libvgpu_sim.exe
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libvgpu.h"
#include "tap.h"
#include "virgl_stream.h"

#define WIDTH 64
#define HEIGHT 48
#define STRIDE (WIDTH * 4)
#define BIG_BYTES (1u << 20 | 12288u) /* pages beyond a 64 KiB granule */
#define WAIT_NS (5ull * 1000000000ull)

static struct vgpu_dev *dev;
static uint32_t texture;
static uint8_t *pixels;
static uint64_t pixels_size;

static void test_open(void)
{
	const struct vgpu_get_info *info;
	int status = vgpu_open(&dev);

	printf("# VGPU_SOCKET: %s\n", getenv("VGPU_SOCKET"));
	if (status != VGPU_OK)
		printf("# vgpu_open: %s (%s)\n", vgpu_status_str(status), vgpu_open_error());
	CHECK_EQ(status, VGPU_OK);
	info = vgpu_info(dev);
	CHECK(info != NULL);
	if (!info)
		return;
	CHECK_EQ(info->abi_major, VGPU_ABI_VERSION_MAJOR);
	CHECK_EQ(info->personality, VGPU_PERSONALITY_STANDARD);
	CHECK(info->capset_mask & (1u << VGPU_CAPSET_VIRGL2));
}

static void test_capset(void)
{
	static uint8_t caps[VGPU_MAX_CAPSET_BYTES];
	uint32_t size = 0;

	CHECK_EQ(vgpu_get_capset(dev, VGPU_CAPSET_VIRGL2, 2, caps, sizeof(caps), &size), VGPU_OK);
	CHECK(size > 1000 && size <= sizeof(caps));
	CHECK_EQ(vgpu_context_create(dev, VGPU_CAPSET_VIRGL2, "test_libvgpu_sim"), VGPU_OK);
}

static int create(uint32_t target, uint32_t format, uint32_t bind, uint32_t width, uint32_t height,
		  uint64_t size, uint32_t *handle)
{
	struct vgpu_resource_create req = {
		.target = target,
		.format = format,
		.bind = bind,
		.width = width,
		.height = height,
		.depth = 1,
		.array_size = 1,
		.size = size,
	};
	int status = vgpu_resource_create(dev, &req);

	*handle = req.handle;
	return status;
}

static void test_create_and_map(void)
{
	void *ptr = NULL;

	CHECK_EQ(create(VSTREAM_TARGET_TEXTURE_2D, VSTREAM_FORMAT_B8G8R8A8_UNORM,
			VSTREAM_BIND_RENDER_TARGET | VSTREAM_BIND_SAMPLER_VIEW, WIDTH, HEIGHT,
			STRIDE * HEIGHT, &texture),
		 VGPU_OK);
	CHECK_EQ(vgpu_resource_map(dev, texture, &ptr, &pixels_size), VGPU_OK);
	CHECK(ptr != NULL && pixels_size >= STRIDE * HEIGHT);
	pixels = ptr;
	/* Fresh backing is zeroed by the sim: the view shows its memory. */
	CHECK(pixels && pixels[0] == 0 && pixels[STRIDE * HEIGHT - 1] == 0);
}

static uint8_t pattern(uint32_t i)
{
	return (uint8_t)(i * 7 + i / 251);
}

/* Out through the device and back: the host copy is what the view held. */
static int round_trip(uint32_t handle, uint32_t width, uint32_t height, uint32_t stride)
{
	struct vgpu_transfer t = {
		.handle = handle,
		.box = { .w = width, .h = height, .d = 1 },
		.stride = stride,
	};
	uint64_t fence = 0;
	int status = vgpu_transfer_to_host(dev, &t, &fence);

	if (status == VGPU_OK)
		status = vgpu_wait_fence(dev, fence, WAIT_NS);
	return status;
}

static int fetch(uint32_t handle, uint32_t width, uint32_t height, uint32_t stride)
{
	struct vgpu_transfer t = {
		.handle = handle,
		.box = { .w = width, .h = height, .d = 1 },
		.stride = stride,
	};
	uint64_t fence = 0;
	int status = vgpu_transfer_from_host(dev, &t, &fence);

	if (status == VGPU_OK)
		status = vgpu_wait_fence(dev, fence, WAIT_NS);
	return status;
}

static bool holds_pattern(const uint8_t *p, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		if (p[i] != pattern(i)) {
			printf("# byte %u: got 0x%02x, want 0x%02x\n", i, p[i], pattern(i));
			return false;
		}
	}
	return true;
}

static void test_texture_round_trip(void)
{
	if (!pixels) {
		CHECK(!"no mapping");
		return;
	}
	for (uint32_t i = 0; i < STRIDE * HEIGHT; i++)
		pixels[i] = pattern(i);
	CHECK_EQ(round_trip(texture, WIDTH, HEIGHT, STRIDE), VGPU_OK);
	memset(pixels, 0, STRIDE * HEIGHT);
	CHECK_EQ(fetch(texture, WIDTH, HEIGHT, STRIDE), VGPU_OK);
	CHECK(holds_pattern(pixels, STRIDE * HEIGHT));
}

/* A second MAP is the same view; after UNMAP a new view shows the same memory. */
static void test_remap(void)
{
	void *again = NULL;
	uint64_t size = 0;

	CHECK_EQ(vgpu_resource_map(dev, texture, &again, &size), VGPU_OK);
	CHECK(again == pixels && size == pixels_size);
	CHECK_EQ(vgpu_resource_unmap(dev, texture), VGPU_OK);
	CHECK_EQ(vgpu_resource_map(dev, texture, &again, &size), VGPU_OK);
	CHECK(again != NULL && holds_pattern(again, STRIDE * HEIGHT));
	pixels = again;
}

/* A buffer of many granules, likely not starting on one: the view still fits it exactly. */
static void test_big_buffer(void)
{
	uint32_t buffer = 0;
	uint8_t *data;
	void *ptr = NULL;
	uint64_t size = 0;

	CHECK_EQ(create(VSTREAM_TARGET_BUFFER, VSTREAM_FORMAT_R8_UNORM, VSTREAM_BIND_VERTEX_BUFFER,
			BIG_BYTES, 1, BIG_BYTES, &buffer),
		 VGPU_OK);
	CHECK_EQ(vgpu_resource_map(dev, buffer, &ptr, &size), VGPU_OK);
	CHECK(ptr != NULL && size >= BIG_BYTES);
	if (!ptr)
		return;
	data = ptr;
	for (uint32_t i = 0; i < BIG_BYTES; i++)
		data[i] = pattern(i);
	CHECK_EQ(round_trip(buffer, BIG_BYTES, 1, 0), VGPU_OK);
	memset(data, 0, BIG_BYTES);
	CHECK_EQ(fetch(buffer, BIG_BYTES, 1, 0), VGPU_OK);
	CHECK(holds_pattern(data, BIG_BYTES));
	/* DESTROY drops the view along with the resource. */
	CHECK_EQ(vgpu_resource_destroy(dev, buffer), VGPU_OK);
	CHECK_EQ(vgpu_resource_map(dev, buffer, &ptr, &size), VGPU_E_BAD_HANDLE);
}

static void test_bad_addresses(void)
{
	struct vgpu_dev *other = NULL;

	CHECK_EQ(vgpu_open_socket("tcp:127.0.0.1", &other), VGPU_E_TRANSPORT);
	CHECK_EQ(vgpu_open_socket("tcp:127.0.0.1:1", &other), VGPU_E_TRANSPORT);
	CHECK(other == NULL);
}

static void test_close(void)
{
	CHECK_EQ(vgpu_resource_destroy(dev, texture), VGPU_OK);
	vgpu_close(dev);
	dev = NULL;
}

int main(void)
{
	RUN(test_open);
	if (dev) {
		RUN(test_capset);
		RUN(test_create_and_map);
		RUN(test_texture_round_trip);
		RUN(test_remap);
		RUN(test_big_buffer);
		RUN(test_bad_addresses);
		RUN(test_close);
	}
	return tap_done();
}
