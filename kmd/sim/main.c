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

#include "options.h"
#include "server.h"
#include "sim_device.h"

struct sim {
	struct sim_options opts;
	struct sim_device device;
	struct server server;
	bool serving;
};

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
	const struct sim_device_config cfg = {
		.mem_size = sim->opts.mem_size,
		.device = sim->opts.device,
		.backend_path = sim->opts.backend_path,
		.log_level = sim->opts.log_level,
	};
	struct sim_device *d = &sim->device;
	int err;

	if (sim_device_start(d, &cfg, "vgpu-sim") != 0)
		return -1;
	err = server_start(&sim->server, sim->opts.socket_path, d->dev, d->mem,
			   vut_host_region(&d->transport));
	if (err) {
		fprintf(stderr, "vgpu-sim: cannot listen on %s: %s\n", sim->opts.socket_path,
			strerror(-err));
		return -1;
	}
	sim->serving = true;
	return listen_tcp(sim);
}

static void stop(struct sim *sim)
{
	if (sim->serving)
		server_stop(&sim->server);
	sim_device_stop(&sim->device);
}

static bool reap_lost_backend(struct sim *sim)
{
	char how[64];

	if (!backend_exited(&sim->device.backend))
		return false;
	backend_describe_exit(&sim->device.backend, how, sizeof(how));
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
		if (!reaped && completion_backend_lost(&sim->device.completion))
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
	struct sim sim = { .device = SIM_DEVICE_INIT };
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
