/* SPDX-License-Identifier: MIT */
/* Whole buffers over a blocking stream socket, through signals that interrupt the calls. */
#ifndef VGPU_POSIX_STREAM_IO_H
#define VGPU_POSIX_STREAM_IO_H

#include <stdbool.h>
#include <stddef.h>

/* All `len` bytes, or false on an error or the peer's close (no SIGPIPE). */
bool stream_send_all(int fd, const void *buf, size_t len);
bool stream_recv_all(int fd, void *buf, size_t len);

#endif /* VGPU_POSIX_STREAM_IO_H */
