/* SPDX-License-Identifier: MIT */
/*
 * nt_stack_call(fn: rcx, arg: rdx, stack_top: r8, saved_rsp: r9): run
 * fn(arg) on another stack and come back.  *saved_rsp (when r9 is not NULL)
 * receives the stack pointer left behind, so that a later call can run on
 * the stack below it: how a thread moves between its user stack (in its
 * process's address range) and its kernel stack.
 */
	.text
	.globl nt_stack_call
nt_stack_call:
	push %rbp
	mov %rsp, %rbp
	test %r9, %r9
	jz 1f
	mov %rsp, (%r9)
1:	mov %r8, %rsp
	and $-16, %rsp
	sub $32, %rsp		/* the callee's home area for its register arguments */
	mov %rcx, %rax
	mov %rdx, %rcx
	call *%rax
	mov %rbp, %rsp
	pop %rbp
	ret
