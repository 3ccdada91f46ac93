/* SPDX-License-Identifier: MIT */
/*
 * VGPU_WINSYS_STATS=1: where a frame's time goes, printed on stderr when the
 * winsys goes away.  The winsys times its own phases (submit, readback,
 * copy into the display target, display, the whole present, and the waits
 * the driver asks for) and libvgpu counts every call into the kernel driver
 * by kind (vgpu_stats_enable).
 *
 * Per frame means between the end of the first present and the end of the
 * last one, so that setup (shaders, resources) and teardown stay out.
 * WGL and GLX often leave the winsys alive at exit, so the report is also
 * made then (atexit: for a DLL, when it is unloaded) for those still alive.
 * Counters are relaxed atomics: a submit may come from the driver's thread
 * while another presents.
 */
#include "vgpu_winsys.h"

#include <stdio.h>
#include <stdlib.h>

#include "util/simple_mtx.h"

#define MAX_LIVE 8

struct phase_counts {
	uint64_t count[VIRGL_VGPU_PHASES];
	uint64_t ns[VIRGL_VGPU_PHASES];
	uint64_t bytes[VIRGL_VGPU_PHASES];
};

/* Everything at one moment: the end of a present. */
struct snapshot {
	uint64_t when_ns;
	struct phase_counts phases;
	struct vgpu_call_stats calls;
};

struct virgl_vgpu_stats {
	struct phase_counts running;
	mtx_t lock; /* guards taken, first and last */
	bool taken;
	struct snapshot first, last;
};

static const char *const phase_names[VIRGL_VGPU_PHASES] = {
	[VIRGL_VGPU_SUBMIT] = "submit (command stream to the device)",
	[VIRGL_VGPU_READBACK] = "readback (transfer from host into the backing, and its wait)",
	[VIRGL_VGPU_COPY] = "copy (backing into the display target)",
	[VIRGL_VGPU_DISPLAY] = "display (the image shown in its window)",
	[VIRGL_VGPU_PRESENT] = "present (readback, copy and display: SwapBuffers' part)",
	[VIRGL_VGPU_DRIVER_WAIT] = "driver waits (for a fence or a resource, outside present)",
};

/* The winsyses that count and have not reported yet. */
static simple_mtx_t live_lock = SIMPLE_MTX_INITIALIZER;
static struct virgl_vgpu_winsys *live[MAX_LIVE];
static bool at_exit_set;

static void report_live(void)
{
	unsigned i;

	for (i = 0; i < MAX_LIVE; i++)
		if (live[i])
			virgl_vgpu_stats_report(live[i]);
}

/* False when too many winsyses count at once: this one then does not. */
static bool add_live(struct virgl_vgpu_winsys *ws)
{
	bool added = false;
	unsigned i;

	simple_mtx_lock(&live_lock);
	for (i = 0; i < MAX_LIVE && !added; i++) {
		added = !live[i];
		if (added)
			live[i] = ws;
	}
	if (added && !at_exit_set)
		at_exit_set = atexit(report_live) == 0;
	simple_mtx_unlock(&live_lock);
	return added;
}

static void remove_live(struct virgl_vgpu_winsys *ws)
{
	unsigned i;

	simple_mtx_lock(&live_lock);
	for (i = 0; i < MAX_LIVE; i++)
		if (live[i] == ws)
			live[i] = NULL;
	simple_mtx_unlock(&live_lock);
}

void virgl_vgpu_stats_init(struct virgl_vgpu_winsys *ws)
{
	const char *env = getenv("VGPU_WINSYS_STATS");
	struct virgl_vgpu_stats *stats;

	if (!env || !*env || *env == '0')
		return;
	stats = calloc(1, sizeof(*stats));
	if (!stats || vgpu_stats_enable(ws->dev) != VGPU_OK || !add_live(ws)) {
		fprintf(stderr, "vgpu-stats: not counting (out of memory, or too many devices)\n");
		free(stats);
		return;
	}
	mtx_init(&stats->lock, mtx_plain);
	ws->stats = stats;
}

static void read_phases(const struct phase_counts *from, struct phase_counts *to)
{
	unsigned i;

	for (i = 0; i < VIRGL_VGPU_PHASES; i++) {
		to->count[i] = __atomic_load_n(&from->count[i], __ATOMIC_RELAXED);
		to->ns[i] = __atomic_load_n(&from->ns[i], __ATOMIC_RELAXED);
		to->bytes[i] = __atomic_load_n(&from->bytes[i], __ATOMIC_RELAXED);
	}
}

static void take_snapshot(struct virgl_vgpu_winsys *ws, uint64_t now)
{
	struct virgl_vgpu_stats *stats = ws->stats;
	struct snapshot *into;

	mtx_lock(&stats->lock);
	into = stats->taken ? &stats->last : &stats->first;
	stats->taken = true;
	into->when_ns = now;
	read_phases(&stats->running, &into->phases);
	vgpu_stats_read(ws->dev, &into->calls);
	mtx_unlock(&stats->lock);
}

void virgl_vgpu_stats_add(struct virgl_vgpu_winsys *ws, enum virgl_vgpu_phase phase,
			  uint64_t start_ns, uint64_t bytes)
{
	struct phase_counts *running = &ws->stats->running;
	uint64_t now = vgpu_now_ns();

	__atomic_fetch_add(&running->count[phase], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&running->ns[phase], now - start_ns, __ATOMIC_RELAXED);
	__atomic_fetch_add(&running->bytes[phase], bytes, __ATOMIC_RELAXED);
	if (phase == VIRGL_VGPU_PRESENT)
		take_snapshot(ws, now);
}

static void print_phases(const struct snapshot *a, const struct snapshot *b, double frames)
{
	unsigned i;

	fprintf(stderr, "vgpu-stats: per frame: ms, times, KiB\n");
	for (i = 0; i < VIRGL_VGPU_PHASES; i++)
		fprintf(stderr, "vgpu-stats:   %7.3f %6.2f %9.1f  %s\n",
			(double)(b->phases.ns[i] - a->phases.ns[i]) / 1e6 / frames,
			(double)(b->phases.count[i] - a->phases.count[i]) / frames,
			(double)(b->phases.bytes[i] - a->phases.bytes[i]) / 1024 / frames,
			phase_names[i]);
}

static void print_calls(const struct snapshot *a, const struct snapshot *b, double frames)
{
	uint64_t calls = 0, ns = 0;
	unsigned i;

	fprintf(stderr, "vgpu-stats: calls into the kernel driver per frame: times, ms in the "
			"channel, KiB of payload\n");
	for (i = 0; i < VGPU_STATS_KINDS; i++) {
		uint64_t n = b->calls.calls[i] - a->calls.calls[i];

		if (!n)
			continue;
		calls += n;
		ns += b->calls.ns[i] - a->calls.ns[i];
		fprintf(stderr, "vgpu-stats:   %7.2f %7.3f %9.1f  %s\n", (double)n / frames,
			(double)(b->calls.ns[i] - a->calls.ns[i]) / 1e6 / frames,
			(double)(b->calls.bytes[i] - a->calls.bytes[i]) / 1024 / frames,
			vgpu_stats_kind_name(i));
	}
	fprintf(stderr, "vgpu-stats:   %7.2f %7.3f            all calls\n", (double)calls / frames,
		(double)ns / 1e6 / frames);
}

/* Over the whole run: what the sim's own count (VGPU_SIM_STATS) is set against. */
static void print_totals(const struct vgpu_call_stats *all)
{
	uint64_t calls = 0, ns = 0;
	unsigned i;

	for (i = 0; i < VGPU_STATS_KINDS; i++) {
		calls += all->calls[i];
		ns += all->ns[i];
	}
	fprintf(stderr, "vgpu-stats: whole run: %llu calls, %.3f ms in the channel\n",
		(unsigned long long)calls, (double)ns / 1e6);
}

void virgl_vgpu_stats_report(struct virgl_vgpu_winsys *ws)
{
	struct virgl_vgpu_stats *stats = ws->stats;
	struct vgpu_call_stats all;
	uint64_t frames;

	if (!stats)
		return;
	remove_live(ws);
	frames = stats->last.phases.count[VIRGL_VGPU_PRESENT] -
		 stats->first.phases.count[VIRGL_VGPU_PRESENT];
	if (frames) {
		fprintf(stderr, "vgpu-stats: %llu frames in %.3f s: %.3f ms per frame\n",
			(unsigned long long)frames,
			(double)(stats->last.when_ns - stats->first.when_ns) / 1e9,
			(double)(stats->last.when_ns - stats->first.when_ns) / 1e6 / frames);
		print_phases(&stats->first, &stats->last, (double)frames);
		print_calls(&stats->first, &stats->last, (double)frames);
	} else {
		fprintf(stderr, "vgpu-stats: fewer than two frames presented\n");
	}
	if (vgpu_stats_read(ws->dev, &all) == VGPU_OK)
		print_totals(&all);
	mtx_destroy(&stats->lock);
	free(stats);
	ws->stats = NULL;
}
