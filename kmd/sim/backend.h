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

#define BACKEND_DEFAULT_PATH "/usr/lib/qemu/vhost-user-gpu"

struct backend {
	pid_t pid;
	int sock;	/* our end of the vhost-user connection */
	bool reaped;
	int status;	/* wait status once reaped */
};

/*
 * Start `path --virgl --render-node=/dev/null --fd=N`.  Its stdout goes to
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
