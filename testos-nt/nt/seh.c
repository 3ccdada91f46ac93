/* SPDX-License-Identifier: MIT */
/*
 * Exceptions raised by kernel routines (MmProbeAndLockPages on a bad user
 * buffer).  When the I/O manager raised it inside nt_call_guarded, with no
 * driver frame in between, control goes back there with the code, as its
 * __try would.  When the driver called the raising routine, Windows would
 * unwind to the driver's own __except scopes: the harness does not dispatch
 * exceptions into the driver yet, so the scenario ends, saying whether the
 * calling function has a handler in its unwind data (it would have caught
 * it) or not (KMODE_EXCEPTION_NOT_HANDLED).
 */
#include "internal.h"

#define UNW_FLAG_EHANDLER 0x1u

struct guard {
	void *jump[5]; /* __builtin_setjmp's buffer */
	NTSTATUS code;
	struct guard *outer;
};

static struct guard *innermost;
static uint64_t pdata, npdata;

void nt_set_driver_unwind(uint64_t pdata_address, uint64_t count)
{
	pdata = pdata_address;
	npdata = count;
}

/* Whether the driver function around `address` has an exception handler. */
static bool has_handler(const void *address)
{
	const uint32_t *fn = (const uint32_t *)(uintptr_t)pdata;
	uint64_t base = nt_driver_base(), rva = (uint64_t)(uintptr_t)address - base, i;

	for (i = 0; i < npdata; i++, fn += 3) {
		if (rva >= fn[0] && rva < fn[1]) {
			const uint8_t *info = (const uint8_t *)(uintptr_t)(base + fn[2]);

			return ((info[0] >> 3) & UNW_FLAG_EHANDLER) != 0;
		}
	}
	return false;
}

NTSTATUS nt_call_guarded(NTSTATUS (*fn)(void *arg), void *arg)
{
	struct guard g = { .outer = innermost };
	NTSTATUS status;

	if (__builtin_setjmp(g.jump)) {
		innermost = g.outer;
		return g.code;
	}
	innermost = &g;
	status = fn(arg);
	innermost = g.outer;
	return status;
}

void nt_raise(NTSTATUS code, const char *routine, const void *caller)
{
	if (nt_is_driver_address(caller))
		nt_violation(routine, "raised an exception into the driver", caller,
			     "status 0x%08lx; the calling function %s an __except handler, and the "
			     "harness does not dispatch to it",
			     (unsigned long)code, has_handler(caller) ? "has" : "has no");
	if (!innermost)
		nt_violation(routine, "raised an exception nothing guards", caller,
			     "status 0x%08lx", (unsigned long)code);
	innermost->code = code;
	__builtin_longjmp(innermost->jump, 1);
}

/* learn.microsoft.com: the language handler of x64 C __try scopes (ntoskrnl.exe export) */
EXCEPTION_DISPOSITION nt_c_specific_handler(struct _EXCEPTION_RECORD *record, void *frame,
					    struct _CONTEXT *context,
					    struct _DISPATCHER_CONTEXT *dispatcher_context)
{
	nt_violation("__C_specific_handler", "called outside exception dispatch", CALLER(),
		     "the harness never dispatches exceptions into the driver");
}
