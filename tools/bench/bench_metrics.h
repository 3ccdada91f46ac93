/* SPDX-License-Identifier: MIT */
/*
 * What vgpu-bench measures, and how: each metric is one repetition's work,
 * timed; the runner repeats it on every way after a warm-up, interleaving
 * the ways in blocks (and alternating which goes first) so that the drift
 * of a noisy machine hits all of them alike.
 */
#ifndef VGPU_BENCH_METRICS_H
#define VGPU_BENCH_METRICS_H

#include <stdint.h>

#include "bench_stats.h"
#include "bench_way.h"

/* Submits in flight per throughput repetition, waited for once. */
#define BENCH_STREAMS_IN_FLIGHT 8u
/* The transfer texture: 1024x1024 B8G8R8A8, 4 MiB. */
#define BENCH_TRANSFER_SIDE 1024u
/* The create/destroy textures, and how many pairs one repetition makes. */
#define BENCH_SMALL_SIDE 64u
#define BENCH_CREATE_BATCH 16u

/* A way and the objects the metrics reuse on it. */
struct bench_target {
	struct bench_way way;
	uint32_t transfer_texture;
};

enum bench_unit {
	BENCH_UNIT_MS,    /* time per repetition */
	BENCH_UNIT_MB_S,  /* 10^6 bytes per second */
	BENCH_UNIT_PER_S, /* operations per second */
};

struct bench_metric {
	const char *name;
	enum bench_unit unit;
	uint64_t work;  /* bytes (MB_S) or operations (PER_S) one repetition does */
	uint32_t param; /* stream bytes, or 1 for "to host" */
	int (*run)(struct bench_target *t, const struct bench_metric *m, uint64_t *ns);
};

extern const struct bench_metric bench_metrics[];
extern const unsigned int bench_num_metrics;

struct bench_plan {
	unsigned int reps;   /* timed repetitions per way */
	unsigned int warmup; /* untimed repetitions per way first */
	unsigned int block;  /* repetitions of one way before switching */
};

/* Build the command streams; 0, or -1 if they do not fit (a bug). */
int bench_metrics_init(void);

/* Create what the metrics reuse on a way; VGPU_OK or the way's status. */
int bench_target_prepare(struct bench_target *t);
/* Destroy it again, then close the way. */
void bench_target_release(struct bench_target *t);

/*
 * Run metric `m` on `n` targets as `plan` says; samples[i] (room for
 * plan->reps) gets target i's timings.  Returns VGPU_OK, or the status of
 * the first failure and in *failed the target it happened on.
 */
int bench_measure(const struct bench_metric *m, struct bench_target *const *targets, unsigned int n,
		  const struct bench_plan *plan, struct bench_samples *samples,
		  struct bench_target **failed);

#endif /* VGPU_BENCH_METRICS_H */
