/* SPDX-License-Identifier: MIT */
/*
 * Runs a private vgpu-sim for one program (a test, or vgpu-bench): starts the binary named by
 * $VGPU_SIM on a socket in a fresh temporary directory, waits (bounded)
 * for its "vgpu-sim: ready on PATH" line, points $VGPU_SOCKET at it, and
 * stops it at the end: SIGTERM, a bounded wait, then SIGKILL.  The sim's
 * stderr goes straight to ours; its stdout is kept in a file and replayed
 * as diagnostics when it stops.  If the test program dies, the kernel
 * sends the sim SIGTERM (parent-death signal), so no sim outlives a test;
 * if it returns without stopping the sim, an exit handler does.  One sim
 * per program.
 */
#ifndef VGPU_TOOLS_SIM_HARNESS_H
#define VGPU_TOOLS_SIM_HARNESS_H

#include <stdbool.h>

#define SIM_READY_TIMEOUT_MS 20000
#define SIM_STOP_TIMEOUT_MS 5000

/*
 * Start the sim and wait until it is ready; sets VGPU_SOCKET.  Returns 0,
 * or -1 after printing why (as TAP diagnostics) and cleaning up.
 */
int sim_start(void);

/* Whether the sim is still running (it has not exited on its own). */
bool sim_alive(void);

/* The sim's socket path ("" when not running). */
const char *sim_socket_path(void);

/*
 * Stop the sim and remove its files.  Returns 0 when the sim was still
 * running and left cleanly on SIGTERM (exit status 0, or killed by that
 * SIGTERM); -1 when it had died before, crashed, or needed SIGKILL.
 * Does nothing (returns 0) in a forked child or when not running.
 */
int sim_stop(void);

#endif /* VGPU_TOOLS_SIM_HARNESS_H */
