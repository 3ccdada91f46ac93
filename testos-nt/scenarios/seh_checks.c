/* SPDX-License-Identifier: MIT */
/*
 * Exception dispatch, checked on the harness's own frames before the
 * driver is loaded: a routine raises under a __try frame (seh_frame.S)
 * through C frames that saved the callee-saved registers and set up a
 * frame pointer; the unwind must reach the __except with every one of
 * them restored and the exception code in rax.  And the I/O manager's own
 * __try, nt_call_guarded, still takes what is raised inside it.
 */
#include "nt.h"
#include "platform_checks.h"

#define SEH_CHECK_BAD_REGISTERS 0xBADBADBADull
#define UNMAPPED_USER_VA (USER_VA_BASE + 0x20000u)

uint64_t seh_check_frame(uint64_t (*fn)(void *arg), void *arg);

struct raise_case {
	PMDL mdl; /* over a user address the boot thread's process does not map */
	int64_t seed;
	size_t scratch; /* alloca'd: the frame needs a frame pointer */
	bool reached_after_raise;
};

/* MmProbeAndLockPages of the unmapped address: it raises. */
static __attribute__((noinline)) void probe_unmapped(struct raise_case *c)
{
	MmProbeAndLockPages(c->mdl, UserMode, IoWriteAccess);
	c->reached_after_raise = true;
	MmUnlockPages(c->mdl);
}

/* Values live across the raising call: gcc keeps them in callee-saved integer and xmm registers. */
static __attribute__((noinline)) uint64_t busy_frame(void *arg)
{
	struct raise_case *c = arg;
	volatile uint8_t *scratch = __builtin_alloca(c->scratch);
	int64_t a = c->seed * 3, b = a ^ 0x55, d = b + 7, e = d * 11, f = e ^ a, g = f + b,
		h = g * 5;
	double x = (double)c->seed * 1.5, y = x * x + 2.0;

	scratch[0] = (uint8_t)a;
	probe_unmapped(c);
	return (uint64_t)(a + b + d + e + f + g + h + scratch[0]) + (uint64_t)(x * y);
}

static NTSTATUS guarded_raise(void *arg)
{
	busy_frame(arg);
	return STATUS_SUCCESS;
}

static NTSTATUS guarded_return(void *arg)
{
	return STATUS_PENDING;
}

void check_exceptions(void)
{
	struct raise_case c = { .seed = 12345, .scratch = 200 };
	uint64_t got;

	c.mdl = IoAllocateMdl((PVOID)(uintptr_t)UNMAPPED_USER_VA, 64, FALSE, FALSE, NULL);
	got = c.mdl ? seh_check_frame(busy_frame, &c) : 0;

	con_printf("# the __except got 0x%llx\n", (unsigned long long)got);
	check_case("nt.seh_unwinds_to_except",
		   got == (uint32_t)STATUS_ACCESS_VIOLATION && !c.reached_after_raise);
	c.reached_after_raise = false;
	check_case("nt.seh_guard_takes_harness_raise",
		   nt_call_guarded(guarded_raise, &c) == STATUS_ACCESS_VIOLATION &&
			   !c.reached_after_raise &&
			   nt_call_guarded(guarded_return, NULL) == STATUS_PENDING);
	if (c.mdl)
		IoFreeMdl(c.mdl);
}
