/* SPDX-License-Identifier: MIT */
/*
 * A minimal PNG writer for 8-bit RGBA images (color type 6, no
 * interlace, filter "none" on every row), over zlib.
 */
#ifndef VGPU_TOOLS_PNG_H
#define VGPU_TOOLS_PNG_H

#include <stddef.h>
#include <stdint.h>

/* Images up to this many pixels a side; PNG itself allows 2^31 - 1. */
#define PNG_MAX_DIM 16384u

/*
 * Encode `rgba` (rows `stride` bytes apart, top row first) into a new
 * malloc'ed buffer *out of *out_size bytes.  Returns 0, or a negative errno
 * (-EINVAL for bad arguments, -ENOMEM, -EIO if zlib fails).
 */
int png_encode_rgba(const uint8_t *rgba, uint32_t width, uint32_t height, uint32_t stride,
		    uint8_t **out, size_t *out_size);

/* Encode and write to `path`.  Returns 0 or a negative errno. */
int png_write_rgba(const char *path, const uint8_t *rgba, uint32_t width, uint32_t height,
		   uint32_t stride);

#endif /* VGPU_TOOLS_PNG_H */
