/* SPDX-License-Identifier: MIT */
/*
 * vgpu-sim: the kmd core as a Linux process.  It owns guest memory, starts
 * the device (QEMU's vhost-user-gpu) and serves the IOCTL ABI on a Unix
 * socket (and, with --tcp, on loopback TCP) until SIGINT or SIGTERM.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "backend.h"
#include "completion.h"
#include "guest_mem.h"
#include "options.h"
#include "server.h"
#include "sim_os.h"
#include "vgpu_core.h"
#include "vhost_user_transport.h"

struct sim {
	struct sim_options opts;
	struct guest_mem *mem;
	struct backend backend;
	struct vhost_user_transport transport;
	bool transport_up;
	struct completion completion;
	struct sim_os os;
	struct vgpu_device *dev;
	struct server server;
	bool serving;
};

/* SIGINT/SIGTERM arrive through a descriptor; threads started later inherit the mask. */
static int open_signal_fd(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC);
}

static int start_backend(struct sim *sim)
{
	int err = backend_spawn_device(sim->opts.backend_path, sim->opts.device, &sim->backend);

	if (err) {
		fprintf(stderr, "vgpu-sim: cannot start the device backend %s: %s\n",
			sim->opts.backend_path, strerror(-err));
		return -1;
	}
	err = vut_init(&sim->transport, sim->backend.sock, sim->mem, VUT_DEFAULT_TIMEOUT_MS);
	if (err) {
		fprintf(stderr, "vgpu-sim: transport setup failed: %s\n", strerror(-err));
		return -1;
	}
	sim->transport_up = true;
	err = completion_start(&sim->completion, &sim->transport, sim->backend.sock);
	if (err) {
		fprintf(stderr, "vgpu-sim: cannot start the completion thread: %s\n",
			strerror(-err));
		return -1;
	}
	return 0;
}

static void explain_device_failure(struct sim *sim, int status)
{
	char how[64];

	fprintf(stderr, "vgpu-sim: the device did not come up (status %d)\n", status);
	if (vut_error(&sim->transport)[0])
		fprintf(stderr, "vgpu-sim: %s\n", vut_error(&sim->transport));
	/* A backend that died explains more than the protocol error does. */
	completion_stop(&sim->completion);
	backend_stop(&sim->backend);
	backend_describe_exit(&sim->backend, how, sizeof(how));
	fprintf(stderr, "vgpu-sim: backend %s: %s\n", sim->opts.backend_path, how);
}

/* The limits vgpu.sys sets from the guest's RAM (docs/windows.md), from the host's here. */
static void set_pin_limits(struct sim *sim)
{
	long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
	uint64_t ram = pages > 0 && page_size > 0 ? (uint64_t)pages * (uint64_t)page_size : 0;

	vgpu_device_set_pin_limits(sim->dev, ram / 2, ram / 2 / 4 * 3);
}

static int start_device(struct sim *sim)
{
	int status;

	sim_os_init(&sim->os, sim->mem, vut_host_region(&sim->transport), sim->opts.log_level);
	status = vgpu_device_create(sim_os_table(&sim->os), vut_transport(&sim->transport),
				    sim->opts.device->personality, &sim->dev);
	if (status != VGPU_OK) {
		sim->dev = NULL;
		explain_device_failure(sim, status);
		return -1;
	}
	set_pin_limits(sim);
	/* Completions must reach the device before bring-up waits for its first answer. */
	completion_attach(&sim->completion, sim->dev);
	status = vgpu_device_start(sim->dev);
	if (status != VGPU_OK) {
		explain_device_failure(sim, status);
		return -1;
	}
	return 0;
}

/* Announced before "ready", so that whoever waits for ready knows the port by then. */
static int listen_tcp(struct sim *sim)
{
	uint16_t port;
	int err;

	if (sim->opts.tcp_port < 0)
		return 0;
	err = server_listen_tcp(&sim->server, (uint16_t)sim->opts.tcp_port, &port);
	if (err) {
		fprintf(stderr, "vgpu-sim: cannot listen on 127.0.0.1:%d: %s\n", sim->opts.tcp_port,
			strerror(-err));
		return -1;
	}
	printf("vgpu-sim: listening on tcp:127.0.0.1:%u\n", port);
	return 0;
}

static int start(struct sim *sim)
{
	int err;

	sim->mem = guest_mem_create(sim->opts.mem_size);
	if (!sim->mem) {
		fprintf(stderr, "vgpu-sim: cannot create guest memory: %s\n", strerror(errno));
		return -1;
	}
	if (start_backend(sim) != 0 || start_device(sim) != 0)
		return -1;
	err = server_start(&sim->server, sim->opts.socket_path, sim->dev, sim->mem,
			   vut_host_region(&sim->transport));
	if (err) {
		fprintf(stderr, "vgpu-sim: cannot listen on %s: %s\n", sim->opts.socket_path,
			strerror(-err));
		return -1;
	}
	sim->serving = true;
	return listen_tcp(sim);
}

/* Undo whatever start() got done, in reverse order. */
static void stop(struct sim *sim)
{
	if (sim->serving)
		server_stop(&sim->server);
	/* No interrupt may run into a device being destroyed. */
	completion_stop(&sim->completion);
	if (sim->dev)
		vgpu_device_destroy(sim->dev);
	if (sim->transport_up)
		vut_fini(&sim->transport);
	backend_stop(&sim->backend);
	guest_mem_destroy(sim->mem);
}

/*
 * The device is lost for good: the core's device and every open file are
 * bound to it, so the sim cannot bring up another.  Say how the backend
 * ended once it has, and that only a restart helps.
 */
static bool reap_lost_backend(struct sim *sim)
{
	char how[64];

	if (!backend_exited(&sim->backend))
		return false;
	backend_describe_exit(&sim->backend, how, sizeof(how));
	fprintf(stderr,
		"vgpu-sim: backend %s: %s; the device is lost for good: every client, new "
		"ones too, gets DEVICE_LOST until vgpu-sim is restarted\n",
		sim->opts.backend_path, how);
	return true;
}

static void serve(struct sim *sim, int sig_fd)
{
	/* A negative descriptor (no TCP listener) is ignored by poll. */
	struct pollfd pfds[3] = {
		{ .fd = sig_fd, .events = POLLIN },
		{ .fd = server_listen_fd(&sim->server), .events = POLLIN },
		{ .fd = server_tcp_fd(&sim->server), .events = POLLIN },
	};
	bool reaped = false;

	for (;;) {
		/* Woken once a second to reap a backend that died. */
		if (!reaped && completion_backend_lost(&sim->completion))
			reaped = reap_lost_backend(sim);
		if (poll(pfds, 3, 1000) < 0) {
			if (errno == EINTR)
				continue;
			perror("vgpu-sim: poll");
			return;
		}
		if (pfds[0].revents)
			return;
		for (int i = 1; i < 3; i++)
			if (pfds[i].revents & POLLIN)
				server_accept(&sim->server, pfds[i].fd);
	}
}

int main(int argc, char **argv)
{
	struct sim sim = { .backend = { .pid = -1, .sock = -1, .reaped = true } };
	int sig_fd, parsed, ok;

	parsed = sim_parse_options(argc, argv, &sim.opts);
	if (parsed != 0)
		return parsed > 0 ? 0 : 2;
	sig_fd = open_signal_fd();
	if (sig_fd < 0) {
		perror("vgpu-sim: signals");
		return 1;
	}
	ok = start(&sim) == 0;
	if (ok) {
		printf("vgpu-sim: ready on %s\n", sim.opts.socket_path);
		fflush(stdout);
		serve(&sim, sig_fd);
	}
	stop(&sim);
	close(sig_fd);
	return ok ? 0 : 1;
}
