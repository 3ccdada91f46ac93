/* SPDX-License-Identifier: MIT */
/* Byte-wise on purpose: the compiler may turn loops into calls of these very functions. */
#include <string.h>

#include <stdint.h>

void *memcpy(void *dst, const void *src, size_t len)
{
	volatile uint8_t *d = dst;
	const uint8_t *s = src;

	while (len--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t len)
{
	volatile uint8_t *d = dst;
	const uint8_t *s = src;

	if (d <= s || d >= s + len)
		return memcpy(dst, src, len);
	while (len--)
		d[len] = s[len];
	return dst;
}

void *memset(void *dst, int value, size_t len)
{
	volatile uint8_t *d = dst;

	while (len--)
		*d++ = (uint8_t)value;
	return dst;
}

int memcmp(const void *a, const void *b, size_t len)
{
	const uint8_t *x = a, *y = b;

	for (; len; len--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}
