// SPDX-License-Identifier: MIT
/* Starting, watching and stopping the vhost-user backend process. */
#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The descriptor number the backend finds its socket at. */
#define BACKEND_FD 3
/* How long a backend gets to leave on its own, then after SIGTERM. */
#define GRACE_MS 1000

/* Runs in the forked child: only async-signal-safe calls from here on. */
static void exec_backend(const char *path, int sock, pid_t parent)
{
	char *const argv[] = { (char *)path, "--virgl", "--render-node=/dev/null", "--fd=3",
			       NULL };
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

int backend_spawn(const char *path, struct backend *backend)
{
	pid_t parent = getpid();
	int sv[2];

	if (!path || !backend)
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
		exec_backend(path, sv[1], parent);
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
