/* SPDX-License-Identifier: MIT */
#include "pit_tsc.h"

#include "x86_io.h"

#define PIT_HZ 1193182u
#define PIT_CH2_DATA 0x42u
#define PIT_COMMAND 0x43u
#define PIT_CH2_GATE_PORT 0x61u
#define GATE_ON 0x01u
#define SPEAKER_ON 0x02u
#define CH2_OUT 0x20u
/* Channel 2, low then high byte, mode 0 (output rises at terminal count), binary. */
#define PIT_CH2_ONESHOT 0xB0u
#define MAX_POLLS 200000000u

uint64_t pit_tsc_calibrate(uint64_t *end)
{
	uint32_t count = PIT_HZ / 1000u * PIT_TSC_CALIBRATE_MS, polls;
	uint64_t start;

	outb(PIT_CH2_GATE_PORT, (uint8_t)((inb(PIT_CH2_GATE_PORT) & ~SPEAKER_ON) | GATE_ON));
	outb(PIT_COMMAND, PIT_CH2_ONESHOT);
	outb(PIT_CH2_DATA, (uint8_t)count);
	outb(PIT_CH2_DATA, (uint8_t)(count >> 8));
	start = rdtsc();
	for (polls = 0; polls < MAX_POLLS; polls++)
		if (inb(PIT_CH2_GATE_PORT) & CH2_OUT)
			break;
	*end = rdtsc();
	if (polls == MAX_POLLS || *end <= start)
		return 0;
	return *end - start;
}
