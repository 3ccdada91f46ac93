/* SPDX-License-Identifier: MIT */
/*
 * The dispatcher's validation cases, shared by both test guests: testos
 * makes each call through vgpu_file_ioctl (the core's entry point),
 * testos-nt through DeviceIoControl into the shipped vgpu.sys, so the same
 * refusals are checked on both sides of the Windows shell.  Each guest
 * supplies a way to open a handle and to make one raw call, and its own
 * "check.h" (CHECK and CHECK_EQ), found on its include path.
 */
#ifndef VGPU_TESTS_GUEST_VALIDATION_H
#define VGPU_TESTS_GUEST_VALIDATION_H

#include <stdint.h>

#include "vgpu/vgpu_abi.h"

struct validation_guest {
	void *ctx;
	/* A newly opened handle into *handle; an enum vgpu_status. */
	int (*open)(void *ctx, void **handle);
	void (*close)(void *ctx, void *handle);
	/*
	 * One call as an application makes it: `in` is its fixed struct; a
	 * buffered call answers into `out`, a direct call's payload is
	 * `payload` (read for IN_DIRECT, written for OUT_DIRECT).  Each call
	 * uses one of out and payload.  Returns an enum vgpu_status.
	 */
	int (*call)(void *ctx, void *handle, uint32_t code, const void *in, uint32_t in_size,
		    void *out, uint32_t out_size, void *payload, uint32_t payload_size);
};

/* The cases: X(name) for each; a guest makes its wrappers and table from this list. */
#define VALIDATION_CASES(X)                                                                        \
	X(codes_and_sizes)                                                                         \
	X(call_order)                                                                              \
	X(context_fields)                                                                          \
	X(resource_fields)                                                                         \
	X(handles)                                                                                 \
	X(transfers)                                                                               \
	X(submits)                                                                                 \
	X(waits)

#define VALIDATION_DECLARE(name) void validation_##name(const struct validation_guest *g);
VALIDATION_CASES(VALIDATION_DECLARE)
#undef VALIDATION_DECLARE

#endif /* VGPU_TESTS_GUEST_VALIDATION_H */
