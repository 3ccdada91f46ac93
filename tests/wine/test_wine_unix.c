/* SPDX-License-Identifier: MIT */
/*
 * libvgpu's stream to a Unix socket under Wine (umd/libvgpu/wine_unix.c),
 * against servers that break off (unix_peer.c, started by the runner in
 * the directory VGPU_TEST_PEER_DIR names, a Linux path) and against
 * addresses that cannot work: each open fails with VGPU_E_TRANSPORT and a
 * line that says why, and none hangs.  Its working path, to the sim, is
 * test_libvgpu_sim's and every GL program's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libvgpu.h"
#include "tap.h"

static const char *peer_dir;

/* Opening `address` fails with a transport error whose line holds `why`. */
static void check_refused(const char *address, const char *why)
{
	struct vgpu_dev *dev = NULL;
	int status = vgpu_open_socket(address, &dev);

	CHECK_EQ(status, VGPU_E_TRANSPORT);
	CHECK(dev == NULL);
	printf("# %s: %s\n", address, vgpu_open_error());
	CHECK(strstr(vgpu_open_error(), why) != NULL);
}

static void peer_path(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", peer_dir, name);
}

static void test_peer_closes_at_once(void)
{
	char path[300];

	peer_path(path, sizeof(path), "close.sock");
	check_refused(path, "no hello");
}

/* The hello passes and its file opens; the peer closes on the first request. */
static void test_peer_closes_after_hello(void)
{
	char path[300];

	peer_path(path, sizeof(path), "hello.sock");
	check_refused(path, "GET_INFO failed");
}

static void test_no_server(void)
{
	char path[300];

	peer_path(path, sizeof(path), "absent.sock");
	check_refused(path, "no such file");
	/* A file, not a socket. */
	peer_path(path, sizeof(path), "memory");
	check_refused(path, "connection refused");
}

static void test_unusable_addresses(void)
{
	char long_path[200];

	check_refused("sim.sock", "tcp:HOST:PORT");
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = '\0';
	check_refused(long_path, "absolute Unix socket path");
}

int main(void)
{
	peer_dir = getenv("VGPU_TEST_PEER_DIR");
	if (!peer_dir || peer_dir[0] != '/') {
		printf("# VGPU_TEST_PEER_DIR must name unix-peer's directory\n");
		return 1;
	}
	RUN(test_peer_closes_at_once);
	RUN(test_peer_closes_after_hello);
	RUN(test_no_server);
	RUN(test_unusable_addresses);
	return tap_done();
}
