/* SPDX-License-Identifier: MIT */
/*
 * The IDT (all 256 vectors through trap_entry.S) and the TSS that gives the
 * aborts their own stacks: a double fault from an overflowing thread stack
 * is reported instead of resetting the machine.  Exceptions go to the trap
 * hook, then end the run with the frame printed; device vectors go to
 * irq_dispatch.
 */
#include "cpu.h"
#include "internal.h"

#define VECTORS 256u
#define FIRST_DEVICE_VECTOR 32u
#define STUB_BYTES 16u
#define KERNEL_CS 0x08u
#define TSS_SELECTOR 0x20u
#define GATE_INTERRUPT 0x8Eu /* present, ring 0, 64-bit interrupt gate */
#define TSS_AVAILABLE 0x89u  /* present, 64-bit TSS, not busy */
#define IST_STACK_PAGES 4u
#define VECTOR_NMI 2u
#define VECTOR_DOUBLE_FAULT 8u
#define VECTOR_MACHINE_CHECK 18u
#define IST_DOUBLE_FAULT 1u
#define IST_NMI_MC 2u
#define STACK_QUADS_SHOWN 8u

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "gate size");

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "TSS size");

struct table_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

extern char trap_stubs[]; /* trap_entry.S */
void trap_dispatch(struct trap_frame *frame);

static struct idt_gate idt[VECTORS] __attribute__((aligned(16)));
static struct tss tss __attribute__((aligned(16)));
static trap_hook_fn trap_hook;

static const char *const exception_names[FIRST_DEVICE_VECTOR] = {
	"divide error",
	"debug",
	"NMI",
	"breakpoint",
	"overflow",
	"bound range",
	"invalid opcode",
	"device not available",
	"double fault",
	"coprocessor segment overrun",
	"invalid TSS",
	"segment not present",
	"stack fault",
	"general protection",
	"page fault",
	"reserved 15",
	"x87 error",
	"alignment check",
	"machine check",
	"SIMD floating point",
	"virtualization",
	"control protection",
	"reserved 22",
	"reserved 23",
	"reserved 24",
	"reserved 25",
	"reserved 26",
	"reserved 27",
	"hypervisor inject",
	"VMM communication",
	"security",
	"reserved 31",
};

static uint64_t ist_stack_top(void)
{
	uint8_t *stack = page_alloc(IST_STACK_PAGES);

	if (!stack)
		plat_panic("no memory for the exception stacks");
	return (uintptr_t)(stack + IST_STACK_PAGES * PLAT_PAGE_SIZE);
}

static void load_tss(void)
{
	uint64_t base = (uintptr_t)&tss, limit = sizeof(tss) - 1;

	tss.ist[IST_DOUBLE_FAULT - 1] = ist_stack_top();
	tss.ist[IST_NMI_MC - 1] = ist_stack_top();
	tss.iomap_base = sizeof(tss); /* no I/O bitmap */
	boot_gdt[TSS_SELECTOR / 8] = (limit & 0xFFFF) | (base & 0xFFFFFF) << 16 |
				     (uint64_t)TSS_AVAILABLE << 40 | ((limit >> 16) & 0xF) << 48 |
				     ((base >> 24) & 0xFF) << 56;
	boot_gdt[TSS_SELECTOR / 8 + 1] = base >> 32;
	__asm__ volatile("ltr %w0" : : "r"(TSS_SELECTOR));
}

void trap_init(void)
{
	struct table_pointer idtr = { sizeof(idt) - 1, (uintptr_t)idt };

	load_tss();
	for (unsigned v = 0; v < VECTORS; v++) {
		uint64_t target = (uintptr_t)trap_stubs + v * STUB_BYTES;
		uint8_t ist = 0;

		if (v == VECTOR_DOUBLE_FAULT)
			ist = IST_DOUBLE_FAULT;
		else if (v == VECTOR_NMI || v == VECTOR_MACHINE_CHECK)
			ist = IST_NMI_MC;
		idt[v] = (struct idt_gate){ .offset_lo = (uint16_t)target,
					    .selector = KERNEL_CS,
					    .ist = ist,
					    .type = GATE_INTERRUPT,
					    .offset_mid = (uint16_t)(target >> 16),
					    .offset_hi = (uint32_t)(target >> 32) };
	}
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void plat_set_trap_hook(trap_hook_fn hook)
{
	trap_hook = hook;
}

static void report(const struct trap_frame *f, uint64_t cr2)
{
	const uint64_t *stack = (const uint64_t *)(uintptr_t)f->rsp;
	uint64_t pa;
	unsigned flags;

	con_printf("PANIC platform: CPU exception %llu (%s), error 0x%llx\n", f->vector,
		   exception_names[f->vector], f->error);
	con_printf("#   rip %016llx cs %llx rflags %llx rsp %016llx ss %llx cr2 %016llx\n", f->rip,
		   f->cs, f->rflags, f->rsp, f->ss, cr2);
	con_printf("#   rax %016llx rbx %016llx rcx %016llx rdx %016llx\n", f->rax, f->rbx, f->rcx,
		   f->rdx);
	con_printf("#   rsi %016llx rdi %016llx rbp %016llx r8  %016llx\n", f->rsi, f->rdi, f->rbp,
		   f->r8);
	con_printf("#   r9  %016llx r10 %016llx r11 %016llx r12 %016llx\n", f->r9, f->r10, f->r11,
		   f->r12);
	con_printf("#   r13 %016llx r14 %016llx r15 %016llx cr8 %llx\n", f->r13, f->r14, f->r15,
		   read_cr8());
	if (f->rsp % 8 || vm_translate(f->rsp, &pa, &flags) ||
	    vm_translate(f->rsp + (STACK_QUADS_SHOWN - 1) * 8, &pa, &flags))
		return;
	con_printf("#   stack:");
	for (unsigned i = 0; i < STACK_QUADS_SHOWN; i++)
		con_printf(" %016llx", stack[i]);
	con_printf("\n");
}

void trap_dispatch(struct trap_frame *frame)
{
	uint64_t cr2;

	if (frame->vector >= FIRST_DEVICE_VECTOR) {
		irq_dispatch((uint8_t)frame->vector);
		return;
	}
	cr2 = read_cr2();
	/* An abort cannot be resumed: no hook for it. */
	if (frame->vector != VECTOR_DOUBLE_FAULT && frame->vector != VECTOR_MACHINE_CHECK &&
	    trap_hook && trap_hook(frame, cr2))
		return;
	report(frame, cr2);
	plat_exit(EXIT_PANIC);
}
