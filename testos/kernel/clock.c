/* SPDX-License-Identifier: MIT */
#include "clock.h"

#include "cpu.h"
#include "machine.h"
#include "pit_tsc.h"

static uint64_t tsc_boot;
static uint64_t tsc_per_ms;

void clock_init(void)
{
	uint64_t ticks = pit_tsc_calibrate(&tsc_boot);

	if (!ticks)
		machine_panic("cannot calibrate the TSC against the PIT");
	tsc_per_ms = ticks / PIT_TSC_CALIBRATE_MS;
	if (tsc_per_ms == 0)
		machine_panic("TSC too slow to time waits");
}

uint64_t clock_now_ns(void)
{
	/* Exact for hours of uptime at any plausible TSC rate before the product overflows. */
	return (rdtsc() - tsc_boot) * 1000000u / tsc_per_ms;
}

uint64_t clock_tsc_per_ms(void)
{
	return tsc_per_ms;
}
