/* SPDX-License-Identifier: MIT */
/*
 * The socket channel's OS half for POSIX systems: a Unix socket path
 * (the descriptors of guest memory and of the host-visible region come
 * with the hello) or tcp:HOST:PORT (the client opens the files the hello
 * names), and mmap'd views.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "sock_link.h"

struct sock_link {
	int fd;
	/* By enum vgpu_sock_mem_file; -1 until the hello passes one or open_file opens it. */
	int files[SOCK_LINK_NUM_FILES];
};

static int connect_unix(const char *path, char *why, size_t why_cap)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT, "socket path too long: %s", path);
		return -1;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT, "connect %s: %s", path,
			      strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int connect_addrinfo(const struct addrinfo *ai)
{
	int one = 1;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);

	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		close(fd);
		return -1;
	}
	/* Requests are small and answered one by one: do not let Nagle hold them. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* "HOST:PORT", HOST possibly in brackets (IPv6). */
static int connect_tcp(const char *host_port, char *why, size_t why_cap)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	const char *colon = strrchr(host_port, ':');
	struct addrinfo *list, *ai;
	char host[256];
	size_t len;
	int fd = -1, err;

	if (!colon || colon == host_port || !colon[1]) {
		vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT,
			      "bad address tcp:%s (want tcp:HOST:PORT)", host_port);
		return -1;
	}
	len = (size_t)(colon - host_port);
	if (host_port[0] == '[' && len >= 2 && host_port[len - 1] == ']') {
		host_port++;
		len -= 2;
	}
	if (len >= sizeof(host)) {
		vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT, "host name too long");
		return -1;
	}
	memcpy(host, host_port, len);
	host[len] = '\0';
	err = getaddrinfo(host, colon + 1, &hints, &list);
	if (err) {
		vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT, "resolve %s: %s", host,
			      gai_strerror(err));
		return -1;
	}
	for (ai = list; ai && fd < 0; ai = ai->ai_next)
		fd = connect_addrinfo(ai);
	if (fd < 0)
		vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT, "connect tcp:%s:%s: %s", host,
			      colon + 1, strerror(errno));
	freeaddrinfo(list);
	return fd;
}

static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = SOCK_LINK_REPLY_TIMEOUT_S };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Keeps the descriptors of the files in the order they come, closes any other. */
static void take_fds(struct msghdr *msg, int *files)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t n, i;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (files[0] < 0)
				files[0] = fd;
			else if (files[1] < 0)
				files[1] = fd;
			else
				close(fd);
		}
	}
}

/* The hello, and the descriptors of the files if they come with it. */
static bool recv_hello(struct sock_link *link, struct vgpu_sock_hello *hello)
{
	size_t got = 0;

	while (got < sizeof(*hello)) {
		union {
			char buf[CMSG_SPACE(4 * sizeof(int))];
			struct cmsghdr align;
		} ctrl;
		struct iovec iov = { (char *)hello + got, sizeof(*hello) - got };
		struct msghdr msg = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = ctrl.buf,
			.msg_controllen = sizeof(ctrl.buf),
		};
		ssize_t n = recvmsg(link->fd, &msg, MSG_CMSG_CLOEXEC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		take_fds(&msg, link->files);
		if (msg.msg_flags & MSG_CTRUNC)
			return false;
		got += (size_t)n;
	}
	return true;
}

int sock_link_connect(const char *address, struct vgpu_sock_hello *hello, struct sock_link **out,
		      char *why, size_t why_cap)
{
	struct sock_link *link = calloc(1, sizeof(*link));

	if (!link)
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT, "out of memory");
	link->files[VGPU_SOCK_FILE_GUEST_MEMORY] = -1;
	link->files[VGPU_SOCK_FILE_HOST_VISIBLE] = -1;
	if (strncmp(address, "tcp:", 4) == 0)
		link->fd = connect_tcp(address + 4, why, why_cap);
	else
		link->fd = connect_unix(address, why, why_cap);
	if (link->fd < 0) {
		free(link);
		return VGPU_E_TRANSPORT;
	}
	set_timeouts(link->fd);
	if (!recv_hello(link, hello)) {
		sock_link_close(link);
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT, "no hello from the server");
	}
	*out = link;
	return VGPU_OK;
}

static bool file_known(enum vgpu_sock_mem_file file)
{
	return (unsigned)file < SOCK_LINK_NUM_FILES;
}

int sock_link_open_file(struct sock_link *link, enum vgpu_sock_mem_file file, const char *path,
			uint64_t *usable, char *why, size_t why_cap)
{
	const char *what = file == VGPU_SOCK_FILE_GUEST_MEMORY ? "guest memory" : "host-visible";
	struct stat st;
	int *fd;

	if (!file_known(file) || !path)
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT, "no such server file (%d)",
				     (int)file);
	fd = &link->files[file];
	if (*fd < 0) {
		if (!path[0])
			return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT,
					     "hello: no %s descriptor nor path", what);
		*fd = open(path, O_RDWR | O_CLOEXEC);
		if (*fd < 0)
			return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT, "open %s: %s", path,
					     strerror(errno));
	}
	if (fstat(*fd, &st) < 0)
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT, "%s: %s", what,
				     strerror(errno));
	*usable = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : UINT64_MAX;
	return VGPU_OK;
}

uint64_t sock_link_page_size(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

bool sock_link_recv(struct sock_link *link, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = recv(link->fd, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

size_t sock_link_recv_some(struct sock_link *link, void *buf, size_t cap)
{
	ssize_t n;

	do
		n = recv(link->fd, buf, cap, 0);
	while (n < 0 && errno == EINTR);
	return n > 0 ? (size_t)n : 0;
}

/* sendmsg rather than writev: the same gather, but a closed peer cannot raise SIGPIPE. */
static size_t send_some(void *stream, const struct vgpu_piece *pieces, uint32_t count)
{
	struct iovec iov[SOCK_LINK_MAX_PIECES];
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = count };
	int *fd = stream;
	ssize_t n;
	uint32_t i;

	for (i = 0; i < count; i++)
		iov[i] = (struct iovec){ (void *)pieces[i].base, pieces[i].len };
	do
		n = sendmsg(*fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n > 0 ? (size_t)n : 0;
}

bool sock_link_send(struct sock_link *link, const struct vgpu_piece *pieces, uint32_t count)
{
	return sock_link_send_all(&link->fd, send_some, pieces, count);
}

static uint64_t round_to_pages(uint64_t size)
{
	uint64_t page = sock_link_page_size();

	return (size + page - 1) / page * page;
}

/* One reservation, then each extent of the file in order inside it. */
int sock_link_map(struct sock_link *link, enum vgpu_sock_mem_file file,
		  const struct vgpu_sock_extent *ext, uint32_t count, uint64_t size, void **address)
{
	uint64_t total = round_to_pages(size);
	uint64_t pos = 0;
	char *base;
	uint32_t i;

	if (!file_known(file) || link->files[file] < 0)
		return VGPU_E_INVALID;
	base = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return VGPU_E_NO_MEMORY;
	for (i = 0; i < count; i++) {
		void *at = mmap(base + pos, ext[i].len, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_FIXED, link->files[file], (off_t)ext[i].offset);

		if (at == MAP_FAILED) {
			munmap(base, total);
			return VGPU_E_NO_MEMORY;
		}
		pos += ext[i].len;
	}
	*address = base;
	return VGPU_OK;
}

void sock_link_unmap(struct sock_link *link, void *address, uint64_t size)
{
	(void)link;
	munmap(address, round_to_pages(size));
}

void sock_link_close(struct sock_link *link)
{
	for (unsigned i = 0; i < SOCK_LINK_NUM_FILES; i++)
		if (link->files[i] >= 0)
			close(link->files[i]);
	close(link->fd);
	free(link);
}
