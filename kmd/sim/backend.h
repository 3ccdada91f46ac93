/* SPDX-License-Identifier: MIT */
/*
 * The device process: QEMU's vhost-user-gpu backend (or another program
 * taking the same options), started on one end of a socketpair and
 * stopped and reaped at shutdown.
 */
#ifndef VGPU_SIM_BACKEND_H
#define VGPU_SIM_BACKEND_H

#include <stdbool.h>
#include <sys/types.h>

#include "vgpu/vgpu_abi.h"

#define BACKEND_DEFAULT_PATH "/usr/lib/qemu/vhost-user-gpu"
/* The test device model's program, when not $VGPU_DEVMODEL: beside vgpu-sim. */
#define BACKEND_DEVMODEL_NAME "vgpu-devmodel"

/* A device vgpu-sim can drive (--device NAME). */
struct backend_device {
	const char *name;                  /* "qemu", "model", "model-mvisor" */
	enum vgpu_personality personality; /* what the core is told it drives */
	const char *const *args;           /* the program's options before --fd=3 */
	bool is_model;                     /* our test device model, not QEMU's */
};

struct backend {
	pid_t pid;
	int sock; /* our end of the vhost-user connection */
	bool reaped;
	int status; /* wait status once reaped */
};

/* The device called `name`, or NULL. */
const struct backend_device *backend_device_by_name(const char *name);

/*
 * The program to run for `dev` when no --backend was given: QEMU's
 * vhost-user-gpu, or the device model ($VGPU_DEVMODEL, else vgpu-devmodel
 * in vgpu-sim's own directory).  The string lives until the next call.
 */
const char *backend_default_path(const struct backend_device *dev);

/* Start `path` with `dev`'s options and --fd=N; as backend_spawn otherwise. */
int backend_spawn_device(const char *path, const struct backend_device *dev,
			 struct backend *backend);

/*
 * Start `path --virgl --render-node=/dev/null --fd=N` (QEMU's options).  Its stdout goes to
 * our stderr (our stdout belongs to the ready line) and it dies with us.
 * Returns 0, or a negative errno (-ENOENT / -EACCES for a path that cannot
 * be run).
 */
int backend_spawn(const char *path, struct backend *backend);

/* Has the process ended?  Reaps it if so (never blocks). */
bool backend_exited(struct backend *backend);

/*
 * Close the connection (which ends a healthy backend), then escalate to
 * SIGTERM and SIGKILL if it lingers; always reaps.  Safe to call twice.
 */
void backend_stop(struct backend *backend);

/* A short description of how it ended, for messages ("exit status 1"...). */
void backend_describe_exit(const struct backend *backend, char *buf, unsigned size);

#endif /* VGPU_SIM_BACKEND_H */
