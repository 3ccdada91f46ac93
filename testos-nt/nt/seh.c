/* SPDX-License-Identifier: MIT */
/*
 * Structured exception handling as the x64 kernel dispatches it.  A
 * routine of the executive that raises (MmProbeAndLockPages on a bad
 * buffer, MmMapLockedPagesSpecifyCache(UserMode) out of room) starts the
 * search from its own context: the frames are unwound one by one with the
 * unwind data of the image each belongs to (vgpu.sys, or the harness, which
 * mingw-w64 gcc gives unwind data too), and each frame's language handler
 * (__C_specific_handler for vgpu's seh_guard.S) is asked.  A handler that
 * takes it calls back here (seh_unwind, RtlUnwindEx's part): the frames up
 * to the target are unwound again, their termination handlers run, and
 * execution continues at the target with the exception code in rax.
 *
 * The search ends at the thread's innermost nt_call_guarded (the I/O
 * manager's own __try): with no driver frame in between, it takes the
 * exception.  Driver frames in between that did not handle it, a frame of
 * neither image, or a walk that cannot go on: KMODE_EXCEPTION_NOT_HANDLED.
 */
#include "seh.h"

#define MAX_FRAMES 64u
#define MAX_DRIVER_FRAMES_SHOWN 4u

_Static_assert(offsetof(CONTEXT, Rax) == CTX_RAX && offsetof(CONTEXT, Rcx) == CTX_RCX &&
		       offsetof(CONTEXT, Rdx) == CTX_RDX && offsetof(CONTEXT, Rbx) == CTX_RBX &&
		       offsetof(CONTEXT, Rsp) == CTX_RSP && offsetof(CONTEXT, Rbp) == CTX_RBP &&
		       offsetof(CONTEXT, Rsi) == CTX_RSI && offsetof(CONTEXT, Rdi) == CTX_RDI &&
		       offsetof(CONTEXT, R8) == CTX_R8 && offsetof(CONTEXT, R9) == CTX_R9 &&
		       offsetof(CONTEXT, R10) == CTX_R10 && offsetof(CONTEXT, R11) == CTX_R11 &&
		       offsetof(CONTEXT, R12) == CTX_R12 && offsetof(CONTEXT, R13) == CTX_R13 &&
		       offsetof(CONTEXT, R14) == CTX_R14 && offsetof(CONTEXT, R15) == CTX_R15 &&
		       offsetof(CONTEXT, Rip) == CTX_RIP && offsetof(CONTEXT, Xmm0) == CTX_XMM0,
	       "seh_layout.h's CONTEXT offsets");

typedef EXCEPTION_DISPOSITION language_handler_fn(PEXCEPTION_RECORD record, PVOID establisher,
						  PCONTEXT context,
						  struct _DISPATCHER_CONTEXT *dispatcher);

/* One exception being dispatched, on the stack of nt_raise (which never returns). */
struct seh_dispatch {
	EXCEPTION_RECORD record;
	CONTEXT start; /* nt_raise's own frame */
	const char *routine;
	const void *caller;
	unsigned driver_frames;
	uint64_t shown[MAX_DRIVER_FRAMES_SHOWN]; /* the innermost driver frames' rip */
};

__attribute__((noreturn)) static void unhandled(const struct seh_dispatch *d, const char *why)
{
	/* each frame is at most sizeof(at) + 4 */
	char frames[MAX_DRIVER_FRAMES_SHOWN * 100] = "", at[96];
	size_t used = 0;
	unsigned n = d->driver_frames < MAX_DRIVER_FRAMES_SHOWN ? d->driver_frames
								: MAX_DRIVER_FRAMES_SHOWN;

	for (unsigned i = 0; i < n; i++) {
		nt_describe_address((const void *)(uintptr_t)d->shown[i], at, sizeof(at));
		used += (size_t)str_format(frames + used, sizeof(frames) - used, "%s%s",
					   i ? " <- " : "", at);
	}
	nt_violation(d->routine, NT_RULE_EXCEPTION_NOT_HANDLED,
		     nt_is_driver_address(d->caller) || !n ? d->caller
							   : (const void *)(uintptr_t)d->shown[0],
		     "status 0x%08lx, %s; driver frames: %s",
		     (unsigned long)d->record.ExceptionCode, why, n ? frames : "none");
}

static EXCEPTION_DISPOSITION call_handler(struct seh_dispatch *d, const struct unwind_image *image,
					  const struct unwind_result *u, CONTEXT *frame,
					  uint64_t target_ip)
{
	language_handler_fn *handler =
		(language_handler_fn *)(uintptr_t)(image->base + u->handler_rva);
	struct _DISPATCHER_CONTEXT dc = { .ControlPc = frame->Rip,
					  .ImageBase = image->base,
					  .FunctionEntry = u->function,
					  .EstablisherFrame = u->establisher,
					  .TargetIp = target_ip,
					  .ContextRecord = frame,
					  .LanguageHandler = (PVOID)handler,
					  .HandlerData = (PVOID)u->handler_data };

	return handler(&d->record, (PVOID)(uintptr_t)u->establisher, frame, &dc);
}

/*
 * The unwind phase: from where the exception was raised up to the frame
 * whose establisher is target_frame (or, with guard_rsp, up to the
 * guard's frame), each frame's termination handlers run.  The context the
 * target continues in.
 */
static CONTEXT unwind_frames(struct seh_dispatch *d, uint64_t target_frame, uint64_t target_ip,
			     uint64_t return_value, uint64_t guard_rsp)
{
	CONTEXT ctx = d->start;

	d->record.ExceptionFlags |= EXCEPTION_UNWINDING;
	for (unsigned n = 0; n < MAX_FRAMES; n++) {
		const struct unwind_image *image = unwind_image_of(ctx.Rip);
		struct unwind_result u;
		CONTEXT frame = ctx;
		const char *why = "a frame of neither image";

		if (guard_rsp && ctx.Rsp >= guard_rsp)
			return ctx;
		if (!image || !unwind_frame(image, &ctx, &u, &why))
			break;
		if (target_frame && u.establisher == target_frame)
			d->record.ExceptionFlags |= EXCEPTION_TARGET_UNWIND;
		if (u.handler_flags & UNW_FLAG_UHANDLER)
			call_handler(d, image, &u, &frame, target_ip);
		if (target_frame && u.establisher == target_frame) {
			frame.Rip = target_ip;
			frame.Rax = return_value;
			return frame;
		}
	}
	nt_violation("RtlUnwindEx", "the unwind target is not on the stack",
		     (const void *)(uintptr_t)target_ip,
		     "no frame below has establisher frame 0x%llx",
		     (unsigned long long)target_frame);
}

void seh_unwind(uint64_t target_frame, uint64_t target_ip, PEXCEPTION_RECORD record,
		uint64_t return_value)
{
	struct nt_thread *self = nt_current_thread();
	struct seh_dispatch *d = self->exception;
	CONTEXT target;

	if (!d || record != &d->record)
		nt_violation("RtlUnwindEx", "an unwind outside an exception's dispatch",
			     (const void *)(uintptr_t)target_ip, "no such exception is dispatched");
	target = unwind_frames(d, target_frame, target_ip, return_value, 0);
	self->exception = NULL;
	seh_context_restore(&target);
}

/* No frame up to the thread's innermost nt_call_guarded took it: that guard does. */
__attribute__((noreturn)) static void to_guard(struct seh_dispatch *d, struct nt_thread *self)
{
	struct seh_guard *guard = self->guards;
	CONTEXT target;

	unwind_frames(d, 0, 0, 0, guard->ctx.Rsp);
	target = guard->ctx;
	target.Rax = (uint32_t)d->record.ExceptionCode;
	self->guards = guard->outer;
	self->exception = NULL;
	seh_context_restore(&target);
}

/* The search phase: each frame's exception handler, innermost first. */
__attribute__((noreturn)) static void dispatch(struct seh_dispatch *d, struct nt_thread *self)
{
	CONTEXT ctx = d->start;

	for (unsigned n = 0; n < MAX_FRAMES; n++) {
		const struct unwind_image *image;
		struct unwind_result u;
		CONTEXT frame = ctx;
		const char *why = "";
		EXCEPTION_DISPOSITION disposition;

		if (self->guards && ctx.Rsp >= self->guards->ctx.Rsp) {
			if (d->driver_frames)
				unhandled(d, "the driver's frames up to the executive's guard have "
					     "no handler for it");
			to_guard(d, self);
		}
		image = unwind_image_of(ctx.Rip);
		if (!image)
			unhandled(d, "a frame of neither vgpu.sys nor the harness (no handler "
				     "for it below)");
		if (image->driver && d->driver_frames++ < MAX_DRIVER_FRAMES_SHOWN)
			d->shown[d->driver_frames - 1] = ctx.Rip;
		if (!unwind_frame(image, &ctx, &u, &why))
			unhandled(d, why);
		if (ctx.Rsp <= frame.Rsp)
			unhandled(d, "the stack unwinds the wrong way");
		if (!(u.handler_flags & UNW_FLAG_EHANDLER))
			continue;
		disposition = call_handler(d, image, &u, &frame, 0);
		if (disposition == ExceptionContinueSearch)
			continue;
		nt_violation(
			d->routine,
			disposition == ExceptionContinueExecution
				? "execution continued after a non-continuable exception "
				  "(STATUS_NONCONTINUABLE_EXCEPTION)"
				: "a language handler's disposition the dispatcher does not take",
			(const void *)(uintptr_t)frame.Rip, "disposition %d", (int)disposition);
	}
	unhandled(d, "more frames than the walk follows, none handles it");
}

void nt_raise(NTSTATUS code, const char *routine, const void *caller)
{
	struct nt_thread *self = nt_current_thread();
	struct seh_dispatch d;

	if (self->exception)
		nt_violation(routine, "an exception raised while another one is dispatched", caller,
			     "status 0x%08lx during 0x%08lx from %s", (unsigned long)code,
			     (unsigned long)self->exception->record.ExceptionCode,
			     self->exception->routine);
	memset(&d, 0, sizeof(d));
	d.routine = routine;
	d.caller = caller;
	d.record.ExceptionCode = code;
	d.record.ExceptionFlags = EXCEPTION_NONCONTINUABLE;
	seh_context_save(&d.start);
	d.record.ExceptionAddress = (PVOID)(uintptr_t)d.start.Rip;
	self->exception = &d;
	dispatch(&d, self);
}

NTSTATUS nt_call_guarded(NTSTATUS (*fn)(void *arg), void *arg)
{
	struct nt_thread *self = nt_current_thread();
	struct seh_guard guard;
	NTSTATUS status;

	memset(&guard, 0, sizeof(guard));
	guard.outer = self->guards;
	self->guards = &guard;
	status = (NTSTATUS)seh_context_save(&guard.ctx);
	if (status == STATUS_SUCCESS) {
		status = fn(arg);
		self->guards = guard.outer;
	}
	return status;
}
