/* SPDX-License-Identifier: MIT */
/*
 * KUSER_SHARED_DATA's InterruptTime: vgpu.sys reads it directly (the DDK's
 * KeQueryInterruptTime is inline), so it is brought up to date whenever the
 * harness runs: every routine the driver calls, every scheduling point.
 */
#include "internal.h"

#define INTERRUPT_TIME_OFFSET 0x8u

void nt_clock_tick(void)
{
	volatile KSYSTEM_TIME *t =
		(volatile KSYSTEM_TIME *)((uint8_t *)plat_shared_data() + INTERRUPT_TIME_OFFSET);
	uint64_t now = plat_now_ns() / 100u;

	/* Readers retry while High1Time and High2Time differ: write High2 first, High1 last. */
	t->High2Time = (LONG)(now >> 32);
	t->LowPart = (ULONG)now;
	t->High1Time = (LONG)(now >> 32);
}

uint64_t nt_clock_at_tick(uint64_t at)
{
	return (at + NT_CLOCK_TICK_100NS - 1) / NT_CLOCK_TICK_100NS * NT_CLOCK_TICK_100NS;
}

uint64_t nt_interrupt_time(void)
{
	nt_clock_tick();
	return plat_now_ns() / 100u;
}
