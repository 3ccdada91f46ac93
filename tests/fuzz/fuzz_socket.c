/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the sim's socket framing (kmd/sim/conn.c): the
 * input is everything a client sends on one connection after the hello,
 * served by the sim's own connection code over a socketpair against the
 * kmd core on the fake GPU and fake OS.  One device serves every input,
 * as the sim serves every client: after each connection ends, the device
 * must be back where it started (no context, resource, pinned byte or OS
 * object left) and nothing may have misused the OS table or the device.
 *
 * An input that begins with a JOIN frame runs on a connection joined to
 * another's handle: the harness opens that first connection (served on a
 * thread of its own), asks for its token and writes it into the JOIN, so
 * that the fuzzer need not guess 32 random bytes.  The handle outlives the
 * input's connection until the harness closes the first.
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
#include "stream_io.h"

#define GUEST_MEM_BYTES (4u << 20)
/*
 * The fake GPU answers every command at once, so a command that times out
 * here only means the machine starved this process: the harness's 200 ms
 * then made long runs at low priority fail their checks on commands the
 * close had given up on and the device answered afterwards.
 */
#define COMMAND_TIMEOUT_NS (5000ull * 1000000ull)

/*
 * The client: one thread for the whole run, handed each input in turn (a
 * thread a run cost more than the run itself under ASan: its stacks'
 * mappings and the TLB shootdowns of unmapping them).
 */
struct client {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned posted, done; /* inputs handed over, inputs finished */
	int fd;
	const uint8_t *data;
	size_t size;
};

static struct client client = { .lock = PTHREAD_MUTEX_INITIALIZER,
				.cond = PTHREAD_COND_INITIALIZER };
static struct harness h;
static struct vgpu_file *observer;
static struct guest_mem *mem;
static struct file_shares shares;
static struct resting baseline; /* the OS objects of the device at rest */

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_socket: %s\n", what);
	abort();
}

/* Send the input, then read replies until the server hangs up. */
static void send_input(int fd, const uint8_t *data, size_t size)
{
	uint8_t sink[4096];
	size_t sent = 0;

	while (sent < size) {
		ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		sent += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	while (recv(fd, sink, sizeof(sink), 0) > 0)
		;
}

static void *client_main(void *arg)
{
	struct client *c = arg;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (c->done == c->posted)
			pthread_cond_wait(&c->cond, &c->lock);
		pthread_mutex_unlock(&c->lock);
		send_input(c->fd, c->data, c->size);
		pthread_mutex_lock(&c->lock);
		c->done++;
		pthread_cond_broadcast(&c->cond);
	}
}

static void client_post(int fd, const uint8_t *data, size_t size)
{
	pthread_mutex_lock(&client.lock);
	client.fd = fd;
	client.data = data;
	client.size = size;
	client.posted++;
	pthread_cond_broadcast(&client.cond);
	pthread_mutex_unlock(&client.lock);
}

static void client_wait(void)
{
	pthread_mutex_lock(&client.lock);
	while (client.done != client.posted)
		pthread_cond_wait(&client.cond, &client.lock);
	pthread_mutex_unlock(&client.lock);
}

static void setup(void)
{
	pthread_t thread;

	if (pthread_create(&thread, NULL, client_main, &client) != 0)
		fail("pthread_create");
	if (harness_up(&h, NULL) != VGPU_OK)
		fail("cannot bring the device up");
	vgpu_device_set_command_timeout(h.dev, COMMAND_TIMEOUT_NS);
	observer = harness_open(&h, &h);
	mem = guest_mem_create(GUEST_MEM_BYTES);
	file_shares_init(&shares);
	if (!observer || !mem)
		fail("cannot open the observer or make guest memory");
	baseline = resting_of(&h);
}

static void check_clean(void)
{
	struct vgpu_get_stats s = { 0 };
	struct resting now;

	/*
	 * The fake GPU raises its interrupts on a thread of its own: the last
	 * answers (to the commands the close sent) may not have been taken
	 * yet, and until then their requests count as in flight.
	 */
	fake_gpu_sync_irq(&h.gpu);
	if (call(observer, VGPU_IOCTL_GET_STATS, &s, sizeof(s)) != VGPU_OK)
		fail("GET_STATS failed");
	if (s.open_files != 1 || s.contexts || s.resources || s.backing_bytes ||
	    s.requests_in_flight) {
		fprintf(stderr,
			"fuzz_socket: files %u, contexts %u, resources %u, backing bytes %llu, "
			"requests in flight %u\n",
			(unsigned)s.open_files, (unsigned)s.contexts, (unsigned)s.resources,
			(unsigned long long)s.backing_bytes, (unsigned)s.requests_in_flight);
		fail("objects left after the connection ended");
	}
	now = resting_of(&h);
	if (memcmp(&now, &baseline, sizeof(now)) != 0) {
		fprintf(stderr,
			"fuzz_socket: allocs %lld, dma %lld, backings %lld, maps %lld, locks %lld, "
			"events %lld; at rest %lld, %lld, %lld, %lld, %lld, %lld\n",
			(long long)now.allocs, (long long)now.dma, (long long)now.backings,
			(long long)now.maps, (long long)now.locks, (long long)now.events,
			(long long)baseline.allocs, (long long)baseline.dma,
			(long long)baseline.backings, (long long)baseline.maps,
			(long long)baseline.locks, (long long)baseline.events);
		fail("OS objects left after the connection ended");
	}
	if (h.os.violations || fake_gpu_stats(&h.gpu).violations)
		fail("misuse of the OS table or the device");
}

/* The first connection of a joined input, and the client end the harness speaks on. */
struct host {
	struct conn conn;
	int client_fd;
	pthread_t thread;
};

static bool starts_with_join(const uint8_t *data, size_t size)
{
	struct vgpu_sock_request req;

	if (size < sizeof(req) + sizeof(struct vgpu_sock_join))
		return false;
	memcpy(&req, data, sizeof(req));
	return req.magic == VGPU_SOCK_MAGIC && req.code == VGPU_SOCK_JOIN &&
	       req.in_size == sizeof(struct vgpu_sock_join);
}

/* Open the host connection and write its token into the input's JOIN (a copy). */
static void host_open(struct host *host, uint8_t *input)
{
	const struct vgpu_sock_request req = { VGPU_SOCK_MAGIC, VGPU_SOCK_JOIN_TOKEN,
					       sizeof(struct vgpu_sock_join), 0 };
	struct vgpu_sock_join token = { 0 };
	struct vgpu_sock_hello hello;
	struct vgpu_sock_reply reply;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		fail("socketpair");
	host->conn = (struct conn){ .fd = sv[0], .dev = h.dev, .mem = mem, .shares = &shares };
	host->client_fd = sv[1];
	if (pthread_create(&host->thread, NULL, conn_main, &host->conn) != 0)
		fail("pthread_create");
	if (!stream_recv_all(host->client_fd, &hello, sizeof(hello)) ||
	    !stream_send_all(host->client_fd, &req, sizeof(req)) ||
	    !stream_send_all(host->client_fd, &token, sizeof(token)) ||
	    !stream_recv_all(host->client_fd, &reply, sizeof(reply)))
		fail("the host connection did not answer");
	if (reply.status != VGPU_OK || reply.out_size != sizeof(token) ||
	    !stream_recv_all(host->client_fd, &token, sizeof(token))) {
		fprintf(stderr, "fuzz_socket: JOIN_TOKEN: status %d, %u bytes\n", reply.status,
			reply.out_size);
		fail("the host connection gave no token");
	}
	memcpy(input + sizeof(req), &token, sizeof(token));
}

static void host_close(struct host *host)
{
	shutdown(host->client_fd, SHUT_RDWR);
	pthread_join(host->thread, NULL);
	close(host->client_fd);
	close(host->conn.fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conn conn = { .dev = NULL };
	bool joined = starts_with_join(data, size);
	uint8_t *input = NULL;
	struct host host = { .client_fd = -1 };
	int sv[2];

	if (!h.dev)
		setup();
	if (joined) {
		input = malloc(size);
		if (!input)
			fail("malloc");
		memcpy(input, data, size);
		host_open(&host, input);
		data = input;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		fail("socketpair");
	conn.fd = sv[0];
	conn.dev = h.dev;
	conn.mem = mem;
	conn.shares = &shares;
	client_post(sv[1], data, size);
	conn_main(&conn);
	client_wait();
	close(sv[0]);
	close(sv[1]);
	if (joined)
		host_close(&host);
	free(input);
	check_clean();
	return 0;
}
