/* SPDX-License-Identifier: MIT */
/* A new context's stack, laid out as if it had called plat_context_switch itself. */
#include "internal.h"

/* What context_switch.S keeps on a stack, from the saved stack pointer upwards. */
struct saved_context {
	uint8_t xmm6_15[10][16];
	uint64_t pad;
	uint64_t r15, r14, r13, r12, rsi, rdi, rbp, rbx;
	uint64_t return_address;
};
_Static_assert(sizeof(struct saved_context) % 16 == 0, "a 16-aligned top keeps the xmm area so");

void context_start(void); /* context_switch.S */
__attribute__((noreturn)) void context_returned(void);

void plat_context_init(struct plat_context *ctx, void *stack, size_t stack_size,
		       void (*entry)(void *arg), void *arg)
{
	uintptr_t top = ((uintptr_t)stack + stack_size) & ~(uintptr_t)15;
	/* After the ret into context_start the stack pointer is `top`: 16-aligned, as it wants. */
	struct saved_context *saved = (struct saved_context *)(top - sizeof(*saved));

	if (stack_size < sizeof(*saved) + 256)
		plat_panic("plat_context_init: a stack of %zu bytes is too small", stack_size);
	*saved = (struct saved_context){ .r12 = (uintptr_t)entry,
					 .r13 = (uintptr_t)arg,
					 .return_address = (uintptr_t)context_start };
	ctx->rsp = (uintptr_t)saved;
}

void context_returned(void)
{
	plat_panic("a context's entry function returned");
}
