/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the sim's socket framing (kmd/sim/conn.c): the
 * input is everything a client sends on one connection after the hello,
 * served by the sim's own connection code over a socketpair against the
 * kmd core on the fake GPU and fake OS.  One device serves every input,
 * as the sim serves every client: after each connection ends, the device
 * must be back where it started (no context, resource, pinned byte or OS
 * object left) and nothing may have misused the OS table or the device.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "harness.h"
#include "resting.h"

#define GUEST_MEM_BYTES (4u << 20)

struct client {
	int fd;
	const uint8_t *data;
	size_t size;
};

static struct harness h;
static struct vgpu_file *observer;
static struct guest_mem *mem;
static struct resting baseline; /* the OS objects of the device at rest */

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_socket: %s\n", what);
	abort();
}

/* Send the input, then read replies until the server hangs up. */
static void *client_main(void *arg)
{
	struct client *c = arg;
	uint8_t sink[4096];
	size_t sent = 0;

	while (sent < c->size) {
		ssize_t n = send(c->fd, c->data + sent, c->size - sent, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		sent += (size_t)n;
	}
	shutdown(c->fd, SHUT_WR);
	while (recv(c->fd, sink, sizeof(sink), 0) > 0)
		;
	return NULL;
}

static void setup(void)
{
	if (harness_up(&h, NULL) != VGPU_OK)
		fail("cannot bring the device up");
	observer = harness_open(&h, &h);
	mem = guest_mem_create(GUEST_MEM_BYTES);
	if (!observer || !mem)
		fail("cannot open the observer or make guest memory");
	baseline = resting_of(&h);
}

static void check_clean(void)
{
	struct vgpu_get_stats s = { 0 };
	struct resting now;

	if (call(observer, VGPU_IOCTL_GET_STATS, &s, sizeof(s)) != VGPU_OK)
		fail("GET_STATS failed");
	if (s.open_files != 1 || s.contexts || s.resources || s.backing_bytes ||
	    s.requests_in_flight)
		fail("objects left after the connection ended");
	now = resting_of(&h);
	if (memcmp(&now, &baseline, sizeof(now)) != 0)
		fail("OS objects left after the connection ended");
	if (h.os.violations || fake_gpu_stats(&h.gpu).violations)
		fail("misuse of the OS table or the device");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conn conn = { .dev = NULL };
	struct client c = { .data = data, .size = size };
	pthread_t client;
	int sv[2];

	if (!h.dev)
		setup();
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		fail("socketpair");
	conn.fd = sv[0];
	conn.dev = h.dev;
	conn.mem = mem;
	c.fd = sv[1];
	if (pthread_create(&client, NULL, client_main, &c) != 0)
		fail("pthread_create");
	conn_main(&conn);
	pthread_join(client, NULL);
	close(sv[0]);
	close(sv[1]);
	check_clean();
	return 0;
}
