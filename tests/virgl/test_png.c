/* SPDX-License-Identifier: MIT */
/*
 * The PNG writer, read back by an independent walk of the file: chunk
 * framing and CRCs, header fields, and the inflated rows equal to the input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "png.h"
#include "tap.h"

#define W 3u
#define H 2u
#define STRIDE 16u /* 12 bytes of pixels + 4 of padding that must not leak */

static uint8_t image[H * STRIDE];

static uint32_t be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void fill_image(void)
{
	uint32_t i;

	for (i = 0; i < sizeof(image); i++)
		image[i] = (uint8_t)(i % STRIDE >= W * 4 ? 0xEE : i * 7 + 1);
}

/* Check one chunk at p (length, type, CRC); returns the next chunk. */
static const uint8_t *check_chunk(const uint8_t *p, const char *type, uint32_t *len)
{
	uLong crc;

	*len = be32(p);
	CHECK(memcmp(p + 4, type, 4) == 0);
	crc = crc32(crc32(0L, Z_NULL, 0), p + 4, *len + 4);
	CHECK_EQ(be32(p + 8 + *len), (uint32_t)crc);
	return p + 12 + *len;
}

static void test_encode_round_trip(void)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
	uint8_t raw[H * (W * 4 + 1)];
	uLongf raw_len = sizeof(raw);
	const uint8_t *p, *ihdr, *idat;
	uint32_t len, idat_len, y;
	uint8_t *png;
	size_t size;

	fill_image();
	CHECK_EQ(png_encode_rgba(image, W, H, STRIDE, &png, &size), 0);
	CHECK(memcmp(png, sig, 8) == 0);
	ihdr = png + 8;
	p = check_chunk(ihdr, "IHDR", &len);
	CHECK_EQ(len, 13);
	CHECK_EQ(be32(ihdr + 8), W);
	CHECK_EQ(be32(ihdr + 12), H);
	CHECK_EQ(ihdr[16], 8); /* bit depth */
	CHECK_EQ(ihdr[17], 6); /* RGBA */
	CHECK_EQ(ihdr[20], 0); /* no interlace */
	idat = p;
	p = check_chunk(idat, "IDAT", &idat_len);
	p = check_chunk(p, "IEND", &len);
	CHECK_EQ(len, 0);
	CHECK_EQ((size_t)(p - png), size);

	CHECK_EQ(uncompress(raw, &raw_len, idat + 8, idat_len), Z_OK);
	CHECK_EQ(raw_len, sizeof(raw));
	for (y = 0; y < H; y++) {
		CHECK_EQ(raw[y * (W * 4 + 1)], 0); /* filter: none */
		CHECK(memcmp(&raw[y * (W * 4 + 1) + 1], &image[y * STRIDE], W * 4) == 0);
	}
	free(png);
}

static void test_bad_arguments(void)
{
	uint8_t *png = NULL;
	size_t size = 0;

	CHECK_EQ(png_encode_rgba(NULL, W, H, STRIDE, &png, &size), -EINVAL);
	CHECK_EQ(png_encode_rgba(image, 0, H, STRIDE, &png, &size), -EINVAL);
	CHECK_EQ(png_encode_rgba(image, W, 0, STRIDE, &png, &size), -EINVAL);
	CHECK_EQ(png_encode_rgba(image, W, H, W * 4 - 1, &png, &size), -EINVAL);
	CHECK_EQ(png_encode_rgba(image, PNG_MAX_DIM + 1, H, UINT32_MAX, &png, &size), -EINVAL);
	CHECK(png == NULL);
	CHECK_EQ(png_write_rgba(NULL, image, W, H, STRIDE), -EINVAL);
	CHECK_EQ(png_write_rgba("/nonexistent-dir/x.png", image, W, H, STRIDE), -ENOENT);
}

static void test_write_file(void)
{
	char path[] = "/tmp/vgpu-png-XXXXXX";
	uint8_t *png, file[4096];
	size_t size, got;
	FILE *f;
	int fd;

	fill_image();
	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	CHECK_EQ(png_write_rgba(path, image, W, H, STRIDE), 0);
	CHECK_EQ(png_encode_rgba(image, W, H, STRIDE, &png, &size), 0);
	f = fopen(path, "rb");
	CHECK(f != NULL);
	if (f) {
		got = fread(file, 1, sizeof(file), f);
		fclose(f);
		CHECK_EQ(got, size);
		CHECK(got == size && memcmp(file, png, size) == 0);
	}
	free(png);
	unlink(path);
}

int main(void)
{
	RUN(test_encode_round_trip);
	RUN(test_bad_arguments);
	RUN(test_write_file);
	return tap_done();
}
