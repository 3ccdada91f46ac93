/* SPDX-License-Identifier: MIT */
/*
 * Multiboot entry of the NT harness.  QEMU's -kernel loader refuses 64-bit
 * ELF, so the image is a flat copy of a PE file described by the a.out
 * kludge (header flag bit 16), and it starts us in 32-bit protected mode
 * with paging off.  This stub zeroes .bss, builds the identity map the
 * platform relies on (everything below 4 GiB in 2 MiB pages: RAM
 * write-back, the rest uncached, only the image executable), enters long
 * mode with NX and SSE enabled and calls plat_start(multiboot info).
 */
	.set MB_MAGIC, 0x1BADB002
	.set MB_BOOT_MAGIC, 0x2BADB002
	/* modules page aligned (0), memory information (1), addresses below (16) */
	.set MB_FLAGS, 0x00010003
	.set MB_INFO_MEMORY, 0x1

	.set CODE64, 0x08
	.set DATA, 0x10
	.set CODE32, 0x18

	.set PTE_PRESENT, 0x1
	.set PTE_WRITE, 0x2
	.set PTE_PWT, 0x8
	.set PTE_PCD, 0x10
	.set PTE_LARGE, 0x80
	.set PTE_NX_HIGH, 0x80000000	/* bit 63, in the entry's upper dword */
	.set LARGE_PAGE_SHIFT, 21
	.set LARGE_PAGES_BELOW_4G, 2048

	.set CR0_MP, 1 << 1
	.set CR0_EM, 1 << 2
	.set CR0_NE, 1 << 5
	.set CR0_WP, 1 << 16		/* read-only pages bind ring 0 too */
	.set CR0_PG, 1 << 31
	.set CR4_PAE, 1 << 5
	.set CR4_OSFXSR, 1 << 9
	.set CR4_OSXMMEXCPT, 1 << 10
	.set MSR_EFER, 0xC0000080
	.set EFER_LME, 1 << 8
	.set EFER_NXE, 1 << 11
	.set CPUID_EXT_LM, 1 << 29
	.set CPUID_EXT_NX, 1 << 20

	.set COM1, 0x3F8
	.set DEBUG_EXIT_PORT, 0xF4
	.set EXIT_PANIC, 5
	.set BOOT_STACK_BYTES, 65536

/*
 * The default PE linker script keeps .init first in .text, and .text is the
 * first section of the flat file: the header is at file offset 0, so the
 * file loads at the header's own address.
 */
	.section .init, "x"
	.balign 4
	.globl image_text_start
image_text_start:
multiboot_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)
	.long multiboot_header		/* header_addr */
	.long multiboot_header		/* load_addr */
	.long 0				/* load_end_addr: the whole file */
	.long __end__			/* bss_end_addr */
	.long boot_entry		/* entry_addr */

	.text
	.code32
	.globl boot_entry
boot_entry:
	cli
	cld
	mov $msg_not_multiboot, %esi
	cmp $MB_BOOT_MAGIC, %eax
	jne boot_fail
	mov %ebx, %ebp			/* the multiboot information, kept to the end */
	lgdt gdt_pointer
	ljmp $CODE32, $1f
1:	mov $DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs

	mov $__bss_start__, %edi
	mov $__bss_end__, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb

	mov $msg_no_long_mode, %esi
	mov $0x80000000, %eax
	cpuid
	cmp $0x80000001, %eax
	jb boot_fail
	mov $0x80000001, %eax
	cpuid
	and $(CPUID_EXT_LM | CPUID_EXT_NX), %edx
	cmp $(CPUID_EXT_LM | CPUID_EXT_NX), %edx
	jne boot_fail

	/* RAM ends at 1 MiB + mem_upper KiB (the first run above 1 MiB: all of it on QEMU). */
	mov $msg_no_memory, %esi
	testl $MB_INFO_MEMORY, (%ebp)
	jz boot_fail
	mov 8(%ebp), %esi
	shl $10, %esi
	add $0x100000, %esi		/* esi: end of RAM */
	mov $__image_base__, %ebx
	and $~((1 << LARGE_PAGE_SHIFT) - 1), %ebx	/* ebx: first executable address */
	mov $__end__, %edi		/* edi: end of the executable range */

	xor %ecx, %ecx
2:	mov %ecx, %eax
	shl $LARGE_PAGE_SHIFT, %eax
	mov $PTE_NX_HIGH, %edx
	cmp %ebx, %eax
	jb 3f
	cmp %edi, %eax
	jae 3f
	xor %edx, %edx			/* inside the image: executable */
3:	cmp %esi, %eax
	jb 4f
	or $(PTE_PCD | PTE_PWT), %eax	/* above RAM: uncached */
4:	or $(PTE_PRESENT | PTE_WRITE | PTE_LARGE), %eax
	mov %eax, boot_pd(, %ecx, 8)
	mov %edx, boot_pd + 4(, %ecx, 8)
	inc %ecx
	cmp $LARGE_PAGES_BELOW_4G, %ecx
	jb 2b

	xor %ecx, %ecx
5:	mov %ecx, %eax
	shl $12, %eax
	add $(boot_pd + PTE_PRESENT + PTE_WRITE), %eax
	mov %eax, boot_pdpt(, %ecx, 8)
	inc %ecx
	cmp $(LARGE_PAGES_BELOW_4G / 512), %ecx
	jb 5b
	movl $(boot_pdpt + PTE_PRESENT + PTE_WRITE), boot_pml4

	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
	mov %eax, %cr4
	mov $MSR_EFER, %ecx
	rdmsr
	or $(EFER_LME | EFER_NXE), %eax
	wrmsr
	mov %cr0, %eax
	and $~CR0_EM, %eax
	or $(CR0_PG | CR0_WP | CR0_NE | CR0_MP), %eax
	mov %eax, %cr0
	ljmp $CODE64, $long_mode

/* esi: a NUL-terminated message for COM1 (usable without setup on QEMU); then exit. */
boot_fail:
	mov $COM1, %dx
6:	lodsb
	test %al, %al
	jz 7f
	out %al, %dx
	jmp 6b
7:	mov $DEBUG_EXIT_PORT, %dx
	mov $EXIT_PANIC, %eax
	out %eax, %dx
8:	hlt
	jmp 8b

	.code64
long_mode:
	mov $DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	xor %eax, %eax
	mov %ax, %fs
	mov %ax, %gs
	lea boot_stack_top(%rip), %rsp
	fninit
	mov %ebp, %ecx
	sub $32, %rsp			/* the callee's home area (Microsoft x64) */
	call plat_start
9:	cli
	hlt
	jmp 9b

	.section .rdata, "dr"
msg_not_multiboot:
	.asciz "testos-nt: not started by a multiboot loader\n"
msg_no_long_mode:
	.asciz "testos-nt: the CPU lacks long mode or NX\n"
msg_no_memory:
	.asciz "testos-nt: the loader gave no memory size\n"

	.data
	.balign 16
	.globl boot_gdt
boot_gdt:
	.quad 0
	.quad 0x00AF9A000000FFFF	/* 0x08: 64-bit code, ring 0 */
	.quad 0x00CF92000000FFFF	/* 0x10: data, ring 0 */
	.quad 0x00CF9A000000FFFF	/* 0x18: 32-bit code, for this stub */
	.quad 0, 0			/* 0x20: the TSS, filled in by platform/trap.c */
boot_gdt_end:
gdt_pointer:
	.word boot_gdt_end - boot_gdt - 1
	.long boot_gdt

	.bss
	.balign 4096
	.globl boot_pml4
boot_pml4:
	.skip 4096
boot_pdpt:
	.skip 4096
	.globl boot_pd
boot_pd:
	.skip LARGE_PAGES_BELOW_4G * 8
	.balign 16
boot_stack:
	.skip BOOT_STACK_BYTES
boot_stack_top:
