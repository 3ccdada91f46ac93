/* SPDX-License-Identifier: MIT */
/*
 * The dispatcher's validation through vgpu_file_ioctl, the entry point the
 * Windows shell calls: bad codes, sizes, order, fields, handles, boxes,
 * submits and waits are refused with their error codes, and the refusals
 * change nothing (no object, no device traffic).
 */
#include <string.h>

#include "check.h"
#include "client.h"
#include "vgpu_core.h"
#include "../shell/gpu.h"

#define TEXTURE_SIZE 64u

struct fixture {
	struct client c;
	struct vgpu_resource_create tex;
	struct vgpu_get_stats before;
};

static void texture_desc(struct vgpu_resource_create *d)
{
	*d = (struct vgpu_resource_create){ .target = 2,
					    .format = 1,
					    .bind = 1u << 3,
					    .width = TEXTURE_SIZE,
					    .height = TEXTURE_SIZE,
					    .depth = 1,
					    .array_size = 1,
					    .size = TEXTURE_SIZE * TEXTURE_SIZE * 4u };
}

/* A handle with a context and one 64x64 texture; `before` holds the stats after that. */
static bool fixture_open(struct testos_gpu *gpu, struct fixture *f)
{
	CHECK_EQ(client_open(&f->c, gpu), VGPU_OK);
	CHECK_EQ(client_context(&f->c, VGPU_CAPSET_VIRGL2, "testos-validation"), VGPU_OK);
	texture_desc(&f->tex);
	CHECK_EQ(client_resource(&f->c, &f->tex), VGPU_OK);
	CHECK_EQ(client_stats(&f->c, &f->before), VGPU_OK);
	return !case_failing();
}

/* Nothing was created or destroyed, and nothing reached the device. */
static void fixture_close(struct fixture *f)
{
	struct vgpu_get_stats after;

	CHECK_EQ(client_stats(&f->c, &after), VGPU_OK);
	CHECK_EQ(after.resources, f->before.resources);
	CHECK_EQ(after.backing_bytes, f->before.backing_bytes);
	CHECK_EQ(after.contexts, f->before.contexts);
	CHECK_EQ(after.device_errors, f->before.device_errors);
	CHECK_EQ(after.fences_completed, f->before.fences_completed);
	client_close(&f->c);
}

static void codes_and_sizes(struct testos_gpu *gpu)
{
	struct vgpu_get_info info = { .abi_major = VGPU_ABI_VERSION_MAJOR };
	struct vgpu_submit s = { .size = 4, .signal = 1 };
	uint32_t payload[2] = { 0 };
	struct vgpu_ioctl_bufs b;
	struct fixture f;

	if (!fixture_open(gpu, &f))
		goto out;
	CHECK_EQ(client_call(&f.c, VGPU_CTL_CODE(0x9FF, VGPU_METHOD_BUFFERED), &info, sizeof(info)),
		 VGPU_E_UNSUPPORTED);
	/* The right function with the wrong method is another code. */
	CHECK_EQ(
		client_call(&f.c, VGPU_CTL_CODE(0x900, VGPU_METHOD_IN_DIRECT), &info, sizeof(info)),
		VGPU_E_UNSUPPORTED);
	CHECK_EQ(client_call(&f.c, VGPU_IOCTL_GET_INFO, &info, sizeof(info) - 8), VGPU_E_BAD_SIZE);
	b = (struct vgpu_ioctl_bufs){ .in = &info,
				      .in_size = sizeof(info),
				      .out_size = sizeof(info) };
	CHECK_EQ(vgpu_file_ioctl(f.c.file, VGPU_IOCTL_GET_INFO, &b), VGPU_E_BAD_SIZE); /* no out */
	b = (struct vgpu_ioctl_bufs){ .in = &s,
				      .in_size = sizeof(s),
				      .out = &s,
				      .out_size = sizeof(s),
				      .payload = payload,
				      .payload_size = 4 };
	CHECK_EQ(vgpu_file_ioctl(f.c.file, VGPU_IOCTL_SUBMIT, &b), VGPU_E_BAD_SIZE);
	b = (struct vgpu_ioctl_bufs){ .in = &s, .in_size = sizeof(s), .payload_size = 4 };
	CHECK_EQ(vgpu_file_ioctl(f.c.file, VGPU_IOCTL_SUBMIT, &b),
		 VGPU_E_BAD_SIZE); /* no payload */
out:
	fixture_close(&f);
}

static void call_order(struct testos_gpu *gpu)
{
	static const uint32_t nop = 0;
	struct vgpu_resource_create tex;
	struct client c;

	CHECK_EQ(client_open(&c, gpu), VGPU_OK);
	texture_desc(&tex);
	CHECK_EQ(client_resource(&c, &tex), VGPU_E_STATE);
	CHECK_EQ(client_submit(&c, &nop, sizeof(nop), NULL, 0), VGPU_E_STATE);
	CHECK_EQ(client_context(&c, VGPU_CAPSET_VIRGL2, "first"), VGPU_OK);
	CHECK_EQ(client_context(&c, VGPU_CAPSET_VIRGL2, "second"), VGPU_E_STATE);
	client_close(&c);
}

static void context_fields(struct testos_gpu *gpu)
{
	struct vgpu_context_create cc;
	struct client c;

	CHECK_EQ(client_open(&c, gpu), VGPU_OK);
	cc = (struct vgpu_context_create){ .capset_id = VGPU_CAPSET_VIRGL2, .flags = 1 };
	CHECK_EQ(client_call(&c, VGPU_IOCTL_CONTEXT_CREATE, &cc, sizeof(cc)), VGPU_E_INVALID);
	cc = (struct vgpu_context_create){ .capset_id = VGPU_CAPSET_VIRGL2, .pad = 1 };
	CHECK_EQ(client_call(&c, VGPU_IOCTL_CONTEXT_CREATE, &cc, sizeof(cc)), VGPU_E_INVALID);
	cc = (struct vgpu_context_create){ .capset_id = VGPU_CAPSET_VIRGL2 };
	memset(cc.debug_name, 'x', sizeof(cc.debug_name)); /* no terminating NUL */
	CHECK_EQ(client_call(&c, VGPU_IOCTL_CONTEXT_CREATE, &cc, sizeof(cc)), VGPU_E_INVALID);
	cc = (struct vgpu_context_create){ .capset_id = 3 };
	CHECK_EQ(client_call(&c, VGPU_IOCTL_CONTEXT_CREATE, &cc, sizeof(cc)), VGPU_E_UNSUPPORTED);
	/* None of the refusals used up the handle's one context. */
	CHECK_EQ(client_context(&c, VGPU_CAPSET_VIRGL, "valid"), VGPU_OK);
	client_close(&c);
}

static void resource_fields(struct testos_gpu *gpu)
{
	struct vgpu_resource_create d;
	struct fixture f;

	if (!fixture_open(gpu, &f))
		goto out;
	texture_desc(&d);
	d.width = 0;
	CHECK_EQ(client_resource(&f.c, &d), VGPU_E_INVALID);
	texture_desc(&d);
	d.target = 99;
	CHECK_EQ(client_resource(&f.c, &d), VGPU_E_INVALID);
	texture_desc(&d);
	d.flags = 1u << 7;
	CHECK_EQ(client_resource(&f.c, &d), VGPU_E_INVALID);
	texture_desc(&d);
	d.last_level = 10; /* a 64x64 texture has 7 levels */
	CHECK_EQ(client_resource(&f.c, &d), VGPU_E_INVALID);
	texture_desc(&d);
	d.size = VGPU_MAX_RESOURCE_BYTES + 1;
	CHECK_EQ(client_resource(&f.c, &d), VGPU_E_INVALID);
	texture_desc(&d);
	d.target = 0; /* a buffer must be one row */
	CHECK_EQ(client_resource(&f.c, &d), VGPU_E_INVALID);
out:
	fixture_close(&f);
}

static void handles(struct testos_gpu *gpu)
{
	struct vgpu_resource_create tex;
	struct client other;
	struct fixture f;
	void *ptr;
	uint64_t size;

	if (!fixture_open(gpu, &f))
		goto out;
	CHECK_EQ(client_destroy(&f.c, 0), VGPU_E_BAD_HANDLE);
	CHECK_EQ(client_destroy(&f.c, f.tex.handle + 1), VGPU_E_BAD_HANDLE);
	/* Another handle's resource cannot be named. */
	CHECK_EQ(client_open(&other, gpu), VGPU_OK);
	CHECK_EQ(client_map(&other, f.tex.handle, &ptr, &size), VGPU_E_BAD_HANDLE);
	CHECK_EQ(client_destroy(&other, f.tex.handle), VGPU_E_BAD_HANDLE);
	client_close(&other);
	/* A destroyed handle stays dead, even once its slot is used again. */
	texture_desc(&tex);
	CHECK_EQ(client_resource(&f.c, &tex), VGPU_OK);
	CHECK_EQ(client_destroy(&f.c, tex.handle), VGPU_OK);
	CHECK_EQ(client_destroy(&f.c, tex.handle), VGPU_E_BAD_HANDLE);
	CHECK_EQ(client_resource(&f.c, &tex), VGPU_OK);
	CHECK_EQ(client_map(&f.c, tex.handle - (1u << 20), &ptr, &size), VGPU_E_BAD_HANDLE);
	CHECK_EQ(client_destroy(&f.c, tex.handle), VGPU_OK);
out:
	fixture_close(&f);
}

static void transfers(struct testos_gpu *gpu)
{
	struct vgpu_transfer t;
	struct fixture f;

	if (!fixture_open(gpu, &f))
		goto out;
	t = (struct vgpu_transfer){ .handle = f.tex.handle,
				    .box = { .x = 1, .w = TEXTURE_SIZE, .h = 1, .d = 1 } };
	CHECK_EQ(client_transfer(&f.c, true, &t), VGPU_E_INVALID); /* past the right edge */
	t = (struct vgpu_transfer){ .handle = f.tex.handle,
				    .level = 1,
				    .box = { .w = 1, .h = 1, .d = 1 } };
	CHECK_EQ(client_transfer(&f.c, true, &t), VGPU_E_INVALID); /* no level 1 */
	t = (struct vgpu_transfer){ .handle = f.tex.handle,
				    .offset = f.tex.size,
				    .box = { .w = 1, .h = 1, .d = 1 } };
	CHECK_EQ(client_transfer(&f.c, false, &t), VGPU_E_INVALID); /* past the backing */
	t = (struct vgpu_transfer){ .handle = 0x12345, .box = { .w = 1, .h = 1, .d = 1 } };
	CHECK_EQ(client_transfer(&f.c, false, &t), VGPU_E_BAD_HANDLE);
	/* The timeline only moves forward. */
	t = (struct vgpu_transfer){ .handle = f.tex.handle,
				    .box = { .w = 1, .h = 1, .d = 1 },
				    .signal = 0 };
	CHECK_EQ(client_call(&f.c, VGPU_IOCTL_TRANSFER_TO_HOST, &t, sizeof(t)), VGPU_E_INVALID);
out:
	fixture_close(&f);
}

static int raw_submit(struct client *c, const struct vgpu_submit *s, void *payload,
		      uint32_t payload_size)
{
	return client_call_direct(c, VGPU_IOCTL_SUBMIT, s, sizeof(*s), payload, payload_size, NULL);
}

static void submits(struct testos_gpu *gpu)
{
	uint32_t payload[4] = { 0 };
	struct vgpu_submit s;
	struct fixture f;

	if (!fixture_open(gpu, &f))
		goto out;
	s = (struct vgpu_submit){ .size = 6, .signal = 1 };
	CHECK_EQ(raw_submit(&f.c, &s, payload, 6), VGPU_E_INVALID); /* not whole dwords */
	s = (struct vgpu_submit){ .size = VGPU_MAX_SUBMIT_BYTES + 4, .signal = 1 };
	CHECK_EQ(raw_submit(&f.c, &s, payload, 8), VGPU_E_INVALID);
	s = (struct vgpu_submit){ .size = 8, .flags = 1, .signal = 1 };
	CHECK_EQ(raw_submit(&f.c, &s, payload, 8), VGPU_E_INVALID);
	s = (struct vgpu_submit){ .size = 8,
				  .num_handles = VGPU_MAX_SUBMIT_HANDLES + 1,
				  .signal = 1 };
	CHECK_EQ(raw_submit(&f.c, &s, payload, 8), VGPU_E_INVALID);
	s = (struct vgpu_submit){ .size = 8, .num_handles = 1, .signal = 1 };
	CHECK_EQ(raw_submit(&f.c, &s, payload, 8), VGPU_E_BAD_SIZE); /* the handle is missing */
	payload[0] = 0xBAD;
	CHECK_EQ(raw_submit(&f.c, &s, payload, 12), VGPU_E_BAD_HANDLE);
	payload[0] = f.tex.handle;
	s.signal = 0;
	CHECK_EQ(raw_submit(&f.c, &s, payload, 12), VGPU_E_INVALID); /* signal must grow */
out:
	fixture_close(&f);
}

static void waits(struct testos_gpu *gpu)
{
	struct vgpu_wait w;
	struct fixture f;

	if (!fixture_open(gpu, &f))
		goto out;
	w = (struct vgpu_wait){ .kind = 3 };
	CHECK_EQ(client_call(&f.c, VGPU_IOCTL_WAIT, &w, sizeof(w)), VGPU_E_INVALID);
	w = (struct vgpu_wait){ .kind = VGPU_WAIT_FENCE, .handle = f.tex.handle };
	CHECK_EQ(client_call(&f.c, VGPU_IOCTL_WAIT, &w, sizeof(w)), VGPU_E_INVALID);
	CHECK_EQ(client_wait(&f.c, 5, 1000, NULL), VGPU_E_INVALID); /* never submitted */
	w = (struct vgpu_wait){ .kind = VGPU_WAIT_RESOURCE, .handle = 0x777 };
	CHECK_EQ(client_call(&f.c, VGPU_IOCTL_WAIT, &w, sizeof(w)), VGPU_E_BAD_HANDLE);
	/* A resource nothing used is idle at once. */
	w = (struct vgpu_wait){ .kind = VGPU_WAIT_RESOURCE, .handle = f.tex.handle };
	CHECK_EQ(client_call(&f.c, VGPU_IOCTL_WAIT, &w, sizeof(w)), VGPU_OK);
out:
	fixture_close(&f);
}

static const struct test_case cases[] = {
	{ "codes_and_sizes", codes_and_sizes },
	{ "call_order", call_order },
	{ "context_fields", context_fields },
	{ "resource_fields", resource_fields },
	{ "handles", handles },
	{ "transfers", transfers },
	{ "submits", submits },
	{ "waits", waits },
};

TEST_SUITE(validation, cases);
