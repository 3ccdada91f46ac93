/* SPDX-License-Identifier: MIT */
/* vgpu-devmodel's command line. */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse_size.h"

#define FAULTS_ENV "VGPU_DEVMODEL_FAULTS"
#define DEFAULT_HOST_VISIBLE (256ull << 20)
#define DEFAULT_MVISOR_MEMORY (1ull << 30)
#define MAX_SIZE (64ull << 30)

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vgpu-devmodel (--fd=N | --socket-path=PATH) [--personality=NAME]\n"
		"                     [--host-visible=SIZE] [--staging] [--memory=SIZE]\n"
		"                     [--fault=SPEC]... [-v]\n"
		"A TEST device model: a virtio-gpu device (vhost-user back-end) on\n"
		"virglrenderer, for tests that no real device here can serve.  Not a product.\n"
		"  --fd=N              a connected vhost-user socket\n"
		"  --socket-path=PATH  listen on PATH and serve one front-end\n"
		"  --personality=NAME  standard (default) or mvisor\n"
		"  --host-visible=SIZE host-visible memory for blobs (default 256M; 0: none)\n"
		"  --staging           Mvisor: set the \"staging\" config byte\n"
		"  --memory=SIZE       Mvisor: the memory_size config field (default 1G)\n"
		"  --fault=SPEC        inject a fault (repeatable; also $%s,\n"
		"                      ';'-separated): ACTION[,cmd=TYPE][,nth=N|,every=N]\n"
		"                      [,resp=TYPE][,ms=MS] with ACTION error, drop, delay or\n"
		"                      die, e.g. error,cmd=SUBMIT_3D,nth=2,resp=ERR_UNSPEC\n"
		"  -v                  log every command\n",
		FAULTS_ENV);
}

/* Sizes as vgpu-sim takes them, within what the model can hold. */
static bool parse_size(const char *text, uint64_t *size)
{
	uint64_t v;

	if (!sim_parse_size(text, &v) || v > MAX_SIZE)
		return false;
	*size = v;
	return true;
}

static bool parse_fd(const char *text, int *fd)
{
	long v;
	char *end;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || *end || !text[0] || v < 0 || v > 65535)
		return false;
	*fd = (int)v;
	return true;
}

static int bad(const char *what, const char *arg)
{
	fprintf(stderr, "vgpu-devmodel: bad %s: %s\n", what, arg);
	return -1;
}

static int parse_one(int opt, const char *arg, struct devmodel_options *o)
{
	switch (opt) {
	case 'f':
		return parse_fd(arg, &o->fd) ? 0 : bad("--fd", arg);
	case 's':
		o->socket_path = arg;
		return 0;
	case 'p':
		if (!strcmp(arg, "standard"))
			o->gpu.personality = GPU_PERSONALITY_STANDARD;
		else if (!strcmp(arg, "mvisor"))
			o->gpu.personality = GPU_PERSONALITY_MVISOR;
		else
			return bad("--personality (standard or mvisor)", arg);
		return 0;
	case 'H':
		return parse_size(arg, &o->gpu.host_visible_size) ? 0 : bad("--host-visible", arg);
	case 'S':
		o->gpu.staging = true;
		return 0;
	case 'm':
		return parse_size(arg, &o->gpu.mvisor_memory_size) ? 0 : bad("--memory", arg);
	case 'F':
		return faults_add(&o->faults, arg) ? 0 : -1;
	case 'v':
		o->gpu.verbose = true;
		return 0;
	default:
		usage(stderr);
		return -1;
	}
}

int devmodel_parse_options(int argc, char **argv, struct devmodel_options *o)
{
	static const struct option longopts[] = {
		{ "fd", required_argument, NULL, 'f' },
		{ "socket-path", required_argument, NULL, 's' },
		{ "personality", required_argument, NULL, 'p' },
		{ "host-visible", required_argument, NULL, 'H' },
		{ "staging", no_argument, NULL, 'S' },
		{ "memory", required_argument, NULL, 'm' },
		{ "fault", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = getenv(FAULTS_ENV);
	int opt;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->gpu.personality = GPU_PERSONALITY_STANDARD;
	o->gpu.host_visible_size = DEFAULT_HOST_VISIBLE;
	o->gpu.mvisor_memory_size = DEFAULT_MVISOR_MEMORY;
	while ((opt = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return 1;
		}
		if (parse_one(opt, optarg, o))
			return -1;
	}
	if (optind != argc || (o->fd < 0) == !o->socket_path) {
		fprintf(stderr, "vgpu-devmodel: need exactly one of --fd and --socket-path\n");
		return -1;
	}
	if (env && env[0] && !faults_add_list(&o->faults, env))
		return -1;
	return 0;
}
