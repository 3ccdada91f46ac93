/* SPDX-License-Identifier: MIT */
/*
 * The guest suites' tally of "a clear, then the wait for its fence" on
 * QEMU's device (testos and the NT harness): QEMU looks at its fences when
 * notified, else every 10 ms, and the kmd core's fence waits nudge it
 * (kmd/core/wait.h).  Most rounds must stay far below that timer.
 */
#ifndef VGPU_TOOLS_FENCE_ROUNDS_H
#define VGPU_TOOLS_FENCE_ROUNDS_H

#include <stdint.h>

#define FENCE_ROUNDS 21u
/* Far below QEMU's 10 ms fence timer, far above a clear's own time there. */
#define FENCE_PROMPT_NS (5ull * 1000000ull)

struct fence_rounds {
	uint64_t total_ns;
	uint64_t slowest_ns;
	uint32_t slow; /* rounds of FENCE_PROMPT_NS or more */
};

static inline void fence_rounds_add(struct fence_rounds *r, uint64_t took_ns)
{
	r->total_ns += took_ns;
	r->slow += took_ns >= FENCE_PROMPT_NS;
	if (took_ns > r->slowest_ns)
		r->slowest_ns = took_ns;
}

#endif /* VGPU_TOOLS_FENCE_ROUNDS_H */
