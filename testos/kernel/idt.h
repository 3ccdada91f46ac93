/* SPDX-License-Identifier: MIT */
/* CPU exceptions end the run with a report (vector, error code, eip, cr2). */
#ifndef TESTOS_IDT_H
#define TESTOS_IDT_H

#include <stdint.h>

/* The registers boot/entry.S saves, in the order it pushes them (last pushed first). */
struct exception_frame {
	uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
	uint32_t vector;
	uint32_t error;
	uint32_t eip, cs, eflags;
};

void idt_init(void);
void exception_handler(const struct exception_frame *frame);

#endif /* TESTOS_IDT_H */
