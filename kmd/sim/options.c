// SPDX-License-Identifier: MIT
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
#include "guest_mem.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vgpu-sim [--socket PATH] [--mem SIZE] [--device qemu] [--backend PATH]\n"
		"                [-v]\n"
		"  --socket PATH   where clients connect (default $VGPU_SOCKET or %s)\n"
		"  --mem SIZE      guest memory, e.g. 512M or 1G (default 1G)\n"
		"  --device NAME   the device to drive; only \"qemu\" (QEMU's vhost-user-gpu)\n"
		"  --backend PATH  the vhost-user-gpu program (default %s)\n"
		"  -v              more messages (repeat for debug)\n",
		SIM_DEFAULT_SOCKET, BACKEND_DEFAULT_PATH);
}

bool sim_parse_size(const char *text, uint64_t *size)
{
	unsigned long long value;
	unsigned shift = 0;
	char *end;

	if (!text || !isdigit((unsigned char)text[0]))
		return false;
	errno = 0;
	value = strtoull(text, &end, 10);
	if (errno)
		return false;
	if (*end) {
		const char *units = "KMG";
		const char *unit = strchr(units, toupper((unsigned char)*end));

		if (!unit)
			return false;
		shift = 10u * (unsigned)(unit - units + 1);
		end++;
	}
	if (*end != '\0' || value > (UINT64_MAX >> shift))
		return false;
	*size = (uint64_t)value << shift;
	return true;
}

static int parse_one(int opt, const char *arg, struct sim_options *opts)
{
	switch (opt) {
	case 's':
		opts->socket_path = arg;
		return 0;
	case 'm':
		if (!sim_parse_size(arg, &opts->mem_size) || opts->mem_size < GUEST_MEM_MIN_SIZE ||
		    opts->mem_size > GUEST_MEM_MAX_SIZE) {
			fprintf(stderr, "vgpu-sim: --mem %s: need a size from 1M to 64G\n", arg);
			return -1;
		}
		return 0;
	case 'd':
		if (strcmp(arg, "qemu") != 0) {
			fprintf(stderr, "vgpu-sim: --device %s: unknown device (only \"qemu\")\n",
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
		{ "mem", required_argument, NULL, 'm' },
		{ "device", required_argument, NULL, 'd' },
		{ "backend", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = getenv("VGPU_SOCKET");
	int opt;

	*opts = (struct sim_options){
		.socket_path = env && env[0] ? env : SIM_DEFAULT_SOCKET,
		.mem_size = GUEST_MEM_DEFAULT_SIZE,
		.backend_path = BACKEND_DEFAULT_PATH,
		.log_level = VGPU_LOG_WARN,
	};
	while ((opt = getopt_long(argc, argv, "s:m:d:b:vh", longopts, NULL)) != -1) {
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
	return 0;
}
