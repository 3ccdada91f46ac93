/* SPDX-License-Identifier: MIT */
/*
 * PNG writer (png.h): signature, IHDR, one IDAT holding the zlib stream
 * of the filtered rows, IEND; every chunk closed by the CRC-32 of its type
 * and data.
 */
#include "png.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

static const uint8_t png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };

#define PNG_IHDR_LEN 13u
/* A chunk's length, type and CRC around its data. */
#define PNG_CHUNK_OVERHEAD 12u
#define PNG_BIT_DEPTH 8u
#define PNG_COLOR_TYPE_RGBA 6u
#define PNG_FILTER_NONE 0u

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Frame the `len` data bytes already at p + 8 as a chunk; returns the end. */
static uint8_t *close_chunk(uint8_t *p, const char type[4], uint32_t len)
{
	uLong crc = crc32(0L, Z_NULL, 0);

	put_be32(p, len);
	memcpy(p + 4, type, 4);
	crc = crc32(crc, p + 4, len + 4u);
	put_be32(p + 8 + len, (uint32_t)crc);
	return p + PNG_CHUNK_OVERHEAD + len;
}

static uint8_t *put_ihdr(uint8_t *p, uint32_t width, uint32_t height)
{
	uint8_t *d = p + 8;

	put_be32(d, width);
	put_be32(d + 4, height);
	d[8] = PNG_BIT_DEPTH;
	d[9] = PNG_COLOR_TYPE_RGBA;
	d[10] = 0; /* deflate */
	d[11] = 0; /* adaptive filtering, one filter type byte per row */
	d[12] = 0; /* no interlace */
	return close_chunk(p, "IHDR", PNG_IHDR_LEN);
}

/* Rows as PNG wants them before compression: a filter byte, then the pixels. */
static uint8_t *filtered_rows(const uint8_t *rgba, uint32_t width, uint32_t height, uint32_t stride,
			      size_t *size)
{
	size_t row = (size_t)width * 4u;
	uint8_t *raw = malloc((row + 1u) * height);
	uint32_t y;

	if (!raw)
		return NULL;
	for (y = 0; y < height; y++) {
		uint8_t *dst = raw + (row + 1u) * y;

		dst[0] = PNG_FILTER_NONE;
		memcpy(dst + 1, rgba + (size_t)stride * y, row);
	}
	*size = (row + 1u) * height;
	return raw;
}

int png_encode_rgba(const uint8_t *rgba, uint32_t width, uint32_t height, uint32_t stride,
		    uint8_t **out, size_t *out_size)
{
	size_t raw_size, cap;
	uLongf zlen;
	uint8_t *raw, *buf, *p;
	int zret;

	if (!rgba || !out || !out_size || width == 0 || height == 0 || width > PNG_MAX_DIM ||
	    height > PNG_MAX_DIM || stride < width * 4u)
		return -EINVAL;
	raw = filtered_rows(rgba, width, height, stride, &raw_size);
	if (!raw)
		return -ENOMEM;
	zlen = compressBound((uLong)raw_size);
	cap = sizeof(png_signature) + PNG_CHUNK_OVERHEAD + PNG_IHDR_LEN + PNG_CHUNK_OVERHEAD +
	      zlen + PNG_CHUNK_OVERHEAD;
	buf = malloc(cap);
	if (!buf) {
		free(raw);
		return -ENOMEM;
	}
	memcpy(buf, png_signature, sizeof(png_signature));
	p = put_ihdr(buf + sizeof(png_signature), width, height);
	/* compress straight into the IDAT chunk's data */
	zret = compress2(p + 8, &zlen, raw, (uLong)raw_size, Z_BEST_COMPRESSION);
	free(raw);
	if (zret != Z_OK) {
		free(buf);
		return -EIO;
	}
	p = close_chunk(p, "IDAT", (uint32_t)zlen);
	p = close_chunk(p, "IEND", 0);
	*out = buf;
	*out_size = (size_t)(p - buf);
	return 0;
}

int png_write_rgba(const char *path, const uint8_t *rgba, uint32_t width, uint32_t height,
		   uint32_t stride)
{
	uint8_t *data;
	size_t size;
	FILE *f;
	int ret;

	if (!path)
		return -EINVAL;
	ret = png_encode_rgba(rgba, width, height, stride, &data, &size);
	if (ret)
		return ret;
	f = fopen(path, "wb");
	if (!f) {
		ret = -errno;
		free(data);
		return ret;
	}
	if (fwrite(data, 1, size, f) != size)
		ret = -EIO;
	if (fclose(f) != 0 && ret == 0)
		ret = -EIO;
	free(data);
	return ret;
}
