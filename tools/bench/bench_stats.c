/* SPDX-License-Identifier: MIT */
/*
 * Order statistics over repetition timings (bench_stats.h).
 */
#include "bench_stats.h"

#include <stdlib.h>
#include <time.h>

int bench_samples_init(struct bench_samples *s, unsigned int cap)
{
	s->count = 0;
	s->cap = 0;
	s->ns = cap ? calloc(cap, sizeof(*s->ns)) : NULL;
	if (!s->ns)
		return -1;
	s->cap = cap;
	return 0;
}

void bench_samples_fini(struct bench_samples *s)
{
	free(s->ns);
	s->ns = NULL;
	s->count = s->cap = 0;
}

int bench_samples_add(struct bench_samples *s, uint64_t ns)
{
	if (s->count >= s->cap)
		return -1;
	s->ns[s->count++] = ns;
	return 0;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void sort_samples(struct bench_samples *s)
{
	qsort(s->ns, s->count, sizeof(*s->ns), compare_u64);
}

uint64_t bench_samples_median(struct bench_samples *s)
{
	unsigned int mid = s->count / 2;

	if (!s->count)
		return 0;
	sort_samples(s);
	if (s->count % 2)
		return s->ns[mid];
	return s->ns[mid - 1] + (s->ns[mid] - s->ns[mid - 1]) / 2;
}

uint64_t bench_samples_p90(struct bench_samples *s)
{
	/* nearest rank: the smallest sample with at least 90% of them at or below it */
	unsigned int rank;

	if (!s->count)
		return 0;
	sort_samples(s);
	rank = (unsigned int)(((uint64_t)s->count * 90 + 99) / 100);
	return s->ns[rank - 1];
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
