/* SPDX-License-Identifier: MIT */
/*
 * Device vectors and the two places interrupts are taken: irq_window and
 * irq_idle.  Classes 3..14 are the devices' (one class per IRQL, as CR8
 * compares them); class 15 holds the platform's own timer and the spurious
 * vector, so that irq_idle's wake-up passes every IRQL below HIGH_LEVEL.
 */
#include "cpu.h"
#include "internal.h"

#define FIRST_DEVICE_CLASS 3u
#define LAST_DEVICE_CLASS 14u
#define VECTORS_PER_CLASS 16u
#define TIMER_CLASS (TIMER_VECTOR / VECTORS_PER_CLASS)

struct vector_binding {
	irq_handler_fn fn;
	void *ctx;
};

static struct vector_binding bindings[256];
static volatile uint64_t device_interrupts;

uint8_t irq_vector_alloc(uint8_t irql, irq_handler_fn fn, void *ctx)
{
	if (irql < FIRST_DEVICE_CLASS || irql > LAST_DEVICE_CLASS || !fn)
		return 0;
	for (unsigned v = irql * VECTORS_PER_CLASS; v < (irql + 1u) * VECTORS_PER_CLASS; v++) {
		if (!bindings[v].fn) {
			bindings[v] = (struct vector_binding){ fn, ctx };
			return (uint8_t)v;
		}
	}
	return 0;
}

void irq_vector_free(uint8_t vector)
{
	if (!bindings[vector].fn)
		plat_panic("irq_vector_free(%u): the vector is not allocated", vector);
	bindings[vector] = (struct vector_binding){ 0 };
}

void irq_dispatch(uint8_t vector)
{
	const struct vector_binding *b = &bindings[vector];

	if (vector == SPURIOUS_VECTOR)
		return; /* the APIC wants no EOI for it */
	if (vector == TIMER_VECTOR) {
		lapic_eoi();
		return;
	}
	device_interrupts++;
	if (!b->fn) {
		/* A message that was on its way when its vector was freed: not the handler's. */
		con_printf("# platform: interrupt on vector %u, which has no handler\n", vector);
		lapic_eoi();
		return;
	}
	b->fn(b->ctx, vector);
	if (lapic_in_service(vector))
		plat_panic("the handler of vector %u returned without lapic_eoi", vector);
}

void irq_window(void)
{
	/* The instruction after sti still runs with interrupts held; then they come, before cli. */
	__asm__ volatile("sti; nop; cli" : : : "memory");
}

void irq_idle(uint64_t deadline_ns)
{
	uint64_t seen = device_interrupts;

	for (;;) {
		uint64_t now = plat_now_ns();

		if (now >= deadline_ns) {
			irq_window();
			return;
		}
		if (read_cr8() >= TIMER_CLASS) {
			/* Nothing can interrupt at HIGH_LEVEL: only the deadline ends the wait. */
			if (deadline_ns == UINT64_MAX)
				plat_panic("irq_idle at CR8 %llu without a deadline", read_cr8());
			cpu_relax();
			continue;
		}
		lapic_timer_oneshot(TIMER_VECTOR, deadline_ns - now);
		__asm__ volatile("sti; hlt; cli" : : : "memory");
		lapic_timer_stop();
		if (device_interrupts != seen)
			return;
	}
}
