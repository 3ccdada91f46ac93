/* SPDX-License-Identifier: MIT */
/*
 * A monotonic nanosecond clock from the TSC, calibrated once against the
 * PIT (whose 1.193182 MHz input QEMU emulates on its virtual clock).
 */
#ifndef TESTOS_CLOCK_H
#define TESTOS_CLOCK_H

#include <stdint.h>

/* Measure the TSC rate; panics if the PIT never counts down. */
void clock_init(void);
uint64_t clock_now_ns(void);
/* TSC ticks per millisecond, for the boot banner. */
uint64_t clock_tsc_per_ms(void);

#endif /* TESTOS_CLOCK_H */
