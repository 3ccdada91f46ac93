/* SPDX-License-Identifier: MIT */
/*
 * Unix socket servers that break off, for libvgpu's stream to Unix sockets
 * under Wine (test_wine_unix.exe): at DIR/close.sock each connection is
 * closed at once; at DIR/hello.sock it gets a valid hello naming a file
 * of this program's (DIR/memory, 1 MiB) and is closed once the first
 * request's header has arrived.  Prints "ready" when both listen; runs
 * until killed.
 *   unix-peer DIR
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vgpu/vgpu_socket.h"

#define MEMORY_BYTES (1u << 20)

static int listen_at(const char *dir, const char *name)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s", dir, name) >=
			      (int)sizeof(addr.sun_path))
		return -1;
	unlink(addr.sun_path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 8) < 0)
		return -1;
	return fd;
}

static void serve_hello(int conn, const struct vgpu_sock_hello *hello)
{
	struct vgpu_sock_request req;
	size_t got = 0;

	if (send(conn, hello, sizeof(*hello), MSG_NOSIGNAL) != (ssize_t)sizeof(*hello))
		return;
	while (got < sizeof(req)) {
		ssize_t n = recv(conn, (char *)&req + got, sizeof(req) - got, 0);

		if (n <= 0)
			return;
		got += (size_t)n;
	}
}

int main(int argc, char **argv)
{
	struct vgpu_sock_hello hello = {
		.magic = VGPU_SOCK_MAGIC,
		.version = VGPU_SOCK_VERSION,
		.mem_size = MEMORY_BYTES,
	};
	struct pollfd fds[2];
	int mem;

	if (argc != 2) {
		fprintf(stderr, "usage: unix-peer DIR\n");
		return 2;
	}
	snprintf(hello.mem_path, sizeof(hello.mem_path), "%s/memory", argv[1]);
	mem = open(hello.mem_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	fds[0] = (struct pollfd){ .fd = listen_at(argv[1], "close.sock"), .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = listen_at(argv[1], "hello.sock"), .events = POLLIN };
	if (mem < 0 || ftruncate(mem, MEMORY_BYTES) < 0 || fds[0].fd < 0 || fds[1].fd < 0) {
		perror("unix-peer");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		if (poll(fds, 2, -1) < 0)
			continue;
		for (int i = 0; i < 2; i++) {
			int conn;

			if (!(fds[i].revents & POLLIN))
				continue;
			conn = accept4(fds[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (conn < 0)
				continue;
			if (i == 1)
				serve_hello(conn, &hello);
			close(conn);
		}
	}
}
