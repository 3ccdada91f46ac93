/* SPDX-License-Identifier: MIT */
/*
 * vgpu-sim's TCP listener (--tcp), the way in for clients without Unix
 * sockets (Windows programs under Wine): loopback only, the same hello and
 * framing, and libvgpu's tcp: addresses through it.
 * Usage: test_sim_tcp PATH-TO-vgpu-sim
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libvgpu.h"
#include "tap.h"
#include "vgpu/vgpu_socket.h"

#define READY_TIMEOUT_MS 20000

static const char *sim_exe;
static pid_t sim_pid = -1;
static int sim_out = -1;
static char sock_path[108];
static int port = -1;

/* Start the sim with --tcp `tcp_arg`; its stdout comes to sim_out. */
static bool launch(const char *tcp_arg)
{
	int out[2];

	snprintf(sock_path, sizeof(sock_path), "/tmp/vgpu-sim-tcp-%ld.sock", (long)getpid());
	if (pipe2(out, O_CLOEXEC) != 0)
		return false;
	sim_pid = fork();
	if (sim_pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		execl(sim_exe, sim_exe, "--socket", sock_path, "--mem", "64M", "--tcp", tcp_arg,
		      (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	sim_out = out[0];
	return sim_pid > 0;
}

/* One line, newline kept; byte by byte so that nothing of the next line is taken. */
static bool read_line(char *buf, int size)
{
	int used = 0;

	while (used + 1 < size) {
		struct pollfd pfd = { .fd = sim_out, .events = POLLIN };

		if (poll(&pfd, 1, READY_TIMEOUT_MS) != 1 || read(sim_out, buf + used, 1) != 1)
			break;
		if (buf[used++] == '\n')
			break;
	}
	buf[used] = '\0';
	return used > 0 && buf[used - 1] == '\n';
}

static int reap(void)
{
	int status = -1;

	kill(sim_pid, SIGTERM);
	waitpid(sim_pid, &status, 0);
	close(sim_out);
	sim_pid = -1;
	return status;
}

static int connect_loopback(uint32_t addr)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(addr) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static bool recv_full(int fd, void *buf, size_t len)
{
	return recv(fd, buf, len, MSG_WAITALL) == (ssize_t)len;
}

/* The port comes first, then "ready" as the last line, as scripts expect. */
static void test_announces_port(void)
{
	char line[256], want[200];

	CHECK(launch("0"));
	CHECK(read_line(line, sizeof(line)));
	CHECK_EQ(sscanf(line, "vgpu-sim: listening on tcp:127.0.0.1:%d", &port), 1);
	CHECK(port > 0 && port < 65536);
	snprintf(want, sizeof(want), "vgpu-sim: ready on %s\n", sock_path);
	CHECK(read_line(line, sizeof(line)) && strcmp(line, want) == 0);
}

/* Over TCP no descriptor can come with the hello: the client gets the path instead. */
static void test_hello_over_tcp(void)
{
	struct vgpu_sock_hello hello;
	int fd = connect_loopback(INADDR_LOOPBACK);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(recv_full(fd, &hello, sizeof(hello)));
	CHECK_EQ(hello.magic, VGPU_SOCK_MAGIC);
	CHECK_EQ(hello.version, VGPU_SOCK_VERSION);
	CHECK_EQ(hello.mem_size, 64ull << 20);
	CHECK(strncmp(hello.mem_path, "/dev/shm/", 9) == 0);
	CHECK(access(hello.mem_path, R_OK | W_OK) == 0);
	close(fd);
}

/* A malformed frame over TCP ends that connection, not the sim. */
static void test_bad_frame_over_tcp(void)
{
	struct vgpu_sock_request req = { .magic = 0x12345678u };
	struct vgpu_sock_hello hello;
	struct vgpu_sock_reply reply;
	char byte;
	int fd = connect_loopback(INADDR_LOOPBACK);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(recv_full(fd, &hello, sizeof(hello)));
	CHECK(send(fd, &req, sizeof(req), MSG_NOSIGNAL) == sizeof(req));
	CHECK(recv_full(fd, &reply, sizeof(reply)));
	CHECK_EQ(reply.status, VGPU_E_INVALID);
	CHECK_EQ(recv(fd, &byte, 1, 0), 0);
	close(fd);
	CHECK_EQ(waitpid(sim_pid, NULL, WNOHANG), 0);
}

/* libvgpu's tcp: address: GET_INFO at open, and a mapping through the named file. */
static void test_libvgpu_over_tcp(void)
{
	struct vgpu_resource_create rc = {
		.target = 0 /* PIPE_BUFFER */,
		.format = 64 /* R8_UNORM */,
		.bind = 1u << 4 /* vertex buffer */,
		.width = 8192,
		.height = 1,
		.depth = 1,
		.array_size = 1,
		.size = 8192,
	};
	struct vgpu_dev *dev = NULL;
	char address[64];
	void *ptr = NULL;
	uint64_t size = 0;

	snprintf(address, sizeof(address), "tcp:127.0.0.1:%d", port);
	CHECK_EQ(vgpu_open_socket(address, &dev), VGPU_OK);
	if (!dev)
		return;
	CHECK_EQ(vgpu_info(dev)->personality, VGPU_PERSONALITY_STANDARD);
	CHECK_EQ(vgpu_context_create(dev, VGPU_CAPSET_VIRGL2, "test_sim_tcp"), VGPU_OK);
	CHECK_EQ(vgpu_resource_create(dev, &rc), VGPU_OK);
	CHECK_EQ(vgpu_resource_map(dev, rc.handle, &ptr, &size), VGPU_OK);
	CHECK(ptr != NULL && size >= 8192);
	if (ptr)
		memset(ptr, 0x5a, 8192);
	vgpu_close(dev);
}

/* The listener is on loopback only: this host's other addresses are refused. */
static void test_loopback_only(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int probe = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in out = { .sin_family = AF_INET,
				   .sin_port = htons(9),
				   .sin_addr.s_addr = inet_addr("192.0.2.1") };
	int status;

	/* The address this host would send from: a non-loopback one if there is any. */
	CHECK(probe >= 0);
	if (probe < 0)
		return;
	if (connect(probe, (struct sockaddr *)&out, sizeof(out)) == 0 &&
	    getsockname(probe, (struct sockaddr *)&sa, &len) == 0 &&
	    (ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
		int fd = connect_loopback(ntohl(sa.sin_addr.s_addr));

		CHECK(fd < 0);
		if (fd >= 0)
			close(fd);
	} else {
		printf("# no non-loopback address here; only 127.0.0.1 was tried\n");
	}
	close(probe);
	status = reap();

	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_bad_ports(void)
{
	static const char *const bad[] = { "65536", "-1", "http", "" };

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int status;

		CHECK(launch(bad[i]));
		waitpid(sim_pid, &status, 0);
		close(sim_out);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 2);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-TO-vgpu-sim\n", argv[0]);
		return 2;
	}
	sim_exe = argv[1];
	signal(SIGPIPE, SIG_IGN);
	RUN(test_announces_port);
	if (port > 0) {
		RUN(test_hello_over_tcp);
		RUN(test_bad_frame_over_tcp);
		RUN(test_libvgpu_over_tcp);
		RUN(test_loopback_only);
	}
	if (sim_pid > 0)
		reap();
	RUN(test_bad_ports);
	return tap_done();
}
