/* SPDX-License-Identifier: MIT */
/* Time since boot from the TSC, its rate measured against the PIT (channel 2, polled). */
#include "cpu.h"
#include "internal.h"
#include "pit_tsc.h"

#define NS_PER_MS 1000000ull
#define SCALE_SHIFT 32u

static uint64_t tsc_boot;
static uint64_t ns_per_tick_scaled; /* nanoseconds per TSC tick << SCALE_SHIFT */

void clock_init(void)
{
	uint64_t ticks = pit_tsc_calibrate(&tsc_boot);

	if (ticks < PIT_TSC_CALIBRATE_MS)
		plat_panic("cannot calibrate the TSC against the PIT");
	ns_per_tick_scaled = (PIT_TSC_CALIBRATE_MS * NS_PER_MS << SCALE_SHIFT) / ticks;
}

uint64_t plat_now_ns(void)
{
	/* The 128-bit product keeps years of uptime exact; it compiles to one mul. */
	return (uint64_t)(((unsigned __int128)(rdtsc() - tsc_boot) * ns_per_tick_scaled) >>
			  SCALE_SHIFT);
}
