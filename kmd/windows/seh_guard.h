/* SPDX-License-Identifier: MIT */
/*
 * Exception handling for the few kernel calls that raise instead of
 * returning an error (MmMapLockedPagesSpecifyCache with UserMode).
 * mingw-w64 gcc has no __try/__except, so seh_guard.S gives a function the
 * same unwind data MSVC would emit for __try { fn(arg) }
 * __except (EXCEPTION_EXECUTE_HANDLER): a scope table for the system's
 * __C_specific_handler (exported by ntoskrnl.exe and ntdll.dll alike).
 */
#ifndef VGPU_SEH_GUARD_H
#define VGPU_SEH_GUARD_H

/*
 * Return fn(arg); if fn or anything it calls raises an exception, the
 * stack is unwound back to here and `on_exception` is returned instead.
 */
int win_seh_call(int (*fn)(void *arg), void *arg, int on_exception);

#endif /* VGPU_SEH_GUARD_H */
