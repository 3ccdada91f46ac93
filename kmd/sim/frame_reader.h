/* SPDX-License-Identifier: MIT */
/*
 * The bytes of a connection's request frames, read ahead.  A client sends
 * a whole frame (header, fixed struct, payload) with one call, so one
 * receive usually brings all of it: the thread then makes one system call
 * per request where reading each part on its own took a poll and a receive
 * apiece.  Bytes read past the frame stay for the next one.
 */
#ifndef VGPU_SIM_FRAME_READER_H
#define VGPU_SIM_FRAME_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_READER_BYTES 16384u

struct frame_reader {
	int fd;
	int stall_ms;
	uint32_t at, len; /* the unread bytes are buf[at, len) */
	uint8_t buf[FRAME_READER_BYTES];
};

/* Read from the stream socket `fd`; inside a frame every byte must follow within `stall_ms`. */
void frame_reader_init(struct frame_reader *r, int fd, int stall_ms);

/* Whether bytes of the next frame have already been read. */
bool frame_reader_has_bytes(const struct frame_reader *r);

/*
 * Fill `dst` with the next `len` bytes.  Between frames (`in_frame` false)
 * the first byte may take as long as the client likes; after it, the
 * stall limit holds.  Returns 0, or -1 on the end of the stream, an error
 * or a stall (what was read of `dst` is then meaningless).
 */
int frame_reader_read(struct frame_reader *r, void *dst, size_t len, bool in_frame);

#endif /* VGPU_SIM_FRAME_READER_H */
