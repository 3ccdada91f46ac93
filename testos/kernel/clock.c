/* SPDX-License-Identifier: MIT */
#include "clock.h"

#include "cpu.h"
#include "machine.h"

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

static uint64_t tsc_boot;
static uint64_t tsc_per_ms;

void clock_init(void)
{
	uint32_t count = PIT_HZ / 1000u * CALIBRATE_MS;
	uint64_t start, end;
	uint32_t polls;

	outb(PIT_CH2_GATE_PORT, (uint8_t)((inb(PIT_CH2_GATE_PORT) & ~SPEAKER_ON) | GATE_ON));
	outb(PIT_COMMAND, PIT_CH2_ONESHOT);
	outb(PIT_CH2_DATA, (uint8_t)count);
	outb(PIT_CH2_DATA, (uint8_t)(count >> 8));
	start = rdtsc();
	for (polls = 0; polls < CALIBRATE_MAX_POLLS; polls++)
		if (inb(PIT_CH2_GATE_PORT) & CH2_OUT)
			break;
	end = rdtsc();
	if (polls == CALIBRATE_MAX_POLLS || end <= start)
		machine_panic("cannot calibrate the TSC against the PIT");
	tsc_per_ms = (end - start) / CALIBRATE_MS;
	if (tsc_per_ms == 0)
		machine_panic("TSC too slow to time waits");
	tsc_boot = end;
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
