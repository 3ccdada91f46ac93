/* SPDX-License-Identifier: MIT */
/*
 * vhost-user message framing.  A message is a 12-byte header {request,
 * flags, size} and `size` bytes of payload, in host byte order; descriptors
 * ride along as SCM_RIGHTS on the first byte.  A reply's descriptors are
 * kept only when the caller asked for them (vhost_user_query_fds).
 */
#include "vhost_user.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "scm_rights.h"

#define FLAG_VERSION 0x1u
#define FLAG_VERSION_MASK 0x3u
#define FLAG_REPLY 0x4u
#define FLAG_NEED_REPLY 0x8u

/* Largest payload we send or accept: the memory table. */
#define MAX_PAYLOAD ((uint32_t)sizeof(struct vhost_user_mem_table))

struct msg_header {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
};

void vhost_user_init(struct vhost_user *vu, int fd, int timeout_ms)
{
	vu->fd = fd;
	vu->timeout_ms = timeout_ms;
	vu->reply_ack = false;
	vu->broken = fd < 0;
	pthread_mutex_init(&vu->lock, NULL);
}

void vhost_user_fini(struct vhost_user *vu)
{
	pthread_mutex_destroy(&vu->lock);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until the socket is ready for `events`, at most until `deadline`. */
static int wait_ready(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		int64_t left = deadline - now_ms();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -EPIPE;
		if (n == 0)
			return -ETIMEDOUT;
		if (pfd.revents & events)
			return 0;
		return -EPIPE; /* POLLHUP / POLLERR without data */
	}
}

static int send_all(int fd, struct iovec *iov, int iovcnt, const int *fds, unsigned nfds,
		    int64_t deadline)
{
	union scm_rights_buf cbuf;

	while (iovcnt > 0) {
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)iovcnt };
		ssize_t n;
		int err;

		if (scm_rights_attach(&mh, &cbuf, fds, nfds) != 0)
			return -EINVAL;
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			err = wait_ready(fd, POLLOUT, deadline);
			if (err)
				return err;
			continue;
		}
		if (n < 0)
			return -EPIPE;
		nfds = 0; /* descriptors went with the first byte */
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
	return 0;
}

/* Descriptors a reply carries: kept up to `max`, the others closed. */
struct fd_sink {
	int *fds;
	unsigned max;
	unsigned n;
};

static void close_sink(struct fd_sink *sink)
{
	for (unsigned i = 0; sink && i < sink->n; i++)
		close(sink->fds[i]);
	if (sink)
		sink->n = 0;
}

/* Descriptors that come without a sink are closed: nothing asked for them. */
static int recv_all(int fd, void *buf, size_t len, int64_t deadline, struct fd_sink *sink)
{
	union scm_rights_buf cbuf;
	char *p = buf;

	while (len > 0) {
		struct iovec iov = { .iov_base = p, .iov_len = len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;
		int err = wait_ready(fd, POLLIN, deadline);

		if (err)
			return err;
		scm_rights_prepare(&mh, &cbuf);
		n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n <= 0)
			return -EPIPE;
		if (sink)
			scm_rights_take(&mh, sink->fds, sink->max, &sink->n);
		else
			scm_rights_take(&mh, NULL, 0, NULL);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_request(struct vhost_user *vu, uint32_t request, uint32_t flags,
			const void *payload, uint32_t size, const int *fds, unsigned nfds,
			int64_t deadline)
{
	struct msg_header hdr = { .request = request, .flags = FLAG_VERSION | flags, .size = size };
	struct iovec iov[2] = {
		{ .iov_base = &hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)payload, .iov_len = size },
	};

	return send_all(vu->fd, iov, size ? 2 : 1, fds, nfds, deadline);
}

/* Read the reply to `request` and check it is exactly what was asked for. */
static int recv_reply(struct vhost_user *vu, uint32_t request, void *reply, uint32_t reply_size,
		      int64_t deadline, struct fd_sink *sink)
{
	struct msg_header hdr;
	int err = recv_all(vu->fd, &hdr, sizeof(hdr), deadline, sink);

	if (err)
		return err;
	if (hdr.request != request || (hdr.flags & FLAG_VERSION_MASK) != FLAG_VERSION ||
	    !(hdr.flags & FLAG_REPLY) || hdr.size != reply_size)
		return -EPROTO;
	return recv_all(vu->fd, reply, reply_size, deadline, sink);
}

static int call_locked(struct vhost_user *vu, uint32_t request, const void *payload, uint32_t size,
		       const int *fds, unsigned nfds, void *reply, uint32_t reply_size,
		       struct fd_sink *sink)
{
	int64_t deadline = now_ms() + vu->timeout_ms;
	bool want_ack = !reply && vu->reply_ack;
	uint64_t ack;
	int err;

	err = send_request(vu, request, want_ack ? FLAG_NEED_REPLY : 0, payload, size, fds, nfds,
			   deadline);
	if (err)
		return err;
	if (reply)
		return recv_reply(vu, request, reply, reply_size, deadline, sink);
	if (!want_ack)
		return 0;
	err = recv_reply(vu, request, &ack, sizeof(ack), deadline, NULL);
	if (err)
		return err;
	return ack == 0 ? 0 : -EPROTO;
}

static int call(struct vhost_user *vu, uint32_t request, const void *payload, uint32_t size,
		const int *fds, unsigned nfds, void *reply, uint32_t reply_size,
		struct fd_sink *sink)
{
	int err;

	if (!vu || size > MAX_PAYLOAD || (size && !payload) || nfds > VHOST_USER_MAX_FDS ||
	    (nfds && !fds) || (reply && reply_size > MAX_PAYLOAD))
		return -EINVAL;
	pthread_mutex_lock(&vu->lock);
	if (vu->broken) {
		err = -EPIPE;
	} else {
		err = call_locked(vu, request, payload, size, fds, nfds, reply, reply_size, sink);
		/* After a partial exchange the stream can no longer be trusted. */
		if (err)
			vu->broken = true;
	}
	pthread_mutex_unlock(&vu->lock);
	if (err)
		close_sink(sink);
	return err;
}

int vhost_user_call(struct vhost_user *vu, uint32_t request, const void *payload, uint32_t size,
		    const int *fds, unsigned nfds, void *reply, uint32_t reply_size)
{
	return call(vu, request, payload, size, fds, nfds, reply, reply_size, NULL);
}

int vhost_user_query_fds(struct vhost_user *vu, uint32_t request, void *reply, uint32_t reply_size,
			 int *fds, unsigned max_fds, unsigned *nfds)
{
	struct fd_sink sink = { .fds = fds, .max = max_fds };
	int err;

	if (!reply || !reply_size || !nfds || (max_fds && !fds) || max_fds > VHOST_USER_MAX_FDS)
		return -EINVAL;
	err = call(vu, request, NULL, 0, NULL, 0, reply, reply_size, &sink);
	*nfds = sink.n;
	return err;
}

int vhost_user_get_u64(struct vhost_user *vu, uint32_t request, uint64_t *value)
{
	return vhost_user_call(vu, request, NULL, 0, NULL, 0, value, sizeof(*value));
}

int vhost_user_set_u64(struct vhost_user *vu, uint32_t request, uint64_t value)
{
	return vhost_user_call(vu, request, &value, sizeof(value), NULL, 0, NULL, 0);
}

int vhost_user_set_state(struct vhost_user *vu, uint32_t request, uint32_t index, uint32_t num)
{
	struct vhost_user_vring_state state = { .index = index, .num = num };

	return vhost_user_call(vu, request, &state, sizeof(state), NULL, 0, NULL, 0);
}

void vhost_user_enable_reply_ack(struct vhost_user *vu)
{
	pthread_mutex_lock(&vu->lock);
	vu->reply_ack = true;
	pthread_mutex_unlock(&vu->lock);
}

bool vhost_user_is_broken(struct vhost_user *vu)
{
	bool broken;

	pthread_mutex_lock(&vu->lock);
	broken = vu->broken;
	pthread_mutex_unlock(&vu->lock);
	return broken;
}
