/* SPDX-License-Identifier: MIT */
/*
 * The 256 interrupt gates' code.  Each stub is 16 bytes at trap_stubs +
 * 16 * vector; it pushes a zero where the CPU pushes no error code, then
 * the vector, so that trap_common builds the same struct trap_frame
 * (platform.h) for all of them.  The volatile SSE registers are kept too:
 * a trap hook may resume the interrupted code, which does not expect them
 * to change.
 */
	.text
	.balign 16
	.globl trap_stubs
trap_stubs:
	.set vector, 0
	.rept 256
	.balign 16
	/* the CPU pushes an error code for 8, 10-14, 17, 21, 29 and 30 */
	.if vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 \
		|| vector == 29 || vector == 30
	.else
	pushq $0
	.endif
	pushq $vector
	jmp trap_common
	.set vector, vector + 1
	.endr

	.set SAVED_XMM, 6 * 16
	.set HOME_AREA, 32

trap_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	/* The CPU aligned the stack to 16 before its pushes; 22 quadwords keep it aligned. */
	mov %rsp, %rbx
	sub $(SAVED_XMM + HOME_AREA), %rsp
	movaps %xmm0, HOME_AREA + 0x00(%rsp)
	movaps %xmm1, HOME_AREA + 0x10(%rsp)
	movaps %xmm2, HOME_AREA + 0x20(%rsp)
	movaps %xmm3, HOME_AREA + 0x30(%rsp)
	movaps %xmm4, HOME_AREA + 0x40(%rsp)
	movaps %xmm5, HOME_AREA + 0x50(%rsp)
	cld
	mov %rbx, %rcx
	call trap_dispatch
	movaps HOME_AREA + 0x00(%rsp), %xmm0
	movaps HOME_AREA + 0x10(%rsp), %xmm1
	movaps HOME_AREA + 0x20(%rsp), %xmm2
	movaps HOME_AREA + 0x30(%rsp), %xmm3
	movaps HOME_AREA + 0x40(%rsp), %xmm4
	movaps HOME_AREA + 0x50(%rsp), %xmm5
	mov %rbx, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp			/* vector and error code */
	iretq
