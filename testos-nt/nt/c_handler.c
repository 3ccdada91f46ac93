/* SPDX-License-Identifier: MIT */
/*
 * __C_specific_handler, the language handler of C's __try/__except and
 * __try/__finally (and of vgpu's seh_guard.S).  Its data is a scope table:
 * a count, then {begin, end, filter or finally handler, jump target} RVAs.
 * While an exception is searched for, a scope around the frame's rip with
 * a jump target is an __except: its filter (or the constant 1,
 * EXCEPTION_EXECUTE_HANDLER) decides, and a taker unwinds to the jump
 * target.  While unwinding, a scope around rip without a jump target is a
 * __finally, run once (ScopeIndex remembers how far the frame got), and the
 * scope being unwound to ends the walk.
 */
#include "seh.h"

#define FILTER_EXECUTE_HANDLER 1u

struct scope_record {
	uint32_t begin, end, handler, jump_target;
};

struct scope_table {
	uint32_t count;
	struct scope_record scopes[];
};

typedef LONG filter_fn(PEXCEPTION_POINTERS pointers, PVOID establisher);
typedef void termination_fn(BOOLEAN abnormal, PVOID establisher);

/* learn.microsoft.com: windows/win32/devnotes/--c-specific-handler2 */
EXCEPTION_DISPOSITION nt_c_specific_handler(struct _EXCEPTION_RECORD *record, void *establisher,
					    struct _CONTEXT *context,
					    struct _DISPATCHER_CONTEXT *dispatcher)
{
	const struct scope_table *table = dispatcher->HandlerData;
	uint64_t base = dispatcher->ImageBase;
	uint32_t pc = (uint32_t)(dispatcher->ControlPc - base);
	EXCEPTION_POINTERS pointers = { record, context };

	for (uint32_t i = dispatcher->ScopeIndex; i < table->count; i++) {
		const struct scope_record *s = &table->scopes[i];
		LONG verdict;

		if (pc < s->begin || pc >= s->end)
			continue;
		if (!(record->ExceptionFlags & (EXCEPTION_UNWINDING | EXCEPTION_EXIT_UNWIND))) {
			if (!s->jump_target)
				continue;
			verdict = s->handler == FILTER_EXECUTE_HANDLER
					  ? EXCEPTION_EXECUTE_HANDLER
					  : ((filter_fn *)(uintptr_t)(base + s->handler))(
						    &pointers, establisher);
			if (verdict < 0)
				return ExceptionContinueExecution;
			if (verdict > 0)
				seh_unwind((uintptr_t)establisher, base + s->jump_target, record,
					   (uint32_t)record->ExceptionCode);
			continue;
		}
		if ((record->ExceptionFlags & EXCEPTION_TARGET_UNWIND) &&
		    s->jump_target == (uint32_t)(dispatcher->TargetIp - base))
			return ExceptionContinueSearch;
		if (!s->jump_target) {
			dispatcher->ScopeIndex = i + 1;
			((termination_fn *)(uintptr_t)(base + s->handler))(TRUE, establisher);
		}
	}
	return ExceptionContinueSearch;
}
_Static_assert(__builtin_types_compatible_p(__typeof__(&nt_c_specific_handler),
					    __typeof__(&__C_specific_handler)),
	       "__C_specific_handler's prototype (excpt.h)");
