/* SPDX-License-Identifier: MIT */
/*
 * Shared pieces of the integration tests: each test program runs its own
 * vgpu-sim (sim_harness.h) and talks to it through libvgpu like any client.
 */
#ifndef VGPU_TESTS_INTEGRATION_H
#define VGPU_TESTS_INTEGRATION_H

#include <stdbool.h>

#include "libvgpu.h"
#include "scene_client.h"
#include "sim_harness.h"
#include "tap.h"

/* How long the device-wide counts may take to settle after a client goes. */
#define STATS_SETTLE_MS 10000

/* Check that a scene client call succeeded; on failure, say which call and why. */
#define CHECK_CLIENT(c, expr)                                                                      \
	do {                                                                                       \
		int status_ = (expr);                                                              \
		if (status_ != VGPU_OK)                                                            \
			printf("# %s failed: %s\n", (c)->failed_step ? (c)->failed_step : #expr,   \
			       vgpu_status_str(status_));                                          \
		CHECK_EQ(status_, VGPU_OK);                                                        \
	} while (0)

/*
 * Cases every program runs first and last.  Inline, like every function
 * that checks: tap.h keeps the verdict of a case per translation unit.
 */

/* A private sim, ready, with VGPU_SOCKET set. */
static inline void test_sim_starts(void)
{
	CHECK_EQ(sim_start(), 0);
}

/* The sim survived everything the program did and leaves cleanly. */
static inline void test_sim_stops_cleanly(void)
{
	CHECK(sim_alive());
	CHECK_EQ(sim_stop(), 0);
}

/*
 * Poll GET_STATS on `watcher` until the object counts (open files,
 * contexts, resources, backing bytes, requests in flight) equal `want`'s,
 * for at most STATS_SETTLE_MS.  *got holds the last counts read.  Returns
 * whether they matched; prints how long it took.
 */
bool stats_settle(struct vgpu_dev *watcher, const struct vgpu_get_stats *want,
		  struct vgpu_get_stats *got);

#endif /* VGPU_TESTS_INTEGRATION_H */
