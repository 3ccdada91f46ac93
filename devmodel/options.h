/* SPDX-License-Identifier: MIT */
/* vgpu-devmodel's command line. */
#ifndef VGPU_DEVMODEL_OPTIONS_H
#define VGPU_DEVMODEL_OPTIONS_H

#include "faults.h"
#include "gpu_device.h"

struct devmodel_options {
	int fd;                  /* --fd: a connected socket; -1 if none */
	const char *socket_path; /* --socket-path: listen there for one front-end */
	struct gpu_options gpu;
	struct faults faults;
};

/*
 * Fill `opts` from argv and $VGPU_DEVMODEL_FAULTS.  Returns 0 to run, 1
 * when help was printed, -1 after printing what is wrong.
 */
int devmodel_parse_options(int argc, char **argv, struct devmodel_options *opts);

#endif /* VGPU_DEVMODEL_OPTIONS_H */
