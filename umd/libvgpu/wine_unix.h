/* SPDX-License-Identifier: MIT */
/*
 * A stream to a Linux Unix socket for the Windows build of libvgpu when it
 * runs under Wine on Linux x86-64, made with Linux's own system calls.
 * Under Wine every Winsock call is also a request to wineserver, another
 * process: a request and its reply over loopback TCP took about 190 us on
 * the 2-core machine of docs/performance.md, against 35 us over a Unix
 * socket this way, and a frame of a small scene makes two or three such
 * pairs.  Only the sim's test channel (sock_link_win.c) uses it; on a
 * Windows guest libvgpu reaches vgpu.sys by IOCTL.
 *
 * The calls fail (false, 0) on any error, including a peer that closes or
 * stays silent longer than SOCK_LINK_REPLY_TIMEOUT_S.
 */
#ifndef LIBVGPU_WINE_UNIX_H
#define LIBVGPU_WINE_UNIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "channel.h"

/* A Linux file descriptor, held in Windows code. */
typedef int64_t wine_unix_fd;

/*
 * Connect to the Unix socket at `path` (absolute).  Refused, with a line in
 * `why`, unless this process is Windows code under Wine on Linux x86-64.
 */
int wine_unix_connect(const char *path, wine_unix_fd *out, char *why, size_t why_cap);

bool wine_unix_send(wine_unix_fd fd, const struct vgpu_piece *pieces, uint32_t count);
/* One read of what has arrived, 1 to `cap` bytes; 0 when the stream ended or failed. */
size_t wine_unix_recv_some(wine_unix_fd fd, void *buf, size_t cap);
void wine_unix_close(wine_unix_fd fd);

#endif /* LIBVGPU_WINE_UNIX_H */
