/* SPDX-License-Identifier: MIT */
/*
 * Shared pieces of the integration tests (integration.h).
 */
#include "integration.h"

#include <time.h>

#define STATS_POLL_MS 10

static bool same_objects(const struct vgpu_get_stats *a, const struct vgpu_get_stats *b)
{
	return a->open_files == b->open_files && a->contexts == b->contexts &&
	       a->resources == b->resources && a->backing_bytes == b->backing_bytes &&
	       a->requests_in_flight == b->requests_in_flight;
}

bool stats_settle(struct vgpu_dev *watcher, const struct vgpu_get_stats *want,
		  struct vgpu_get_stats *got)
{
	const struct timespec tick = { .tv_nsec = STATS_POLL_MS * 1000000L };
	int waited = 0;
	bool match = false;

	while (vgpu_get_stats(watcher, got) == VGPU_OK) {
		match = same_objects(got, want);
		if (match || waited >= STATS_SETTLE_MS)
			break;
		nanosleep(&tick, NULL);
		waited += STATS_POLL_MS;
	}
	printf("# object counts %s after about %d ms: %u open files, %u contexts, "
	       "%u resources, %llu backing bytes, %u requests in flight\n",
	       match ? "settled" : "did not settle", waited, got->open_files, got->contexts,
	       got->resources, (unsigned long long)got->backing_bytes, got->requests_in_flight);
	return match;
}
