/* SPDX-License-Identifier: MIT */
/*
 * The replay scenario: the calls a client made against the sim (its
 * capture, docs/replay.md) run again through vgpu_file_ioctl against this
 * guest's device, and every frame the client read back compared by hash
 * with what the sim's device produced.
 */
#ifndef TESTOS_SCENARIOS_REPLAY_H
#define TESTOS_SCENARIOS_REPLAY_H

#include <stdint.h>

struct testos_gpu;

/*
 * Replay the capture in [bytes, bytes + len) on a freshly started device
 * (resource ids must come out as they did in the sim).  Prints the cases
 * replay.LABEL.frame.N (one per read-back), replay.LABEL.frames (at least
 * one frame compared, all equal) and replay.LABEL.capture (the whole
 * capture was well formed and every call succeeded again).
 */
void replay_capture(struct testos_gpu *gpu, const char *label, const void *bytes, uint32_t len);

#endif /* TESTOS_SCENARIOS_REPLAY_H */
