/* SPDX-License-Identifier: MIT */
/*
 * The state most core cases work on - one device H and one open file F -
 * and the checks around it.  A test program includes this once, after
 * tap.h: like tap.h it defines its state per program, so that the checks
 * here count in that program's TAP case.
 *
 *   static void test_x(void) { if (!up(true)) return; ...; down(); }
 */
#ifndef VGPU_TESTS_CORE_SESSION_H
#define VGPU_TESTS_CORE_SESSION_H

#include "harness.h"
#include "tap.h"

static struct harness H;
static struct vgpu_file *F;

/* Close F and tear the device down; the case fails if that finds a leak or a misuse. */
static inline void down(void)
{
	CHECK(harness_session_down(&H, &F));
}

/* H and F (with a context if asked); false, with all torn down again, if F did not open. */
static inline bool up(bool with_context)
{
	CHECK_EQ(harness_session_up(&H, with_context, &F), VGPU_OK);
	if (F)
		return true;
	down();
	return false;
}

/* Bound on the number of OS acquisitions a step may make before it succeeds. */
#define MAX_FAILURE_POINTS 2000

/*
 * One resource made and destroyed, so that the core's request pools and the
 * file's handle table hold what later calls need: what stays live after
 * that is a leak.
 */
static inline void warm_up(void)
{
	struct vgpu_resource_destroy rd = { .handle = make_buffer(F, 65536, NULL) };

	CHECK(rd.handle != 0);
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_DESTROY, &rd, sizeof(rd)), VGPU_OK);
}

/* The call returns `status` and no command reaches the device. */
#define REJECTS(expr, status)                                                                      \
	do {                                                                                       \
		uint64_t before_ = fake_gpu_total_commands(&H.gpu);                                \
		CHECK_EQ((expr), (status));                                                        \
		CHECK_EQ(fake_gpu_total_commands(&H.gpu), before_);                                \
	} while (0)

/*
 * Every call of `f` that names a resource refuses `handle` with BAD_HANDLE;
 * the fenced ones are offered the signal values from `signal` on.
 */
static inline void check_handle_refused(struct vgpu_file *f, uint32_t handle, uint64_t signal)
{
	struct vgpu_resource_destroy rd = { .handle = handle };
	struct vgpu_resource_map rm = { .handle = handle };
	struct vgpu_wait w = { .kind = VGPU_WAIT_RESOURCE, .handle = handle, .timeout_ns = 1000 };

	REJECTS(call(f, VGPU_IOCTL_RESOURCE_DESTROY, &rd, sizeof(rd)), VGPU_E_BAD_HANDLE);
	REJECTS(call(f, VGPU_IOCTL_RESOURCE_MAP, &rm, sizeof(rm)), VGPU_E_BAD_HANDLE);
	rm = (struct vgpu_resource_map){ .handle = handle };
	REJECTS(call(f, VGPU_IOCTL_RESOURCE_UNMAP, &rm, sizeof(rm)), VGPU_E_BAD_HANDLE);
	REJECTS(transfer_buffer(f, VGPU_IOCTL_TRANSFER_TO_HOST, handle, 0, 16, signal++),
		VGPU_E_BAD_HANDLE);
	REJECTS(transfer_buffer(f, VGPU_IOCTL_TRANSFER_FROM_HOST, handle, 0, 16, signal++),
		VGPU_E_BAD_HANDLE);
	REJECTS(call(f, VGPU_IOCTL_WAIT, &w, sizeof(w)), VGPU_E_BAD_HANDLE);
	REJECTS(submit(f, &handle, 1, 4, signal), VGPU_E_BAD_HANDLE);
}

#endif /* VGPU_TESTS_CORE_SESSION_H */
