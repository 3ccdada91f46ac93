/* SPDX-License-Identifier: MIT */
/*
 * The socket transport (include/vgpu/vgpu_socket.h) for POSIX systems: a
 * Unix socket path or tcp:HOST:PORT.
 *
 * One request/reply pair at a time per connection (a lock serialises
 * them); libvgpu keeps WAITs short by slicing them (wait_slice_ns).
 * Everything the server sends is checked before use; any breach of the
 * framing, or a server that closes or stops answering, fails the call with
 * VGPU_E_TRANSPORT and leaves the connection marked broken, since the
 * stream can no longer be trusted to be in step.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "lock.h"
#include "transport.h"
#include "vgpu/vgpu_socket.h"

/* No call but a WAIT slice takes long; a server silent for this long is gone. */
#define REPLY_TIMEOUT_S 30
#define WAIT_SLICE_NS (50ull * 1000000ull)
/* The request header, the fixed struct and the payload pieces. */
#define MAX_PIECES 6

struct sock_transport {
	struct vgpu_transport base;
	struct vgpu_lock lock;
	int fd;
	int mem_fd;
	uint64_t mem_size; /* bytes of the guest memory file that extents may name */
	uint64_t page_size;
	bool broken;
};

static int fail_why(char *why, size_t why_cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_cap, fmt, ap);
	va_end(ap);
	return VGPU_E_TRANSPORT;
}

static int connect_unix(const char *path, char *why, size_t why_cap)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		fail_why(why, why_cap, "socket path too long: %s", path);
		return -1;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fail_why(why, why_cap, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		fail_why(why, why_cap, "connect %s: %s", path, strerror(errno));
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
		fail_why(why, why_cap, "bad address tcp:%s (want tcp:HOST:PORT)", host_port);
		return -1;
	}
	len = (size_t)(colon - host_port);
	if (host_port[0] == '[' && len >= 2 && host_port[len - 1] == ']') {
		host_port++;
		len -= 2;
	}
	if (len >= sizeof(host)) {
		fail_why(why, why_cap, "host name too long");
		return -1;
	}
	memcpy(host, host_port, len);
	host[len] = '\0';
	err = getaddrinfo(host, colon + 1, &hints, &list);
	if (err) {
		fail_why(why, why_cap, "resolve %s: %s", host, gai_strerror(err));
		return -1;
	}
	for (ai = list; ai && fd < 0; ai = ai->ai_next)
		fd = connect_addrinfo(ai);
	if (fd < 0)
		fail_why(why, why_cap, "connect tcp:%s:%s: %s", host, colon + 1, strerror(errno));
	freeaddrinfo(list);
	return fd;
}

static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = REPLY_TIMEOUT_S };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Keeps the first descriptor passed with a message, closes any other. */
static void take_fds(struct msghdr *msg, int *mem_fd)
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
			if (*mem_fd < 0)
				*mem_fd = fd;
			else
				close(fd);
		}
	}
}

/* The hello, and the guest memory descriptor if one comes with it (else -1). */
static int recv_hello(int fd, struct vgpu_sock_hello *hello, int *mem_fd)
{
	size_t got = 0;

	*mem_fd = -1;
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
		ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		take_fds(&msg, mem_fd);
		if (msg.msg_flags & MSG_CTRUNC)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

static int check_hello(const struct vgpu_sock_hello *hello, char *why, size_t why_cap)
{
	if (hello->magic != VGPU_SOCK_MAGIC)
		return fail_why(why, why_cap, "not a vgpu server (hello magic 0x%08x)",
				hello->magic);
	if (hello->version != VGPU_SOCK_VERSION)
		return fail_why(why, why_cap, "vgpu socket version %u, want %u", hello->version,
				VGPU_SOCK_VERSION);
	if (!memchr(hello->mem_path, '\0', sizeof(hello->mem_path)))
		return fail_why(why, why_cap, "hello: unterminated memory path");
	if (!hello->mem_size)
		return fail_why(why, why_cap, "hello: no guest memory");
	return VGPU_OK;
}

/* The guest memory file: the passed descriptor, or the file the hello names. */
static int open_memory(struct sock_transport *s, const struct vgpu_sock_hello *hello,
		       int passed_fd, char *why, size_t why_cap)
{
	struct stat st;

	s->mem_fd = passed_fd;
	if (s->mem_fd < 0) {
		if (!hello->mem_path[0])
			return fail_why(why, why_cap, "hello: no memory descriptor nor path");
		s->mem_fd = open(hello->mem_path, O_RDWR | O_CLOEXEC);
		if (s->mem_fd < 0)
			return fail_why(why, why_cap, "open %s: %s", hello->mem_path,
					strerror(errno));
	}
	if (fstat(s->mem_fd, &st) < 0)
		return fail_why(why, why_cap, "guest memory: %s", strerror(errno));
	/* Extents must lie inside both what the server claims and what the file holds. */
	s->mem_size = hello->mem_size;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < s->mem_size)
		s->mem_size = (uint64_t)st.st_size;
	return VGPU_OK;
}

static bool recv_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* sendmsg rather than writev: the same gather, but a closed peer cannot raise SIGPIPE. */
static bool send_all(int fd, struct iovec *iov, int iovcnt)
{
	while (iovcnt > 0) {
		struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)iovcnt };
		ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return true;
}

static void add_iov(struct iovec *iov, int *count, const void *base, size_t len)
{
	if (!len)
		return;
	iov[*count].iov_base = (void *)base;
	iov[*count].iov_len = len;
	(*count)++;
}

static int send_request(struct sock_transport *s, const struct vgpu_call *call)
{
	uint32_t method = VGPU_CTL_METHOD(call->code);
	struct vgpu_sock_request req = {
		.magic = VGPU_SOCK_MAGIC,
		.code = call->code,
		.in_size = call->fixed_size,
	};
	struct iovec iov[MAX_PIECES];
	uint64_t payload = 0;
	int count = 0;
	uint32_t i;

	if (call->fixed_size > VGPU_SOCK_MAX_FIXED || call->num_pieces > MAX_PIECES - 2 ||
	    (call->num_pieces && method != VGPU_METHOD_IN_DIRECT))
		return VGPU_E_INVALID;
	for (i = 0; i < call->num_pieces; i++)
		payload += call->payload_in[i].len;
	if (method == VGPU_METHOD_OUT_DIRECT)
		payload = call->payload_out_cap;
	if (payload > UINT32_MAX)
		return VGPU_E_INVALID;
	req.payload_size = (uint32_t)payload;
	add_iov(iov, &count, &req, sizeof(req));
	add_iov(iov, &count, call->fixed, call->fixed_size);
	for (i = 0; i < call->num_pieces; i++)
		add_iov(iov, &count, call->payload_in[i].base, call->payload_in[i].len);
	return send_all(s->fd, iov, count) ? VGPU_OK : VGPU_E_TRANSPORT;
}

static uint64_t round_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) / align * align;
}

static bool extent_ok(const struct sock_transport *s, const struct vgpu_sock_extent *e)
{
	return e->len && e->offset % s->page_size == 0 && e->len % s->page_size == 0 &&
	       e->offset <= s->mem_size && e->len <= s->mem_size - e->offset;
}

/*
 * Reads the extents of a MAP reply and checks them against the memory file
 * and the mapping size.  Returns them (to free), or NULL on a breach.
 */
static struct vgpu_sock_extent *recv_extents(struct sock_transport *s, uint32_t count,
					     uint64_t map_size)
{
	uint64_t max_count = VGPU_MAX_RESOURCE_BYTES / s->page_size;
	struct vgpu_sock_extent *ext;
	uint64_t total = 0;
	uint32_t i;

	if (!count || count > max_count || !map_size || map_size > VGPU_MAX_RESOURCE_BYTES)
		return NULL;
	ext = calloc(count, sizeof(*ext));
	if (!ext)
		return NULL;
	for (i = 0; i < count; i++) {
		if (!recv_all(s->fd, &ext[i], sizeof(ext[i])) || !extent_ok(s, &ext[i]))
			break;
		total += ext[i].len;
		if (total > round_up(map_size, s->page_size))
			break;
	}
	if (i < count || total != round_up(map_size, s->page_size)) {
		free(ext);
		return NULL;
	}
	return ext;
}

/* One reservation, then each extent of the memory file in order inside it. */
static int map_extents(struct sock_transport *s, const struct vgpu_sock_extent *ext,
		       uint32_t count, struct vgpu_resource_map *m)
{
	uint64_t total = round_up(m->size, s->page_size);
	uint64_t pos = 0;
	char *base;
	uint32_t i;

	base = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return VGPU_E_NO_MEMORY;
	for (i = 0; i < count; i++) {
		void *at = mmap(base + pos, ext[i].len, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_FIXED, s->mem_fd, (off_t)ext[i].offset);

		if (at == MAP_FAILED) {
			munmap(base, total);
			return VGPU_E_NO_MEMORY;
		}
		pos += ext[i].len;
	}
	m->address = (uint64_t)(uintptr_t)base;
	return VGPU_OK;
}

static int recv_mapping(struct sock_transport *s, struct vgpu_call *call, uint32_t count)
{
	struct vgpu_resource_map *m = call->fixed;
	struct vgpu_sock_extent *ext;
	int status;

	if (call->fixed_size != sizeof(*m))
		return VGPU_E_TRANSPORT;
	ext = recv_extents(s, count, m->size);
	if (!ext)
		return VGPU_E_TRANSPORT;
	status = map_extents(s, ext, count, m);
	free(ext);
	return status;
}

static bool status_known(int32_t status)
{
	return status <= VGPU_OK && status > VGPU_E_TRANSPORT;
}

/*
 * Reads one reply into the call.  Returns the server's status, or
 * VGPU_E_TRANSPORT with *broken set when the reply breaks the framing.
 */
static int recv_reply(struct sock_transport *s, struct vgpu_call *call, bool *broken)
{
	bool out_direct = VGPU_CTL_METHOD(call->code) == VGPU_METHOD_OUT_DIRECT;
	struct vgpu_sock_reply rep;
	bool mapping;
	int status;

	*broken = true;
	if (!recv_all(s->fd, &rep, sizeof(rep)) || rep.magic != VGPU_SOCK_MAGIC ||
	    !status_known(rep.status) || rep.out_size > call->fixed_size ||
	    rep.payload_size > (out_direct ? call->payload_out_cap : 0))
		return VGPU_E_TRANSPORT;
	mapping = call->code == VGPU_IOCTL_RESOURCE_MAP && rep.status == VGPU_OK;
	if ((rep.num_extents != 0) != mapping)
		return VGPU_E_TRANSPORT;
	if (!recv_all(s->fd, call->fixed, rep.out_size) ||
	    !recv_all(s->fd, call->payload_out, rep.payload_size))
		return VGPU_E_TRANSPORT;
	call->payload_written = rep.payload_size;
	status = mapping ? recv_mapping(s, call, rep.num_extents) : rep.status;
	*broken = status == VGPU_E_TRANSPORT;
	return status;
}

static int sock_call(struct vgpu_transport *base, struct vgpu_call *call)
{
	struct sock_transport *s = (struct sock_transport *)base;
	bool broken = false;
	int status;

	call->payload_written = 0;
	vgpu_lock_take(&s->lock);
	if (s->broken) {
		status = VGPU_E_TRANSPORT;
	} else {
		status = send_request(s, call);
		if (status == VGPU_E_TRANSPORT)
			broken = true;
		else if (status == VGPU_OK)
			status = recv_reply(s, call, &broken);
		s->broken = broken;
	}
	vgpu_lock_release(&s->lock);
	return status;
}

static void sock_unmap_view(struct vgpu_transport *base, void *address, uint64_t size)
{
	struct sock_transport *s = (struct sock_transport *)base;

	munmap(address, round_up(size, s->page_size));
}

static void sock_close(struct vgpu_transport *base)
{
	struct sock_transport *s = (struct sock_transport *)base;

	if (s->mem_fd >= 0)
		close(s->mem_fd);
	close(s->fd);
	vgpu_lock_fini(&s->lock);
	free(s);
}

static const struct vgpu_transport_ops sock_ops = {
	.call = sock_call,
	.unmap_view = sock_unmap_view,
	.close = sock_close,
};

static int greet(struct sock_transport *s, char *why, size_t why_cap)
{
	struct vgpu_sock_hello hello;
	int passed_fd, status;

	set_timeouts(s->fd);
	if (recv_hello(s->fd, &hello, &passed_fd) < 0)
		status = fail_why(why, why_cap, "no hello from the server");
	else
		status = check_hello(&hello, why, why_cap);
	if (status != VGPU_OK) {
		if (passed_fd >= 0)
			close(passed_fd);
		return status;
	}
	return open_memory(s, &hello, passed_fd, why, why_cap);
}

int vgpu_transport_socket_open(const char *address, struct vgpu_transport **out, char *why,
			       size_t why_cap)
{
	struct sock_transport *s = calloc(1, sizeof(*s));
	int status;

	if (!s)
		return VGPU_E_NO_MEMORY;
	s->base.ops = &sock_ops;
	s->base.wait_slice_ns = WAIT_SLICE_NS;
	s->mem_fd = -1;
	s->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	vgpu_lock_init(&s->lock);
	if (strncmp(address, "tcp:", 4) == 0)
		s->fd = connect_tcp(address + 4, why, why_cap);
	else
		s->fd = connect_unix(address, why, why_cap);
	if (s->fd < 0) {
		vgpu_lock_fini(&s->lock);
		free(s);
		return VGPU_E_TRANSPORT;
	}
	status = greet(s, why, why_cap);
	if (status != VGPU_OK) {
		sock_close(&s->base);
		return status;
	}
	*out = &s->base;
	return VGPU_OK;
}
