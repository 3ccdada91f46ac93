/* SPDX-License-Identifier: MIT */
#include "stream_io.h"

#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>

static bool move_all(int fd, uint8_t *p, size_t len, bool sending)
{
	while (len) {
		ssize_t n = sending ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

bool stream_send_all(int fd, const void *buf, size_t len)
{
	return move_all(fd, (uint8_t *)buf, len, true);
}

bool stream_recv_all(int fd, void *buf, size_t len)
{
	return move_all(fd, buf, len, false);
}
