/* SPDX-License-Identifier: MIT */
/*
 * The fuzzers' view of their input: a stream of little-endian fields that
 * reads as zeros once used up, so that every prefix of an input is still a
 * whole program and libFuzzer's truncations and splices stay meaningful.
 */
#ifndef VGPU_TESTS_FUZZ_INPUT_H
#define VGPU_TESTS_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct fuzz_input {
	const uint8_t *p;
	size_t n;
};

static inline void fuzz_take(struct fuzz_input *in, void *dst, size_t len)
{
	size_t have = len < in->n ? len : in->n;

	memcpy(dst, in->p, have);
	memset((uint8_t *)dst + have, 0, len - have);
	in->p += have;
	in->n -= have;
}

static inline uint8_t fuzz_u8(struct fuzz_input *in)
{
	uint8_t v;

	fuzz_take(in, &v, 1);
	return v;
}

static inline uint16_t fuzz_u16(struct fuzz_input *in)
{
	uint8_t b[2];

	fuzz_take(in, b, 2);
	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t fuzz_u32(struct fuzz_input *in)
{
	uint8_t b[4];

	fuzz_take(in, b, 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/*
 * Overwrite up to three 32-bit words of an ABI struct (all of them are
 * whole words) with raw values: starting from a valid template, any field,
 * padding included, can take any value while most calls still get deep.
 */
static inline void fuzz_mutate_words(struct fuzz_input *in, void *s, size_t size)
{
	unsigned count = fuzz_u8(in) % 4u;

	for (unsigned i = 0; i < count; i++) {
		size_t word = fuzz_u8(in) % (size / 4u);
		uint32_t v = fuzz_u32(in);

		memcpy((uint8_t *)s + word * 4u, &v, 4);
	}
}

#endif /* VGPU_TESTS_FUZZ_INPUT_H */
