/* SPDX-License-Identifier: MIT */
/*
 * Bad codes, sizes, order, fields, handles, boxes, submits and waits are
 * refused with their error codes, and the refusals change nothing: no
 * object, no device traffic (GET_STATS before and after).
 */
#include "validation.h"

#include <stdbool.h>
#include <string.h>

#include "check.h"

#define TEXTURE_SIZE 64u

/* An opened handle with a context and one 64x64 texture; `before` is GET_STATS after that. */
struct fixture {
	const struct validation_guest *g;
	void *h;
	struct vgpu_resource_create tex;
	struct vgpu_get_stats before;
};

static int call(const struct fixture *f, uint32_t code, void *args, uint32_t size)
{
	return f->g->call(f->g->ctx, f->h, code, args, size, args, size, NULL, 0);
}

static int call_direct(const struct fixture *f, uint32_t code, const void *args, uint32_t size,
		       void *payload, uint32_t payload_size)
{
	return f->g->call(f->g->ctx, f->h, code, args, size, NULL, 0, payload, payload_size);
}

static struct vgpu_resource_create texture_desc(void)
{
	return (struct vgpu_resource_create){ .target = 2,
					      .format = 1,
					      .bind = 1u << 3,
					      .width = TEXTURE_SIZE,
					      .height = TEXTURE_SIZE,
					      .depth = 1,
					      .array_size = 1,
					      .size = TEXTURE_SIZE * TEXTURE_SIZE * 4u };
}

static int context(const struct fixture *f, uint32_t capset_id)
{
	struct vgpu_context_create cc = { .capset_id = capset_id };

	return call(f, VGPU_IOCTL_CONTEXT_CREATE, &cc, sizeof(cc));
}

static int resource(const struct fixture *f, struct vgpu_resource_create *desc)
{
	return call(f, VGPU_IOCTL_RESOURCE_CREATE, desc, sizeof(*desc));
}

static int destroy(const struct fixture *f, uint32_t handle)
{
	struct vgpu_resource_destroy d = { .handle = handle };

	return call(f, VGPU_IOCTL_RESOURCE_DESTROY, &d, sizeof(d));
}

static int map(const struct fixture *f, uint32_t handle)
{
	struct vgpu_resource_map m = { .handle = handle };

	return call(f, VGPU_IOCTL_RESOURCE_MAP, &m, sizeof(m));
}

static int stats(const struct fixture *f, struct vgpu_get_stats *st)
{
	memset(st, 0, sizeof(*st));
	return call(f, VGPU_IOCTL_GET_STATS, st, sizeof(*st));
}

/* A handle only; false (and nothing open) if it did not open. */
static bool open_bare(const struct validation_guest *g, struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->g = g;
	CHECK_EQ(g->open(g->ctx, &f->h), VGPU_OK);
	return f->h != NULL;
}

static bool fixture_open(const struct validation_guest *g, struct fixture *f)
{
	bool ok;

	if (!open_bare(g, f))
		return false;
	f->tex = texture_desc();
	ok = context(f, VGPU_CAPSET_VIRGL2) == VGPU_OK && resource(f, &f->tex) == VGPU_OK &&
	     stats(f, &f->before) == VGPU_OK;
	CHECK(ok);
	return ok;
}

/* Nothing was created or destroyed, and nothing reached the device. */
static void fixture_close(struct fixture *f, bool opened)
{
	struct vgpu_get_stats after;

	if (opened) {
		CHECK_EQ(stats(f, &after), VGPU_OK);
		CHECK_EQ(after.resources, f->before.resources);
		CHECK_EQ(after.backing_bytes, f->before.backing_bytes);
		CHECK_EQ(after.contexts, f->before.contexts);
		CHECK_EQ(after.device_errors, f->before.device_errors);
		CHECK_EQ(after.fences_completed, f->before.fences_completed);
	}
	if (f->h)
		f->g->close(f->g->ctx, f->h);
}

void validation_codes_and_sizes(const struct validation_guest *g)
{
	struct vgpu_get_info info = { .abi_major = VGPU_ABI_VERSION_MAJOR };
	struct vgpu_submit s = { .size = 4, .signal = 1 };
	uint32_t payload[2] = { 0 };
	struct fixture f;
	bool opened = fixture_open(g, &f);

	if (opened) {
		CHECK_EQ(call(&f, VGPU_CTL_CODE(0x9FF, VGPU_METHOD_BUFFERED), &info, sizeof(info)),
			 VGPU_E_UNSUPPORTED);
		/* The right function with the wrong method is another code. */
		CHECK_EQ(call(&f, VGPU_CTL_CODE(0x900, VGPU_METHOD_IN_DIRECT), &info, sizeof(info)),
			 VGPU_E_UNSUPPORTED);
		CHECK_EQ(call_direct(&f, VGPU_CTL_CODE(0x909, VGPU_METHOD_BUFFERED), &s, sizeof(s),
				     payload, 4),
			 VGPU_E_UNSUPPORTED);
		CHECK_EQ(call(&f, VGPU_IOCTL_GET_INFO, &info, sizeof(info) - 8), VGPU_E_BAD_SIZE);
		CHECK_EQ(call(&f, VGPU_IOCTL_GET_INFO, &info, sizeof(info) + 8), VGPU_E_BAD_SIZE);
		/* no answer buffer */
		CHECK_EQ(g->call(g->ctx, f.h, VGPU_IOCTL_GET_INFO, &info, sizeof(info), NULL, 0,
				 NULL, 0),
			 VGPU_E_BAD_SIZE);
		CHECK_EQ(call_direct(&f, VGPU_IOCTL_SUBMIT, &s, sizeof(s) - 4, payload, 4),
			 VGPU_E_BAD_SIZE);
	}
	fixture_close(&f, opened);
}

void validation_call_order(const struct validation_guest *g)
{
	static const uint32_t nop = 0;
	struct vgpu_submit s = { .size = 4, .signal = 1 };
	struct vgpu_resource_create tex = texture_desc();
	uint32_t payload = nop;
	struct fixture f;

	if (!open_bare(g, &f))
		return;
	CHECK_EQ(resource(&f, &tex), VGPU_E_STATE);
	CHECK_EQ(call_direct(&f, VGPU_IOCTL_SUBMIT, &s, sizeof(s), &payload, sizeof(payload)),
		 VGPU_E_STATE);
	CHECK_EQ(context(&f, VGPU_CAPSET_VIRGL2), VGPU_OK);
	CHECK_EQ(context(&f, VGPU_CAPSET_VIRGL2), VGPU_E_STATE);
	fixture_close(&f, false);
}

void validation_context_fields(const struct validation_guest *g)
{
	struct vgpu_context_create cc;
	struct fixture f;

	if (!open_bare(g, &f))
		return;
	cc = (struct vgpu_context_create){ .capset_id = VGPU_CAPSET_VIRGL2, .flags = 1 };
	CHECK_EQ(call(&f, VGPU_IOCTL_CONTEXT_CREATE, &cc, sizeof(cc)), VGPU_E_INVALID);
	cc = (struct vgpu_context_create){ .capset_id = VGPU_CAPSET_VIRGL2, .pad = 1 };
	CHECK_EQ(call(&f, VGPU_IOCTL_CONTEXT_CREATE, &cc, sizeof(cc)), VGPU_E_INVALID);
	cc = (struct vgpu_context_create){ .capset_id = VGPU_CAPSET_VIRGL2 };
	memset(cc.debug_name, 'x', sizeof(cc.debug_name)); /* no terminating NUL */
	CHECK_EQ(call(&f, VGPU_IOCTL_CONTEXT_CREATE, &cc, sizeof(cc)), VGPU_E_INVALID);
	cc = (struct vgpu_context_create){ .capset_id = 3 };
	CHECK_EQ(call(&f, VGPU_IOCTL_CONTEXT_CREATE, &cc, sizeof(cc)), VGPU_E_UNSUPPORTED);
	/* None of the refusals used up the handle's one context. */
	CHECK_EQ(context(&f, VGPU_CAPSET_VIRGL), VGPU_OK);
	fixture_close(&f, false);
}

void validation_resource_fields(const struct validation_guest *g)
{
	struct vgpu_resource_create d;
	struct fixture f;
	bool opened = fixture_open(g, &f);

	if (opened) {
		d = texture_desc();
		d.width = 0;
		CHECK_EQ(resource(&f, &d), VGPU_E_INVALID);
		d = texture_desc();
		d.target = 99;
		CHECK_EQ(resource(&f, &d), VGPU_E_INVALID);
		d = texture_desc();
		d.flags = 1u << 7;
		CHECK_EQ(resource(&f, &d), VGPU_E_INVALID);
		d = texture_desc();
		d.last_level = 10; /* a 64x64 texture has 7 levels */
		CHECK_EQ(resource(&f, &d), VGPU_E_INVALID);
		d = texture_desc();
		d.size = VGPU_MAX_RESOURCE_BYTES + 1;
		CHECK_EQ(resource(&f, &d), VGPU_E_INVALID);
		d = texture_desc();
		d.target = 0; /* a buffer must be one row */
		CHECK_EQ(resource(&f, &d), VGPU_E_INVALID);
	}
	fixture_close(&f, opened);
}

void validation_handles(const struct validation_guest *g)
{
	struct vgpu_resource_create tex = texture_desc();
	struct fixture f, other;
	bool opened = fixture_open(g, &f);

	if (opened) {
		CHECK_EQ(destroy(&f, 0), VGPU_E_BAD_HANDLE);
		CHECK_EQ(destroy(&f, f.tex.handle + 1), VGPU_E_BAD_HANDLE);
		/* Another handle's resource cannot be named. */
		if (open_bare(g, &other)) {
			CHECK_EQ(map(&other, f.tex.handle), VGPU_E_BAD_HANDLE);
			CHECK_EQ(destroy(&other, f.tex.handle), VGPU_E_BAD_HANDLE);
			fixture_close(&other, false);
		}
		/* A destroyed handle stays dead, even once its slot is used again. */
		CHECK_EQ(resource(&f, &tex), VGPU_OK);
		CHECK_EQ(destroy(&f, tex.handle), VGPU_OK);
		CHECK_EQ(destroy(&f, tex.handle), VGPU_E_BAD_HANDLE);
		CHECK_EQ(resource(&f, &tex), VGPU_OK);
		CHECK_EQ(map(&f, tex.handle - (1u << 20)), VGPU_E_BAD_HANDLE);
		CHECK_EQ(destroy(&f, tex.handle), VGPU_OK);
	}
	fixture_close(&f, opened);
}

static int transfer(const struct fixture *f, uint32_t code, struct vgpu_transfer *t)
{
	return call(f, code, t, sizeof(*t));
}

void validation_transfers(const struct validation_guest *g)
{
	struct vgpu_transfer t;
	struct fixture f;
	bool opened = fixture_open(g, &f);

	if (opened) {
		t = (struct vgpu_transfer){ .handle = f.tex.handle,
					    .box = { .x = 1, .w = TEXTURE_SIZE, .h = 1, .d = 1 },
					    .signal = 1 };
		/* past the right edge */
		CHECK_EQ(transfer(&f, VGPU_IOCTL_TRANSFER_TO_HOST, &t), VGPU_E_INVALID);
		t = (struct vgpu_transfer){ .handle = f.tex.handle,
					    .level = 1,
					    .box = { .w = 1, .h = 1, .d = 1 },
					    .signal = 1 };
		/* no level 1 */
		CHECK_EQ(transfer(&f, VGPU_IOCTL_TRANSFER_TO_HOST, &t), VGPU_E_INVALID);
		t = (struct vgpu_transfer){ .handle = f.tex.handle,
					    .offset = f.tex.size,
					    .box = { .w = 1, .h = 1, .d = 1 },
					    .signal = 1 };
		/* past the backing */
		CHECK_EQ(transfer(&f, VGPU_IOCTL_TRANSFER_FROM_HOST, &t), VGPU_E_INVALID);
		t = (struct vgpu_transfer){ .handle = 0x12345,
					    .box = { .w = 1, .h = 1, .d = 1 },
					    .signal = 1 };
		CHECK_EQ(transfer(&f, VGPU_IOCTL_TRANSFER_FROM_HOST, &t), VGPU_E_BAD_HANDLE);
		/* The timeline only moves forward. */
		t = (struct vgpu_transfer){ .handle = f.tex.handle,
					    .box = { .w = 1, .h = 1, .d = 1 } };
		CHECK_EQ(transfer(&f, VGPU_IOCTL_TRANSFER_TO_HOST, &t), VGPU_E_INVALID);
	}
	fixture_close(&f, opened);
}

void validation_submits(const struct validation_guest *g)
{
	uint32_t payload[4] = { 0 };
	struct vgpu_submit s;
	struct fixture f;
	bool opened = fixture_open(g, &f);

	if (opened) {
		s = (struct vgpu_submit){ .size = 6, .signal = 1 };
		/* not whole dwords */
		CHECK_EQ(call_direct(&f, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, 6),
			 VGPU_E_INVALID);
		s = (struct vgpu_submit){ .size = VGPU_MAX_SUBMIT_BYTES + 4, .signal = 1 };
		CHECK_EQ(call_direct(&f, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, 8),
			 VGPU_E_INVALID);
		s = (struct vgpu_submit){ .size = 8, .flags = 1, .signal = 1 };
		CHECK_EQ(call_direct(&f, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, 8),
			 VGPU_E_INVALID);
		s = (struct vgpu_submit){ .size = 8,
					  .num_handles = VGPU_MAX_SUBMIT_HANDLES + 1,
					  .signal = 1 };
		CHECK_EQ(call_direct(&f, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, 8),
			 VGPU_E_INVALID);
		s = (struct vgpu_submit){ .size = 8, .num_handles = 1, .signal = 1 };
		/* the handle is missing */
		CHECK_EQ(call_direct(&f, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, 8),
			 VGPU_E_BAD_SIZE);
		payload[0] = 0xBAD;
		CHECK_EQ(call_direct(&f, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, 12),
			 VGPU_E_BAD_HANDLE);
		payload[0] = f.tex.handle;
		s.signal = 0; /* it must grow */
		CHECK_EQ(call_direct(&f, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, 12),
			 VGPU_E_INVALID);
	}
	fixture_close(&f, opened);
}

void validation_waits(const struct validation_guest *g)
{
	struct vgpu_wait w;
	struct fixture f;
	bool opened = fixture_open(g, &f);

	if (opened) {
		w = (struct vgpu_wait){ .kind = 3 };
		CHECK_EQ(call(&f, VGPU_IOCTL_WAIT, &w, sizeof(w)), VGPU_E_INVALID);
		w = (struct vgpu_wait){ .kind = VGPU_WAIT_FENCE, .handle = f.tex.handle };
		CHECK_EQ(call(&f, VGPU_IOCTL_WAIT, &w, sizeof(w)), VGPU_E_INVALID);
		/* never submitted */
		w = (struct vgpu_wait){ .kind = VGPU_WAIT_FENCE, .value = 5, .timeout_ns = 1000 };
		CHECK_EQ(call(&f, VGPU_IOCTL_WAIT, &w, sizeof(w)), VGPU_E_INVALID);
		w = (struct vgpu_wait){ .kind = VGPU_WAIT_RESOURCE, .handle = 0x777 };
		CHECK_EQ(call(&f, VGPU_IOCTL_WAIT, &w, sizeof(w)), VGPU_E_BAD_HANDLE);
		/* A resource nothing used is idle at once. */
		w = (struct vgpu_wait){ .kind = VGPU_WAIT_RESOURCE, .handle = f.tex.handle };
		CHECK_EQ(call(&f, VGPU_IOCTL_WAIT, &w, sizeof(w)), VGPU_OK);
	}
	fixture_close(&f, opened);
}
