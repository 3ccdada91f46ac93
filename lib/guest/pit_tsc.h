/* SPDX-License-Identifier: MIT */
/* The TSC's rate, measured against the PIT's channel 2 (polled, no interrupt). */
#ifndef GUEST_PIT_TSC_H
#define GUEST_PIT_TSC_H

#include <stdint.h>

#define PIT_TSC_CALIBRATE_MS 20u

/*
 * TSC ticks over PIT_TSC_CALIBRATE_MS milliseconds, with the TSC at the end
 * in *end; 0 when the PIT never counted down or the TSC did not advance.
 */
uint64_t pit_tsc_calibrate(uint64_t *end);

#endif /* GUEST_PIT_TSC_H */
