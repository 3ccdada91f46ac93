/* SPDX-License-Identifier: MIT */
/*
 * Register contexts for exception dispatch (seh.c): the one an exception
 * starts from and nt_call_guarded's landing place are saved here, and the
 * target of an unwind is entered here.
 */
#include "seh_layout.h"

	/* xmm6-xmm15, the vector registers a callee preserves, to \offset(\base) on */
	.macro STORE_XMM6_15 offset, base
	movups %xmm6, \offset + 0x00(\base)
	movups %xmm7, \offset + 0x10(\base)
	movups %xmm8, \offset + 0x20(\base)
	movups %xmm9, \offset + 0x30(\base)
	movups %xmm10, \offset + 0x40(\base)
	movups %xmm11, \offset + 0x50(\base)
	movups %xmm12, \offset + 0x60(\base)
	movups %xmm13, \offset + 0x70(\base)
	movups %xmm14, \offset + 0x80(\base)
	movups %xmm15, \offset + 0x90(\base)
	.endm

/*
 * uint64_t seh_context_save(CONTEXT *ctx): like setjmp, records the
 * caller's preserved registers, stack pointer and return address and
 * returns 0; seh_context_restore of that context returns from here again
 * with the context's rax.
 */
	.text
	.p2align 4
	.globl seh_context_save
seh_context_save:
	mov %rbx, CTX_RBX(%rcx)
	mov %rbp, CTX_RBP(%rcx)
	mov %rsi, CTX_RSI(%rcx)
	mov %rdi, CTX_RDI(%rcx)
	mov %r12, CTX_R12(%rcx)
	mov %r13, CTX_R13(%rcx)
	mov %r14, CTX_R14(%rcx)
	mov %r15, CTX_R15(%rcx)
	STORE_XMM6_15 CTX_XMM0 + 0x60, %rcx
	lea 8(%rsp), %rax
	mov %rax, CTX_RSP(%rcx)
	mov (%rsp), %rax
	mov %rax, CTX_RIP(%rcx)
	xor %eax, %eax
	ret

/*
 * void seh_context_restore(const CONTEXT *ctx): continue at ctx's rip on
 * ctx's stack with its integer and vector registers.  The return address
 * goes just below the target stack pointer, free stack on x64.
 */
	.p2align 4
	.globl seh_context_restore
seh_context_restore:
	mov CTX_RSP(%rcx), %rax
	sub $8, %rax
	mov CTX_RIP(%rcx), %rdx
	mov %rdx, (%rax)
	mov %rax, %rsp
	movups CTX_XMM0 + 0x00(%rcx), %xmm0
	movups CTX_XMM0 + 0x10(%rcx), %xmm1
	movups CTX_XMM0 + 0x20(%rcx), %xmm2
	movups CTX_XMM0 + 0x30(%rcx), %xmm3
	movups CTX_XMM0 + 0x40(%rcx), %xmm4
	movups CTX_XMM0 + 0x50(%rcx), %xmm5
	movups CTX_XMM0 + 0x60(%rcx), %xmm6
	movups CTX_XMM0 + 0x70(%rcx), %xmm7
	movups CTX_XMM0 + 0x80(%rcx), %xmm8
	movups CTX_XMM0 + 0x90(%rcx), %xmm9
	movups CTX_XMM0 + 0xA0(%rcx), %xmm10
	movups CTX_XMM0 + 0xB0(%rcx), %xmm11
	movups CTX_XMM0 + 0xC0(%rcx), %xmm12
	movups CTX_XMM0 + 0xD0(%rcx), %xmm13
	movups CTX_XMM0 + 0xE0(%rcx), %xmm14
	movups CTX_XMM0 + 0xF0(%rcx), %xmm15
	mov CTX_RAX(%rcx), %rax
	mov CTX_RDX(%rcx), %rdx
	mov CTX_RBX(%rcx), %rbx
	mov CTX_RBP(%rcx), %rbp
	mov CTX_RSI(%rcx), %rsi
	mov CTX_RDI(%rcx), %rdi
	mov CTX_R8(%rcx), %r8
	mov CTX_R9(%rcx), %r9
	mov CTX_R10(%rcx), %r10
	mov CTX_R11(%rcx), %r11
	mov CTX_R12(%rcx), %r12
	mov CTX_R13(%rcx), %r13
	mov CTX_R14(%rcx), %r14
	mov CTX_R15(%rcx), %r15
	mov CTX_RCX(%rcx), %rcx
	ret
