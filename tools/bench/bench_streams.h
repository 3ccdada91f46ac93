/* SPDX-License-Identifier: MIT */
/*
 * The virgl command streams vgpu-bench submits: a tiny real command for
 * round trips, and streams of NOPs of a chosen size for throughput (the
 * host decodes and skips them, so the cost measured is carrying them).
 */
#ifndef VGPU_BENCH_STREAMS_H
#define VGPU_BENCH_STREAMS_H

#include <stdint.h>

/*
 * Fill buf (cap_dwords) with NOP commands totalling exactly `bytes` bytes.
 * Returns 0, or -1 if bytes is 0, not a multiple of 4 or beyond cap.
 */
int bench_nop_stream(uint32_t *buf, uint32_t cap_dwords, uint32_t bytes);

/*
 * One SET_VIEWPORT_STATE, valid in a fresh context.  Returns its size in
 * bytes, or 0 if cap_dwords is too small.
 */
uint32_t bench_tiny_stream(uint32_t *buf, uint32_t cap_dwords);

#endif /* VGPU_BENCH_STREAMS_H */
