/* SPDX-License-Identifier: MIT */
/*
 * IRQL is CR8, as on Windows x64: the local APIC holds back device
 * interrupts at or below it.  DPCs run when the IRQL drops below
 * DISPATCH_LEVEL, which is also a scheduling point.
 */
#include "internal.h"

static const char *const level_names[] = { "PASSIVE_LEVEL", "APC_LEVEL", "DISPATCH_LEVEL" };

static const char *level_name(KIRQL irql)
{
	return irql < 3 ? level_names[irql] : "DIRQL";
}

KIRQL nt_irql(void)
{
	uint64_t cr8;

	__asm__ volatile("mov %%cr8, %0" : "=r"(cr8));
	return (KIRQL)cr8;
}

static void write_cr8(KIRQL irql)
{
	uint64_t v = irql;

	__asm__ volatile("mov %0, %%cr8" : : "r"(v) : "memory");
}

void nt_require_irql(const char *routine, KIRQL max, const void *caller)
{
	KIRQL now = nt_irql();

	if (now > max)
		nt_violation(routine, "called above its maximum IRQL", caller,
			     "at IRQL %u (%s); the documented maximum is %u (%s)", now,
			     level_name(now), max, level_name(max));
}

void nt_set_irql(KIRQL irql)
{
	KIRQL old = nt_irql();

	write_cr8(irql);
	if (old >= DISPATCH_LEVEL && irql < DISPATCH_LEVEL) {
		nt_dpc_drain();
		nt_sched_point();
	}
}
