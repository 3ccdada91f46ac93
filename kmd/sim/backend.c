/* SPDX-License-Identifier: MIT */
/* Starting, watching and stopping the vhost-user backend process. */
#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The descriptor number the backend finds its socket at. */
#define BACKEND_FD 3
#define BACKEND_FD_ARG "--fd=3"
/* How long a backend gets to leave on its own, then after SIGTERM. */
#define GRACE_MS 1000
/* Most options a device's program is given (before --fd). */
#define MAX_ARGS 8

/* QEMU's backend needs /dev/null as render node to fall back to software GBM. */
static const char *const qemu_args[] = { "--virgl", "--render-node=/dev/null", NULL };
static const char *const model_args[] = { "--personality=standard", NULL };
static const char *const model_mvisor_args[] = { "--personality=mvisor", NULL };

static const struct backend_device devices[] = {
	{ "qemu", VGPU_PERSONALITY_STANDARD, qemu_args, false },
	{ "model", VGPU_PERSONALITY_STANDARD, model_args, true },
	{ "model-mvisor", VGPU_PERSONALITY_MVISOR, model_mvisor_args, true },
};

const struct backend_device *backend_device_by_name(const char *name)
{
	for (size_t i = 0; name && i < sizeof(devices) / sizeof(devices[0]); i++)
		if (!strcmp(devices[i].name, name))
			return &devices[i];
	return NULL;
}

const char *backend_default_path(const struct backend_device *dev)
{
	static char path[PATH_MAX];
	const char *env = getenv("VGPU_DEVMODEL");
	char *slash;
	ssize_t n;

	if (!dev || !dev->is_model)
		return BACKEND_DEFAULT_PATH;
	if (env && env[0])
		return env;
	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n <= 0)
		return BACKEND_DEVMODEL_NAME;
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (!slash)
		return BACKEND_DEVMODEL_NAME;
	snprintf(slash + 1, sizeof(path) - (size_t)(slash + 1 - path), "%s", BACKEND_DEVMODEL_NAME);
	return path;
}

/* Runs in the forked child: only async-signal-safe calls from here on. */
static void exec_backend(const char *path, char *const *argv, int sock, pid_t parent)
{
	sigset_t none;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(126);
	/* Our signal mask (SIGTERM blocked for the signalfd) must not carry over. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (sock == BACKEND_FD) {
		if (fcntl(sock, F_SETFD, 0) != 0)
			_exit(126);
	} else if (dup2(sock, BACKEND_FD) != BACKEND_FD) {
		_exit(126);
	}
	if (dup2(STDERR_FILENO, STDOUT_FILENO) != STDOUT_FILENO)
		_exit(126);
	execv(path, argv);
	_exit(127);
}

/* argv: path, the device's options, --fd; false if they do not fit. */
static bool build_argv(const char *path, const char *const *args, char **argv)
{
	unsigned n = 0;

	argv[n++] = (char *)path;
	for (; args && *args; args++) {
		if (n >= MAX_ARGS)
			return false;
		argv[n++] = (char *)*args;
	}
	argv[n++] = BACKEND_FD_ARG;
	argv[n] = NULL;
	return true;
}

int backend_spawn(const char *path, struct backend *backend)
{
	return backend_spawn_device(path, &devices[0], backend);
}

int backend_spawn_device(const char *path, const struct backend_device *dev,
			 struct backend *backend)
{
	char *argv[MAX_ARGS + 3];
	pid_t parent = getpid();
	int sv[2];

	if (!path || !dev || !backend || !build_argv(path, dev->args, argv))
		return -EINVAL;
	backend->pid = -1;
	backend->sock = -1;
	backend->reaped = true;
	if (access(path, X_OK) != 0)
		return -errno;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -errno;
	backend->pid = fork();
	if (backend->pid < 0) {
		int err = -errno;

		close(sv[0]);
		close(sv[1]);
		return err;
	}
	if (backend->pid == 0)
		exec_backend(path, argv, sv[1], parent);
	close(sv[1]);
	backend->sock = sv[0];
	backend->reaped = false;
	return 0;
}

bool backend_exited(struct backend *backend)
{
	if (backend->reaped)
		return true;
	if (waitpid(backend->pid, &backend->status, WNOHANG) == backend->pid)
		backend->reaped = true;
	return backend->reaped;
}

static bool wait_exit(struct backend *backend, int ms)
{
	const struct timespec tick = { .tv_nsec = 10 * 1000000 };

	for (int waited = 0; waited < ms; waited += 10) {
		if (backend_exited(backend))
			return true;
		nanosleep(&tick, NULL);
	}
	return backend_exited(backend);
}

void backend_stop(struct backend *backend)
{
	if (backend->sock >= 0) {
		close(backend->sock);
		backend->sock = -1;
	}
	if (backend->reaped)
		return;
	if (wait_exit(backend, GRACE_MS))
		return;
	kill(backend->pid, SIGTERM);
	if (wait_exit(backend, GRACE_MS))
		return;
	kill(backend->pid, SIGKILL);
	if (waitpid(backend->pid, &backend->status, 0) == backend->pid)
		backend->reaped = true;
}

void backend_describe_exit(const struct backend *backend, char *buf, unsigned size)
{
	if (!backend->reaped)
		snprintf(buf, size, "still running");
	else if (backend->pid < 0)
		snprintf(buf, size, "never started");
	else if (WIFEXITED(backend->status) && WEXITSTATUS(backend->status) == 127)
		snprintf(buf, size, "could not be executed");
	else if (WIFEXITED(backend->status))
		snprintf(buf, size, "exit status %d", WEXITSTATUS(backend->status));
	else if (WIFSIGNALED(backend->status))
		snprintf(buf, size, "killed by signal %d", WTERMSIG(backend->status));
	else
		snprintf(buf, size, "ended");
}
