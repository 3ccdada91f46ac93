/* SPDX-License-Identifier: MIT */
/* Time since boot from the TSC, its rate measured against the PIT (channel 2, polled). */
#include "cpu.h"
#include "internal.h"

#define PIT_HZ 1193182u
#define PIT_CH2_DATA 0x42u
#define PIT_COMMAND 0x43u
#define PIT_CH2_GATE_PORT 0x61u
#define GATE_ON 0x01u
#define SPEAKER_ON 0x02u
#define CH2_OUT 0x20u
/* Channel 2, low then high byte, mode 0 (output rises at terminal count), binary. */
#define PIT_CH2_ONESHOT 0xB0u
#define CALIBRATE_MS 20u
#define CALIBRATE_MAX_POLLS 200000000u
#define NS_PER_MS 1000000ull
#define SCALE_SHIFT 32u

static uint64_t tsc_boot;
static uint64_t ns_per_tick_scaled; /* nanoseconds per TSC tick << SCALE_SHIFT */

void clock_init(void)
{
	uint32_t count = PIT_HZ / 1000u * CALIBRATE_MS, polls;
	uint64_t start, end;

	outb(PIT_CH2_GATE_PORT, (uint8_t)((inb(PIT_CH2_GATE_PORT) & ~SPEAKER_ON) | GATE_ON));
	outb(PIT_COMMAND, PIT_CH2_ONESHOT);
	outb(PIT_CH2_DATA, (uint8_t)count);
	outb(PIT_CH2_DATA, (uint8_t)(count >> 8));
	start = rdtsc();
	for (polls = 0; polls < CALIBRATE_MAX_POLLS; polls++)
		if (inb(PIT_CH2_GATE_PORT) & CH2_OUT)
			break;
	end = rdtsc();
	if (polls == CALIBRATE_MAX_POLLS || end - start < CALIBRATE_MS)
		plat_panic("cannot calibrate the TSC against the PIT");
	ns_per_tick_scaled = (CALIBRATE_MS * NS_PER_MS << SCALE_SHIFT) / (end - start);
	tsc_boot = end;
}

uint64_t plat_now_ns(void)
{
	/* The 128-bit product keeps years of uptime exact; it compiles to one mul. */
	return (uint64_t)(((unsigned __int128)(rdtsc() - tsc_boot) * ns_per_tick_scaled) >>
			  SCALE_SHIFT);
}
