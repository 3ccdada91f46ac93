/* SPDX-License-Identifier: MIT */
/*
 * plat_context_switch(from: rcx, to: rdx): saves what the Microsoft x64
 * convention makes the callee keep (rbx rbp rdi rsi r12-r15, xmm6-xmm15)
 * on the current stack, parks the stack pointer in *from and resumes the
 * stack saved in *to.  The layout is struct saved_context in context.c.
 */
	.set SAVED_XMM, 10 * 16 + 8	/* plus 8: the xmm area starts 16-aligned */

	.text
	.globl plat_context_switch
plat_context_switch:
	push %rbx
	push %rbp
	push %rdi
	push %rsi
	push %r12
	push %r13
	push %r14
	push %r15
	sub $SAVED_XMM, %rsp
	movaps %xmm6, 0x00(%rsp)
	movaps %xmm7, 0x10(%rsp)
	movaps %xmm8, 0x20(%rsp)
	movaps %xmm9, 0x30(%rsp)
	movaps %xmm10, 0x40(%rsp)
	movaps %xmm11, 0x50(%rsp)
	movaps %xmm12, 0x60(%rsp)
	movaps %xmm13, 0x70(%rsp)
	movaps %xmm14, 0x80(%rsp)
	movaps %xmm15, 0x90(%rsp)
	mov %rsp, (%rcx)
	mov (%rdx), %rsp
	movaps 0x00(%rsp), %xmm6
	movaps 0x10(%rsp), %xmm7
	movaps 0x20(%rsp), %xmm8
	movaps 0x30(%rsp), %xmm9
	movaps 0x40(%rsp), %xmm10
	movaps 0x50(%rsp), %xmm11
	movaps 0x60(%rsp), %xmm12
	movaps 0x70(%rsp), %xmm13
	movaps 0x80(%rsp), %xmm14
	movaps 0x90(%rsp), %xmm15
	add $SAVED_XMM, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rsi
	pop %rdi
	pop %rbp
	pop %rbx
	ret

/*
 * Where a new context starts: plat_context_init left entry in r12 and its
 * argument in r13.  Entries must not return; context_returned says so.
 */
	.globl context_start
context_start:
	mov %r13, %rcx
	sub $32, %rsp			/* the callee's home area; the stack is 16-aligned here */
	call *%r12
	call context_returned
