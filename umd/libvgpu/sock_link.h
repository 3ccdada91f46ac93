/* SPDX-License-Identifier: MIT */
/*
 * The operating-system half of the socket channel: a byte stream to the
 * server and views of its shared files (guest memory, and the device's
 * host-visible region when it has one).  channel_socket.c does the
 * framing and checks everything the server sends; each OS provides these
 * functions once (sock_link_posix.c: Unix sockets and TCP, mmap;
 * sock_link_win.c: Winsock TCP, file mapping views).
 *
 * The stream calls fail (false) on any error, including a peer that
 * closes or stays silent longer than the reply timeout.
 */
#ifndef LIBVGPU_SOCK_LINK_H
#define LIBVGPU_SOCK_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "channel.h"
#include "vgpu/vgpu_socket.h"

/* The files enum vgpu_sock_mem_file names: guest memory and the host-visible region. */
#define SOCK_LINK_NUM_FILES 2u

/* No call but a WAIT slice takes long; a server silent for this long is gone. */
#define SOCK_LINK_REPLY_TIMEOUT_S 30

struct sock_link;

/*
 * Connect to `address` (the part after any "tcp:" is the OS's business)
 * and receive the hello, unchecked.  On failure, a line in `why`.
 */
int sock_link_connect(const char *address, struct vgpu_sock_hello *hello, struct sock_link **out,
		      char *why, size_t why_cap);

/*
 * Make one of the server's files reachable: the descriptor that came with
 * the hello (guest memory's first, then the region's), or the file `path`
 * (from the checked hello) names.  *usable gets how many bytes of the file
 * exist, which bounds the extents a MAP may name.
 */
int sock_link_open_file(struct sock_link *link, enum vgpu_sock_mem_file file, const char *path,
			uint64_t *usable, char *why, size_t why_cap);

/* The granule of the extents the server sends (a page). */
uint64_t sock_link_page_size(void);

/* Pieces a send takes at most. */
#define SOCK_LINK_MAX_PIECES 8u

bool sock_link_send(struct sock_link *link, const struct vgpu_piece *pieces, uint32_t count);

/*
 * One gather send of `count` pieces (at most SOCK_LINK_MAX_PIECES) on an
 * OS's stream: how many bytes it took (at least one), or 0 on failure.
 */
typedef size_t (*sock_link_send_some_fn)(void *stream, const struct vgpu_piece *pieces,
					 uint32_t count);

/* Sends the pieces whole, one send_some after another, however little each takes. */
static inline bool sock_link_send_all(void *stream, sock_link_send_some_fn send_some,
				      const struct vgpu_piece *pieces, uint32_t count)
{
	struct vgpu_piece left[SOCK_LINK_MAX_PIECES];
	uint32_t first = 0, i;

	if (count > SOCK_LINK_MAX_PIECES)
		return false;
	for (i = 0; i < count; i++)
		left[i] = pieces[i];
	while (first < count) {
		size_t sent = send_some(stream, left + first, count - first);

		if (!sent)
			return false;
		while (first < count && sent >= left[first].len)
			sent -= left[first++].len;
		if (first < count) {
			left[first].base = (const char *)left[first].base + sent;
			left[first].len -= (uint32_t)sent;
		}
	}
	return true;
}

bool sock_link_recv(struct sock_link *link, void *buf, size_t len);
/* One read of what has arrived, 1 to `cap` bytes; 0 when the stream ended or failed. */
size_t sock_link_recv_some(struct sock_link *link, void *buf, size_t cap);

/*
 * One view of the extents of `file` (opened; extents checked: page-aligned,
 * inside the file, adding up to `size` rounded to pages) laid end to end.
 * VGPU_E_NO_MEMORY when the view cannot be made.
 */
int sock_link_map(struct sock_link *link, enum vgpu_sock_mem_file file,
		  const struct vgpu_sock_extent *ext, uint32_t count, uint64_t size,
		  void **address);
/* Drop a view sock_link_map made; `size` as passed to it. */
void sock_link_unmap(struct sock_link *link, void *address, uint64_t size);

void sock_link_close(struct sock_link *link);

#endif /* LIBVGPU_SOCK_LINK_H */
