/* SPDX-License-Identifier: MIT */
/* vgpu-sim's command line. */
#ifndef VGPU_SIM_OPTIONS_H
#define VGPU_SIM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "parse_size.h"

#include "backend.h"
#include "os.h"

#define SIM_DEFAULT_SOCKET "/tmp/vgpu-sim.sock"

struct sim_options {
	const char *socket_path;
	int tcp_port; /* -1: no TCP listener; 0: any free port */
	uint64_t mem_size;
	const struct backend_device *device; /* --device, default $VGPU_SIM_DEVICE or qemu */
	const char *backend_path;
	enum vgpu_log_level log_level;
};

/*
 * Fill `opts` from argv and the VGPU_SOCKET environment variable.  Returns
 * 0 to run, 1 when help was printed, -1 after printing what is wrong.
 */
int sim_parse_options(int argc, char **argv, struct sim_options *opts);

#endif /* VGPU_SIM_OPTIONS_H */
