/* SPDX-License-Identifier: MIT */
/*
 * vgpu.sys's exception guard (kmd/windows/seh_guard.S), assembled exactly
 * as the driver has it, in a user-mode program that Wine (or Windows)
 * runs: exceptions raised by software and by the CPU, directly and from
 * deeper frames, must come back as the guard's error value with the
 * stack and the callee-saved registers intact.  Wine's
 * __C_specific_handler and RtlUnwind follow the same unwind data as the
 * kernel's.
 */
#include <windows.h>

#include "seh_guard.h"
#include "tap.h"

#define CAUGHT (-77)
#define USER_EXCEPTION 0xE0564750u /* customer bit set: ours */

static volatile int depth_reached;

static int returns_arg(void *arg)
{
	return *(int *)arg;
}

static int raises(void *arg)
{
	RaiseException(USER_EXCEPTION, 0, 0, NULL);
	return 1;
}

static int faults(void *arg)
{
	volatile int *nowhere = arg;

	*nowhere = 1; /* arg is NULL: an access violation */
	return 2;
}

static int __attribute__((noinline)) deeper(int level)
{
	volatile char frame[256];

	frame[0] = (char)level;
	depth_reached = level;
	if (level == 0)
		RaiseException(USER_EXCEPTION, 0, 0, NULL);
	else
		deeper(level - 1);
	return frame[0];
}

static int raises_deep(void *arg)
{
	return deeper(8);
}

static int nested_guard(void *arg)
{
	/* The inner guard catches; the outer one sees an ordinary return. */
	return win_seh_call(raises, NULL, 5) + 1;
}

static void test_plain_return(void)
{
	int value = 1234;

	CHECK_EQ(win_seh_call(returns_arg, &value, CAUGHT), 1234);
}

static void test_software_exception(void)
{
	CHECK_EQ(win_seh_call(raises, NULL, CAUGHT), CAUGHT);
}

static void test_access_violation(void)
{
	CHECK_EQ(win_seh_call(faults, NULL, CAUGHT), CAUGHT);
}

static void test_exception_from_deep_frames(void)
{
	depth_reached = -1;
	CHECK_EQ(win_seh_call(raises_deep, NULL, CAUGHT), CAUGHT);
	CHECK_EQ(depth_reached, 0);
}

static void test_nested_guards(void)
{
	CHECK_EQ(win_seh_call(nested_guard, NULL, CAUGHT), 6);
}

/* Many unwinds in a row: a leak of stack or a clobbered register would show. */
static void test_state_survives_unwinds(void)
{
	volatile int marker = 0x5a5a;
	unsigned caught = 0, i;
	char *before = (char *)__builtin_frame_address(0);

	for (i = 0; i < 1000; i++)
		caught += win_seh_call(i & 1 ? raises : faults, NULL, CAUGHT) == CAUGHT;
	CHECK_EQ(caught, 1000);
	CHECK_EQ(marker, 0x5a5a);
	CHECK(before == (char *)__builtin_frame_address(0));
}

int main(void)
{
	RUN(test_plain_return);
	RUN(test_software_exception);
	RUN(test_access_violation);
	RUN(test_exception_from_deep_frames);
	RUN(test_nested_guards);
	RUN(test_state_survives_unwinds);
	return tap_done();
}
