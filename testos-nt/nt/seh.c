/* SPDX-License-Identifier: MIT */
/*
 * Exceptions raised by kernel routines (MmProbeAndLockPages on a bad user
 * address, MmMapLockedPagesSpecifyCache(UserMode) out of room).  The
 * harness does not yet unwind the driver's frames to its __except scopes
 * (x64 unwind data and __C_specific_handler): a raised exception ends the
 * scenario as an unhandled one, and the low-resources simulation leaves
 * the raising calls alone so that this never stands in for a driver bug.
 */
#include "internal.h"

void nt_raise(NTSTATUS code, const char *routine, const void *caller)
{
	nt_violation(routine, "raised an exception the harness cannot dispatch", caller,
		     "status 0x%08lx (unwinding to the driver's __except scopes is not modelled)",
		     (unsigned long)code);
}

/* learn.microsoft.com: the language handler of x64 C __try scopes (ntoskrnl.exe export) */
EXCEPTION_DISPOSITION nt_c_specific_handler(struct _EXCEPTION_RECORD *record, void *frame,
					   struct _CONTEXT *context,
					   struct _DISPATCHER_CONTEXT *dispatcher_context)
{
	nt_violation("__C_specific_handler", "called outside exception dispatch", CALLER(),
		     "the harness never dispatches exceptions, so nothing may call it");
}
