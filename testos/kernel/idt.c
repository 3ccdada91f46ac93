/* SPDX-License-Identifier: MIT */
#include "idt.h"

#include "cpu.h"
#include "kprint.h"
#include "machine.h"

#define EXCEPTION_VECTORS 22u
#define KERNEL_CS 0x08u
#define GATE_INTERRUPT_32 0x8Eu /* present, ring 0, 32-bit interrupt gate */

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t zero;
	uint8_t type;
	uint16_t offset_hi;
} __attribute__((packed));

struct idt_pointer {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));

/* The stubs of boot/entry.S, one per vector. */
extern void exc_stub_0(void), exc_stub_1(void), exc_stub_2(void), exc_stub_3(void),
	exc_stub_4(void), exc_stub_5(void), exc_stub_6(void), exc_stub_7(void), exc_stub_8(void),
	exc_stub_9(void), exc_stub_10(void), exc_stub_11(void), exc_stub_12(void),
	exc_stub_13(void), exc_stub_14(void), exc_stub_15(void), exc_stub_16(void),
	exc_stub_17(void), exc_stub_18(void), exc_stub_19(void), exc_stub_20(void),
	exc_stub_21(void);

static void (*const stubs[EXCEPTION_VECTORS])(void) = {
	exc_stub_0,  exc_stub_1,  exc_stub_2,  exc_stub_3,  exc_stub_4,  exc_stub_5,
	exc_stub_6,  exc_stub_7,  exc_stub_8,  exc_stub_9,  exc_stub_10, exc_stub_11,
	exc_stub_12, exc_stub_13, exc_stub_14, exc_stub_15, exc_stub_16, exc_stub_17,
	exc_stub_18, exc_stub_19, exc_stub_20, exc_stub_21,
};

static struct idt_gate idt[EXCEPTION_VECTORS];

void idt_init(void)
{
	struct idt_pointer ptr = { sizeof(idt) - 1, (uint32_t)(uintptr_t)idt };
	uint32_t i;

	for (i = 0; i < EXCEPTION_VECTORS; i++) {
		uint32_t target = (uint32_t)(uintptr_t)stubs[i];

		idt[i] = (struct idt_gate){ .offset_lo = (uint16_t)target,
					    .selector = KERNEL_CS,
					    .type = GATE_INTERRUPT_32,
					    .offset_hi = (uint16_t)(target >> 16) };
	}
	__asm__ volatile("lidt %0" : : "m"(ptr));
}

void exception_handler(const struct exception_frame *f)
{
	kprintf("# CPU exception %u, error %x, eip %08x, cr2 %08x, eax %08x, esp %08x\n", f->vector,
		f->error, f->eip, read_cr2(), f->eax, f->esp);
	machine_panic("CPU exception");
}
