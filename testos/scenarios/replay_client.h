/* SPDX-License-Identifier: MIT */
/*
 * The replay scenario: the calls a client made against the sim (its
 * capture, docs/replay.md) run again through vgpu_file_ioctl against this
 * guest's device by the shared engine (lib/replay), and every frame the
 * client read back compared by hash with what the sim's device produced.
 */
#ifndef TESTOS_SCENARIOS_REPLAY_CLIENT_H
#define TESTOS_SCENARIOS_REPLAY_CLIENT_H

#include <stdint.h>

struct testos_gpu;

/*
 * Replay the capture in [bytes, bytes + len) in a new opened file on a
 * freshly started device; the cases it reports are replay_capture's
 * (lib/replay/replay.h).
 */
void replay_client_capture(struct testos_gpu *gpu, const char *label, const void *bytes,
			   uint32_t len);

#endif /* TESTOS_SCENARIOS_REPLAY_CLIENT_H */
