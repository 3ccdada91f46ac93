/* SPDX-License-Identifier: MIT */
/* Command-line parsing for vgpu-sim. */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "conn.h"
#include "guest_mem.h"
#include "server.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vgpu-sim [--socket PATH] [--tcp PORT] [--mem SIZE] [--device NAME]\n"
		"                [--backend PATH] [-v]\n"
		"  --socket PATH   where clients connect (default $VGPU_SOCKET or %s)\n"
		"  --tcp PORT      also accept clients on 127.0.0.1:PORT (0: a free port;\n"
		"                  for programs without Unix sockets, e.g. under Wine)\n"
		"  --mem SIZE      guest memory, e.g. 512M or 1G (default 1G)\n"
		"  --device NAME   the device to drive (default $VGPU_SIM_DEVICE or qemu):\n"
		"                  qemu (QEMU's vhost-user-gpu), model (the TEST device\n"
		"                  model vgpu-devmodel, standard virtio-gpu) or model-mvisor\n"
		"                  (the test device model as Mvisor's virtio-vgpu)\n"
		"  --backend PATH  the device's program (default %s; for the models\n"
		"                  $VGPU_DEVMODEL or vgpu-devmodel beside vgpu-sim)\n"
		"  -v              more messages (repeat for debug)\n"
		"Up to %d clients at once; when full, a new client takes the place of the one\n"
		"idle longest that holds no context.  A client that stalls for %d s inside a\n"
		"request, or does not read its reply, is dropped.  If the device's process\n"
		"dies, every call that needs the device gets DEVICE_LOST, on new connections\n"
		"too, until vgpu-sim is restarted: it does not restart its device.\n",
		SIM_DEFAULT_SOCKET, BACKEND_DEFAULT_PATH, SERVER_MAX_CONNS, CONN_STALL_MS / 1000);
}

static bool parse_port(const char *text, int *port)
{
	unsigned long value;
	char *end;

	if (!text || !isdigit((unsigned char)text[0]))
		return false;
	errno = 0;
	value = strtoul(text, &end, 10);
	if (errno || *end || value > 65535)
		return false;
	*port = (int)value;
	return true;
}

static int parse_one(int opt, const char *arg, struct sim_options *opts)
{
	switch (opt) {
	case 's':
		opts->socket_path = arg;
		return 0;
	case 't':
		if (!parse_port(arg, &opts->tcp_port)) {
			fprintf(stderr, "vgpu-sim: --tcp %s: need a port from 0 to 65535\n", arg);
			return -1;
		}
		return 0;
	case 'm':
		if (!sim_parse_size(arg, &opts->mem_size) || opts->mem_size < GUEST_MEM_MIN_SIZE ||
		    opts->mem_size > GUEST_MEM_MAX_SIZE) {
			fprintf(stderr, "vgpu-sim: --mem %s: need a size from 1M to 64G\n", arg);
			return -1;
		}
		return 0;
	case 'd':
		opts->device = backend_device_by_name(arg);
		if (!opts->device) {
			fprintf(stderr,
				"vgpu-sim: --device %s: unknown device (qemu, model or "
				"model-mvisor)\n",
				arg);
			return -1;
		}
		return 0;
	case 'b':
		opts->backend_path = arg;
		return 0;
	case 'v':
		if (opts->log_level < VGPU_LOG_DEBUG)
			opts->log_level++;
		return 0;
	default:
		usage(stderr);
		return -1;
	}
}

int sim_parse_options(int argc, char **argv, struct sim_options *opts)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "tcp", required_argument, NULL, 't' },
		{ "mem", required_argument, NULL, 'm' },
		{ "device", required_argument, NULL, 'd' },
		{ "backend", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = getenv("VGPU_SOCKET");
	const char *device_env = getenv("VGPU_SIM_DEVICE");
	int opt;

	*opts = (struct sim_options){
		.socket_path = env && env[0] ? env : SIM_DEFAULT_SOCKET,
		.tcp_port = -1,
		.mem_size = GUEST_MEM_DEFAULT_SIZE,
		.log_level = VGPU_LOG_WARN,
	};
	if (parse_one('d', device_env && device_env[0] ? device_env : "qemu", opts) != 0)
		return -1;
	while ((opt = getopt_long(argc, argv, "s:t:m:d:b:vh", longopts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return 1;
		}
		if (parse_one(opt, optarg, opts) != 0)
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "vgpu-sim: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (!opts->backend_path)
		opts->backend_path = backend_default_path(opts->device);
	return 0;
}
