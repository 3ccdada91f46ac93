/* SPDX-License-Identifier: MIT */
/*
 * int win_seh_call(int (*fn)(void *arg), void *arg, int on_exception)
 *
 * The guarded call carries the unwind data MSVC emits for __try/__except:
 * __C_specific_handler as language handler and a scope table of one entry
 * {begin, end, filter, landing pad}.  When an exception passes through
 * this frame, __C_specific_handler sees the return address inside
 * [begin, end), asks the filter (always "execute handler"), and calls
 * RtlUnwind to the landing pad with the stack pointer of this frame after
 * its prologue, where on_exception waits in its slot.
 */
	.text

	.p2align 4
	.def	win_seh_filter; .scl 3; .type 32; .endef
win_seh_filter:
	movl	$1, %eax		/* EXCEPTION_EXECUTE_HANDLER */
	ret

	.p2align 4
	.globl	win_seh_call
	.def	win_seh_call; .scl 2; .type 32; .endef
	.seh_proc	win_seh_call
win_seh_call:
	subq	$40, %rsp		/* 32 bytes home space + the slot, keeps 16-byte alignment */
	.seh_stackalloc	40
	.seh_endprologue
	movl	%r8d, 32(%rsp)
	movq	%rcx, %rax
	movq	%rdx, %rcx
.Lguarded_begin:
	call	*%rax
	nop				/* the return address must lie inside the scope */
.Lguarded_end:
	addq	$40, %rsp
	ret
.Lguarded_landing:
	movl	32(%rsp), %eax
	addq	$40, %rsp
	ret
	.seh_handler	__C_specific_handler, @except
	.seh_handlerdata
	.long	1			/* scope count */
	.rva	.Lguarded_begin
	.rva	.Lguarded_end
	.rva	win_seh_filter
	.rva	.Lguarded_landing
	.text
	.seh_endproc
