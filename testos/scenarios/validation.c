/* SPDX-License-Identifier: MIT */
/*
 * The dispatcher's validation cases (tests/guest/validation.c) through
 * vgpu_file_ioctl, the entry point the Windows shell calls; testos-nt runs
 * the same cases through vgpu.sys.
 */
#include "check.h"
#include "client.h"
#include "validation.h"
#include "vgpu_core.h"
#include "heap.h"

static int open_handle(void *ctx, void **handle)
{
	struct client *c = heap_alloc(sizeof(*c));
	int ret;

	*handle = NULL;
	if (!c)
		return VGPU_E_NO_MEMORY;
	ret = client_open(c, ctx);
	if (ret != VGPU_OK) {
		heap_free(c);
		return ret;
	}
	*handle = c;
	return VGPU_OK;
}

static void close_handle(void *ctx, void *handle)
{
	client_close(handle);
	heap_free(handle);
}

static int raw_call(void *ctx, void *handle, uint32_t code, const void *in, uint32_t in_size,
		    void *out, uint32_t out_size, void *payload, uint32_t payload_size)
{
	struct client *c = handle;
	struct vgpu_ioctl_bufs b = { .in = in,
				     .in_size = in_size,
				     .out = out,
				     .out_size = out_size,
				     .payload = payload,
				     .payload_size = payload_size };

	return vgpu_file_ioctl(c->file, code, &b);
}

#define RUN_CASE(name)                                                                             \
	static void run_##name(struct testos_gpu *gpu)                                             \
	{                                                                                          \
		const struct validation_guest g = { gpu, open_handle, close_handle, raw_call };    \
                                                                                                   \
		validation_##name(&g);                                                             \
	}
VALIDATION_CASES(RUN_CASE)

#define CASE_ENTRY(name) { #name, run_##name },
static const struct test_case cases[] = { VALIDATION_CASES(CASE_ENTRY) };

TEST_SUITE(validation, cases);
