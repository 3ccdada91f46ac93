/* SPDX-License-Identifier: MIT */
/*
 * A private vgpu-sim per program (sim_harness.h).
 */
#include "sim_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SIM_POLL_MS 10
#define SIM_READY_PREFIX "vgpu-sim: ready on "
#define SIM_STDOUT_KEEP 8192

struct sim_harness {
	pid_t pid;         /* 0 when not running */
	pid_t owner;       /* the process that started it: only it may stop it */
	bool exit_handler; /* stop_at_exit registered */
	char dir[256];     /* private temporary directory */
	char socket_path[300];
	char stdout_path[300];
};

static struct sim_harness the_sim;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	const struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void diag(const char *what, const char *detail)
{
	printf("# sim harness: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	fflush(stdout);
}

/* Read up to cap - 1 bytes of the sim's stdout so far, NUL-terminated. */
static size_t read_sim_stdout(const struct sim_harness *h, char *buf, size_t cap)
{
	ssize_t n;
	int fd = open(h->stdout_path, O_RDONLY | O_CLOEXEC);

	buf[0] = '\0';
	if (fd < 0)
		return 0;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	return (size_t)n;
}

static bool sim_reported_ready(const struct sim_harness *h)
{
	char out[SIM_STDOUT_KEEP];
	char want[sizeof(SIM_READY_PREFIX) + sizeof(h->socket_path) + 1];

	snprintf(want, sizeof(want), "%s%s\n", SIM_READY_PREFIX, h->socket_path);
	read_sim_stdout(h, out, sizeof(out));
	return strstr(out, want) != NULL;
}

static void replay_sim_stdout(const struct sim_harness *h)
{
	char out[SIM_STDOUT_KEEP];
	char *line, *save = NULL;

	read_sim_stdout(h, out, sizeof(out));
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		printf("# sim stdout: %s\n", line);
	fflush(stdout);
}

static void remove_files(struct sim_harness *h)
{
	unlink(h->socket_path);
	unlink(h->stdout_path);
	if (h->dir[0])
		rmdir(h->dir);
	h->dir[0] = '\0';
}

static int make_paths(struct sim_harness *h)
{
	const char *tmp = getenv("TMPDIR");
	int n;

	if (!tmp || !tmp[0])
		tmp = "/tmp";
	n = snprintf(h->dir, sizeof(h->dir), "%s/vgpu-test-XXXXXX", tmp);
	if (n < 0 || (size_t)n >= sizeof(h->dir) || !mkdtemp(h->dir)) {
		h->dir[0] = '\0';
		return -1;
	}
	snprintf(h->socket_path, sizeof(h->socket_path), "%s/sim.sock", h->dir);
	snprintf(h->stdout_path, sizeof(h->stdout_path), "%s/sim.out", h->dir);
	/* a Unix socket address holds 107 characters */
	if (strlen(h->socket_path) > 107) {
		remove_files(h);
		return -1;
	}
	return 0;
}

/* In the child: die with the test program, send stdout to the file, become the sim. */
static void exec_sim(const char *exe, const struct sim_harness *h, pid_t parent, int out_fd)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	if (dup2(out_fd, STDOUT_FILENO) < 0)
		_exit(127);
	execl(exe, exe, "--socket", h->socket_path, (char *)NULL);
	fprintf(stderr, "sim harness: cannot run %s: %s\n", exe, strerror(errno));
	_exit(127);
}

static void describe_exit(int status)
{
	char text[64];

	if (WIFEXITED(status))
		snprintf(text, sizeof(text), "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(text, sizeof(text), "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(text, sizeof(text), "wait status 0x%x", status);
	diag("vgpu-sim ended with", text);
}

/* Reap the sim if it has exited; true (and *status) if it has. */
static bool sim_exited(struct sim_harness *h, int *status)
{
	return waitpid(h->pid, status, WNOHANG) == h->pid;
}

static int wait_ready(struct sim_harness *h)
{
	int64_t deadline = now_ms() + SIM_READY_TIMEOUT_MS;
	int status;

	while (!sim_reported_ready(h)) {
		if (sim_exited(h, &status)) {
			h->pid = 0;
			describe_exit(status);
			replay_sim_stdout(h);
			return -1;
		}
		if (now_ms() > deadline) {
			diag("vgpu-sim did not report ready in time", h->socket_path);
			return -1;
		}
		sleep_ms(SIM_POLL_MS);
	}
	return 0;
}

static void stop_at_exit(void)
{
	sim_stop();
}

int sim_start(void)
{
	struct sim_harness *h = &the_sim;
	const char *exe = getenv("VGPU_SIM");
	pid_t parent = getpid();
	int out_fd;

	if (h->pid) {
		diag("a sim is already running", h->socket_path);
		return -1;
	}
	h->owner = 0;
	h->dir[0] = h->socket_path[0] = h->stdout_path[0] = '\0';
	if (!exe || !exe[0]) {
		diag("VGPU_SIM (the vgpu-sim binary) is not set", NULL);
		return -1;
	}
	if (make_paths(h)) {
		diag("cannot create a temporary directory", strerror(errno));
		return -1;
	}
	out_fd = open(h->stdout_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out_fd < 0) {
		diag("cannot create the sim's stdout file", strerror(errno));
		remove_files(h);
		return -1;
	}
	fflush(NULL);
	h->pid = fork();
	if (h->pid == 0)
		exec_sim(exe, h, parent, out_fd);
	close(out_fd);
	if (h->pid < 0) {
		h->pid = 0;
		diag("fork failed", strerror(errno));
		remove_files(h);
		return -1;
	}
	h->owner = parent;
	/* a sim that dies must show as failed checks, not kill the test on a write */
	signal(SIGPIPE, SIG_IGN);
	if (!h->exit_handler)
		h->exit_handler = atexit(stop_at_exit) == 0;
	if (wait_ready(h)) {
		sim_stop();
		return -1;
	}
	setenv("VGPU_SOCKET", h->socket_path, 1);
	return 0;
}

bool sim_alive(void)
{
	struct sim_harness *h = &the_sim;
	int status;

	if (!h->pid)
		return false;
	if (!sim_exited(h, &status))
		return true;
	h->pid = 0;
	describe_exit(status);
	return false;
}

const char *sim_socket_path(void)
{
	return the_sim.pid ? the_sim.socket_path : "";
}

int sim_stop(void)
{
	struct sim_harness *h = &the_sim;
	int64_t deadline = now_ms() + SIM_STOP_TIMEOUT_MS;
	bool clean = false;
	int status = 0;

	if (h->owner != getpid())
		return 0;
	if (!h->pid) {
		remove_files(h);
		return 0;
	}
	if (sim_exited(h, &status)) {
		diag("vgpu-sim had already ended", NULL);
	} else {
		bool exited;

		kill(h->pid, SIGTERM);
		while (!(exited = sim_exited(h, &status)) && now_ms() < deadline)
			sleep_ms(SIM_POLL_MS);
		if (exited) {
			clean = (WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
				(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
		} else {
			diag("vgpu-sim ignored SIGTERM; killing it", NULL);
			kill(h->pid, SIGKILL);
			waitpid(h->pid, &status, 0);
		}
	}
	if (!clean) {
		describe_exit(status);
		replay_sim_stdout(h);
	}
	h->pid = 0;
	remove_files(h);
	return clean ? 0 : -1;
}
