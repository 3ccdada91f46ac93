/* SPDX-License-Identifier: MIT */
/*
 * Multiboot entry of the test guest.  QEMU's -kernel loader starts us in
 * 32-bit protected mode with paging off and a GDT we must not trust, so we
 * load our own flat GDT, take a stack and call kmain(magic, info).  The
 * exception stubs hand every CPU fault to exception_handler() with a
 * uniform frame, so that a fault ends the run with a report instead of a
 * silent triple fault.
 */
	.set MB_MAGIC, 0x1BADB002
	.set MB_FLAGS, 0x00000002		/* we want the memory map fields */
	.set KERNEL_CS, 0x08
	.set KERNEL_DS, 0x10
	.set STACK_BYTES, 65536

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.section .text
	.globl _start
_start:
	cli
	cld
	mov $stack_top, %esp
	/* Keep the loader's registers: eax = magic, ebx = info. */
	mov %eax, %esi
	mov %ebx, %edi
	lgdt gdt_descriptor
	ljmp $KERNEL_CS, $1f
1:	mov $KERNEL_DS, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	push %edi
	push %esi
	call kmain
2:	cli
	hlt
	jmp 2b

/* Vectors without an error code push a zero so that every frame looks alike. */
	.macro EXC_NOERR vec
	.globl exc_stub_\vec
exc_stub_\vec:
	push $0
	push $\vec
	jmp exc_common
	.endm

	.macro EXC_ERR vec
	.globl exc_stub_\vec
exc_stub_\vec:
	push $\vec
	jmp exc_common
	.endm

	EXC_NOERR 0
	EXC_NOERR 1
	EXC_NOERR 2
	EXC_NOERR 3
	EXC_NOERR 4
	EXC_NOERR 5
	EXC_NOERR 6
	EXC_NOERR 7
	EXC_ERR 8
	EXC_NOERR 9
	EXC_ERR 10
	EXC_ERR 11
	EXC_ERR 12
	EXC_ERR 13
	EXC_ERR 14
	EXC_NOERR 15
	EXC_NOERR 16
	EXC_ERR 17
	EXC_NOERR 18
	EXC_NOERR 19
	EXC_NOERR 20
	EXC_ERR 21

exc_common:
	pusha
	push %esp
	call exception_handler
3:	cli
	hlt
	jmp 3b

	.section .data
	.align 8
gdt:
	.quad 0
	.quad 0x00CF9A000000FFFF		/* 0x08: code, base 0, 4 GiB, ring 0 */
	.quad 0x00CF92000000FFFF		/* 0x10: data, base 0, 4 GiB, ring 0 */
gdt_end:
gdt_descriptor:
	.word gdt_end - gdt - 1
	.long gdt

	.section .bss
	.align 16
stack_bottom:
	.skip STACK_BYTES
stack_top:

	.section .note.GNU-stack, "", @progbits
