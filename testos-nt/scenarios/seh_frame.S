/* SPDX-License-Identifier: MIT */
/*
 * uint64_t seh_check_frame(uint64_t (*fn)(void *arg), void *arg)
 *
 * The exception self-test's __try frame (seh_checks.c): fn(arg) runs in a
 * scope of the harness's __C_specific_handler, as vgpu's seh_guard.S does,
 * from a frame whose prolog uses each kind of unwind code gcc emits:
 * pushes, a large allocation, a frame pointer, saves by mov and xmm saves.
 * The callee-saved registers hold known values across the call; the
 * landing pad checks that the unwind gave them back and returns the
 * exception code from rax, or SEH_CHECK_BAD_REGISTERS.  Without an
 * exception it returns 0.
 */
	.set FRAME, 0x1088		/* > 128 bytes: UWOP_ALLOC_LARGE; rsp 16-byte aligned after it */
	.set FP_OFFSET, 0x80

	.macro SENTINELS
	movabs	$0x0B0B0B0B0B0B0B01, %rbx
	movabs	$0x5151515151515102, %rsi
	movabs	$0xD1D1D1D1D1D1D103, %rdi
	movabs	$0x1212121212121204, %r12
	movabs	$0x1313131313131305, %r13
	movabs	$0x1414141414141406, %r14
	movabs	$0x1515151515151507, %r15
	movq	%r12, %xmm6
	movq	%r15, %xmm15
	.endm

	/* jumps to .Lbad unless \reg holds \value (rcx is the scratch register) */
	.macro EXPECT reg, value
	movabs	$\value, %rcx
	cmp	%rcx, \reg
	jne	.Lbad
	.endm

	.text
	.p2align 4
	.globl	seh_check_frame
	.def	seh_check_frame; .scl 2; .type 32; .endef
	.seh_proc	seh_check_frame
seh_check_frame:
	push	%rbp
	.seh_pushreg	%rbp
	push	%rbx
	.seh_pushreg	%rbx
	push	%rsi
	.seh_pushreg	%rsi
	push	%rdi
	.seh_pushreg	%rdi
	push	%r12
	.seh_pushreg	%r12
	push	%r13
	.seh_pushreg	%r13
	sub	$FRAME, %rsp
	.seh_stackalloc	FRAME
	lea	FP_OFFSET(%rsp), %rbp
	.seh_setframe	%rbp, FP_OFFSET
	mov	%r14, 0x40(%rsp)
	.seh_savereg	%r14, 0x40
	mov	%r15, 0x48(%rsp)
	.seh_savereg	%r15, 0x48
	movaps	%xmm6, 0x50(%rsp)
	.seh_savexmm	%xmm6, 0x50
	movaps	%xmm15, 0x60(%rsp)
	.seh_savexmm	%xmm15, 0x60
	.seh_endprologue
	mov	%rcx, %rax
	mov	%rdx, %rcx
	SENTINELS
.Lguarded_begin:
	call	*%rax
	nop				/* the return address must lie inside the scope */
.Lguarded_end:
	xor	%eax, %eax
	jmp	.Lepilog
.Lguarded_landing:
	EXPECT	%rbx, 0x0B0B0B0B0B0B0B01
	EXPECT	%rsi, 0x5151515151515102
	EXPECT	%rdi, 0xD1D1D1D1D1D1D103
	EXPECT	%r12, 0x1212121212121204
	EXPECT	%r13, 0x1313131313131305
	EXPECT	%r14, 0x1414141414141406
	EXPECT	%r15, 0x1515151515151507
	movq	%xmm6, %rdx
	EXPECT	%rdx, 0x1212121212121204
	movq	%xmm15, %rdx
	EXPECT	%rdx, 0x1515151515151507
	lea	FP_OFFSET(%rsp), %rcx
	cmp	%rcx, %rbp
	jne	.Lbad
	mov	%eax, %eax		/* the exception code, as RtlUnwindEx left it */
	jmp	.Lepilog
.Lbad:
	movabs	$0xBADBADBAD, %rax	/* SEH_CHECK_BAD_REGISTERS */
.Lepilog:
	movaps	0x50(%rsp), %xmm6
	movaps	0x60(%rsp), %xmm15
	mov	0x40(%rsp), %r14
	mov	0x48(%rsp), %r15
	add	$FRAME, %rsp
	pop	%r13
	pop	%r12
	pop	%rdi
	pop	%rsi
	pop	%rbx
	pop	%rbp
	ret
	.seh_handler	nt_c_specific_handler, @except
	.seh_handlerdata
	.long	1			/* scope count */
	.rva	.Lguarded_begin
	.rva	.Lguarded_end
	.long	1			/* filter: EXCEPTION_EXECUTE_HANDLER */
	.rva	.Lguarded_landing
	.text
	.seh_endproc
