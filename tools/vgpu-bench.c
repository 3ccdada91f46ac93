/* SPDX-License-Identifier: MIT */
/*
 * vgpu-bench: what our spine costs.  Each metric runs three ways in the
 * same run against the same kind of device (QEMU's vhost-user-gpu):
 *  - raw:  hand-built virtio-gpu commands on the core's virtqueue, in
 *          process, one thread (tools/bench/bench_raw.h);
 *  - core: libvgpu -> the kmd core, in process (bench_core_channel.h):
 *          a Windows guest's path, less the IOCTL's trip into its kernel;
 *  - vgpu: libvgpu -> socket -> vgpu-sim (the kmd core) (bench_vgpu.h),
 *          so vgpu against core is what only the sim's socket adds;
 * and reports medians and 90th percentiles of each, and their ratios.
 *
 *   vgpu-bench [--quick] [--reps N]
 *
 * Exit status: 0 measured, 1 a device or setup failure, 2 bad arguments.
 * Timings never fail the run: this is a benchmark, not a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_metrics.h"
#include "bench_raw.h"
#include "bench_stats.h"
#include "bench_vgpu.h"
#include "libvgpu.h"

#define DEFAULT_REPS 300u
#define QUICK_REPS 10u
#define MAX_REPS 100000u
/* raw, core, vgpu: the order of the columns and of samples[]. */
#define NUM_WAYS 3u
/*
 * Repetitions of one way before switching to the other.  Measured here:
 * switching after every repetition gave steadier ratios run to run than
 * blocks of 15, because drift on a shared machine then hits both ways alike.
 */
#define INTERLEAVE_BLOCK 1u

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vgpu-bench [--quick] [--reps N]\n"
		"  --quick   %u repetitions per metric and way (a smoke run)\n"
		"  --reps N  N repetitions per metric and way (default %u)\n"
		"The vgpu way uses the sim at $VGPU_SOCKET if set; otherwise it starts\n"
		"$VGPU_SIM, or the vgpu-sim beside this program, on a temporary socket.\n",
		QUICK_REPS, DEFAULT_REPS);
}

static int parse_reps(const char *text, unsigned int *reps)
{
	char *end;
	unsigned long value;

	if (!text || !text[0])
		return -1;
	value = strtoul(text, &end, 10);
	if (*end || value == 0 || value > MAX_REPS)
		return -1;
	*reps = (unsigned int)value;
	return 0;
}

/* Returns 0 to run, 1 after printing help, -1 after saying what is wrong. */
static int parse_options(int argc, char **argv, struct bench_plan *plan)
{
	unsigned int reps = DEFAULT_REPS;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			reps = QUICK_REPS;
		} else if (!strcmp(argv[i], "--reps")) {
			if (parse_reps(i + 1 < argc ? argv[++i] : NULL, &reps) != 0) {
				fprintf(stderr, "vgpu-bench: --reps needs a count from 1 to %u\n",
					MAX_REPS);
				return -1;
			}
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 1;
		} else {
			fprintf(stderr, "vgpu-bench: unknown argument %s\n", argv[i]);
			usage(stderr);
			return -1;
		}
	}
	plan->reps = reps;
	plan->warmup = reps / 10 > 2 ? reps / 10 : 2;
	plan->block = INTERLEAVE_BLOCK;
	return 0;
}

static const char *unit_name(enum bench_unit unit)
{
	switch (unit) {
	case BENCH_UNIT_MS:
		return "ms";
	case BENCH_UNIT_MB_S:
		return "MB/s";
	default:
		return "1/s";
	}
}

/* A repetition's duration in the metric's unit (a rate for everything but times). */
static double in_unit(const struct bench_metric *m, uint64_t ns)
{
	double seconds = (double)ns / 1e9;

	if (m->unit == BENCH_UNIT_MS)
		return seconds * 1e3;
	if (seconds <= 0)
		return 0;
	if (m->unit == BENCH_UNIT_MB_S)
		return (double)m->work / seconds / 1e6;
	return (double)m->work / seconds;
}

/* Three significant digits or so, whatever the magnitude. */
static void format_value(char *buf, size_t cap, double v)
{
	if (v >= 100)
		snprintf(buf, cap, "%.0f", v);
	else if (v >= 10)
		snprintf(buf, cap, "%.1f", v);
	else if (v >= 1)
		snprintf(buf, cap, "%.2f", v);
	else
		snprintf(buf, cap, "%.3f", v);
}

static void format_cell(char *buf, size_t cap, const struct bench_metric *m,
			struct bench_samples *s)
{
	char median[32], p90[32];

	format_value(median, sizeof(median), in_unit(m, bench_samples_median(s)));
	format_value(p90, sizeof(p90), in_unit(m, bench_samples_p90(s)));
	snprintf(buf, cap, "%s (%s)", median, p90);
}

static void print_header(const struct bench_plan *plan)
{
	printf("vgpu-bench: the spine's cost against a bare driver, same device, same run\n"
	       "  raw  = hand-built virtio-gpu commands on the core's virtqueue, in process\n"
	       "  core = libvgpu -> the kmd core, in process (a Windows guest, less its "
	       "IOCTL syscall)\n"
	       "  vgpu = libvgpu -> socket -> vgpu-sim (kmd core); all three drive QEMU's "
	       "vhost-user-gpu\n"
	       "cells: median (p90) of %u repetitions per way after %u warm-up; the ways "
	       "alternate every %u repetition(s)\n"
	       "  p90 of a rate = the rate 90%% of the repetitions reached\n"
	       "ratios: X/raw for times, raw/X for rates (so > 1 means X is slower); "
	       "core/raw is\n"
	       "  what a Windows guest pays, vgpu/raw adds the sim's socket hop\n\n",
	       plan->reps, plan->warmup, plan->block);
	printf("%-44s %-5s %18s %18s %18s %8s %8s %6s\n", "metric", "unit", "raw", "core", "vgpu",
	       "core/raw", "vgpu/raw", "reps");
	fflush(stdout);
}

/* Same work every way: the time ratio is also the inverse rate ratio. */
static double ratio(uint64_t ns, uint64_t raw_ns)
{
	return raw_ns ? (double)ns / (double)raw_ns : 0.0;
}

/* samples[] in the order raw, core, vgpu. */
static void print_row(const struct bench_metric *m, struct bench_samples *samples)
{
	char cell[NUM_WAYS][80];
	uint64_t ns[NUM_WAYS];

	for (unsigned int i = 0; i < NUM_WAYS; i++) {
		format_cell(cell[i], sizeof(cell[i]), m, &samples[i]);
		ns[i] = bench_samples_median(&samples[i]);
	}
	printf("%-44s %-5s %18s %18s %18s %8.2f %8.2f %6u\n", m->name, unit_name(m->unit), cell[0],
	       cell[1], cell[2], ratio(ns[1], ns[0]), ratio(ns[2], ns[0]), samples[0].count);
	fflush(stdout);
}

static int measure_one(const struct bench_metric *m, struct bench_target *const *targets,
		       const struct bench_plan *plan)
{
	struct bench_samples samples[NUM_WAYS] = { 0 };
	struct bench_target *failed = NULL;
	int ret = VGPU_OK;

	for (unsigned int i = 0; i < NUM_WAYS && ret == VGPU_OK; i++)
		if (bench_samples_init(&samples[i], plan->reps) != 0)
			ret = VGPU_E_NO_MEMORY;
	if (ret == VGPU_OK)
		ret = bench_measure(m, targets, NUM_WAYS, plan, samples, &failed);
	if (ret == VGPU_OK)
		print_row(m, samples);
	else if (failed)
		fprintf(stderr, "vgpu-bench: %s, %s way: %s\n", m->name, failed->way.name,
			failed->way.ops->error(failed->way.priv));
	else
		fprintf(stderr, "vgpu-bench: %s: %s\n", m->name, vgpu_status_str(ret));
	for (unsigned int i = 0; i < NUM_WAYS; i++)
		bench_samples_fini(&samples[i]);
	return ret;
}

/* Open and prepare one way; false after saying why not. */
static bool open_target(const char *name, int (*open)(struct bench_way *, char *, size_t),
			struct bench_target *t)
{
	char why[256] = "";
	int ret = open(&t->way, why, sizeof(why));

	if (ret != VGPU_OK) {
		fprintf(stderr, "vgpu-bench: cannot set up the %s way: %s\n", name, why);
		return false;
	}
	ret = bench_target_prepare(t);
	if (ret != VGPU_OK) {
		fprintf(stderr, "vgpu-bench: %s way: %s\n", name, t->way.ops->error(t->way.priv));
		bench_target_release(t);
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*open)(struct bench_way *, char *, size_t);
	} ways[NUM_WAYS] = {
		{ "raw", bench_raw_open },
		{ "core", bench_core_open },
		{ "vgpu", bench_vgpu_open },
	};
	struct bench_target way_targets[NUM_WAYS] = { 0 };
	struct bench_target *targets[NUM_WAYS];
	struct bench_plan plan;
	int parsed = parse_options(argc, argv, &plan);
	unsigned int opened = 0;
	int status = 0;

	if (parsed != 0)
		return parsed > 0 ? 0 : 2;
	if (bench_metrics_init() != 0) {
		fprintf(stderr, "vgpu-bench: the command streams do not fit their buffers\n");
		return 1;
	}
	/* The sim first: it must not inherit the other ways' device connections. */
	for (unsigned int i = NUM_WAYS; i-- > 0; opened++) {
		targets[i] = &way_targets[i];
		if (!open_target(ways[i].name, ways[i].open, targets[i])) {
			status = 1;
			break;
		}
	}
	if (!status) {
		print_header(&plan);
		for (unsigned int i = 0; i < bench_num_metrics && !status; i++) {
			if (measure_one(&bench_metrics[i], targets, &plan) != VGPU_OK)
				status = 1;
		}
	}
	for (unsigned int i = NUM_WAYS - opened; i < NUM_WAYS; i++)
		bench_target_release(targets[i]);
	return status;
}
