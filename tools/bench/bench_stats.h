/* SPDX-License-Identifier: MIT */
/*
 * Repetition timings of one metric on one way, and the order statistics
 * vgpu-bench reports (median, 90th percentile).  Medians, not means: on a
 * shared two-core machine a few repetitions are always hit by something
 * else, and they must not move the result.
 */
#ifndef VGPU_BENCH_STATS_H
#define VGPU_BENCH_STATS_H

#include <stdint.h>

struct bench_samples {
	uint64_t *ns;
	unsigned int count;
	unsigned int cap;
};

/* Room for `cap` samples; 0, or -1 when memory is short or cap is 0. */
int bench_samples_init(struct bench_samples *s, unsigned int cap);
void bench_samples_fini(struct bench_samples *s);

/* Record one duration; a sample beyond the capacity is dropped (and reported as -1). */
int bench_samples_add(struct bench_samples *s, uint64_t ns);

/*
 * The median, and the duration 90% of the samples did not exceed (nearest
 * rank).  Both sort the samples in place; 0 when there are none.
 */
uint64_t bench_samples_median(struct bench_samples *s);
uint64_t bench_samples_p90(struct bench_samples *s);

/* Monotonic clock in nanoseconds. */
uint64_t bench_now_ns(void);

#endif /* VGPU_BENCH_STATS_H */
