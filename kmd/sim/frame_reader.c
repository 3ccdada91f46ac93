/* SPDX-License-Identifier: MIT */
#include "frame_reader.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

void frame_reader_init(struct frame_reader *r, int fd, int stall_ms)
{
	r->fd = fd;
	r->stall_ms = stall_ms;
	r->at = 0;
	r->len = 0;
}

bool frame_reader_has_bytes(const struct frame_reader *r)
{
	return r->at < r->len;
}

static bool readable_within(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n;

	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	return n == 1;
}

/*
 * One receive of up to `cap` bytes.  Inside a frame the bytes have usually
 * arrived, so the receive is tried first and the poll (with the stall
 * limit) comes only when it finds nothing; between frames the receive
 * itself blocks.
 */
static size_t receive(struct frame_reader *r, void *dst, size_t cap, bool in_frame)
{
	for (;;) {
		ssize_t n = recv(r->fd, dst, cap, in_frame ? MSG_DONTWAIT : 0);

		if (n > 0)
			return (size_t)n;
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return 0;
		if (!readable_within(r->fd, in_frame ? r->stall_ms : -1))
			return 0;
	}
}

int frame_reader_read(struct frame_reader *r, void *dst, size_t len, bool in_frame)
{
	uint8_t *p = dst;

	while (len > 0) {
		size_t n;

		if (r->at < r->len) {
			n = r->len - r->at < len ? r->len - r->at : len;
			memcpy(p, r->buf + r->at, n);
			r->at += (uint32_t)n;
		} else if (len >= sizeof(r->buf)) {
			/* A large payload goes where it belongs, not through the buffer. */
			n = receive(r, p, len, in_frame);
			if (!n)
				return -1;
		} else {
			r->at = 0;
			r->len = (uint32_t)receive(r, r->buf, sizeof(r->buf), in_frame);
			if (!r->len)
				return -1;
			continue;
		}
		in_frame = true;
		p += n;
		len -= n;
	}
	return 0;
}
