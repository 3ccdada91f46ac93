/* SPDX-License-Identifier: MIT */
/*
 * The few C library functions the user-mode code in the guest needs beyond
 * what the platform gives (memcpy, strlen...).  Output goes to the
 * console; there is no environment, so libvgpu opens the device, never a
 * socket.  The Win32 headers route formatted output to mingw's own
 * functions, which are these.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int con_vprintf(const char *fmt, va_list ap);
int str_vformat(char *buf, size_t cap, const char *fmt, va_list ap);

char *getenv(const char *name)
{
	return NULL;
}

int abs(int v)
{
	return v < 0 ? -v : v;
}

void *memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;

	for (; n; n--, p++)
		if (*p == (unsigned char)c)
			return (void *)p;
	return NULL;
}

char *strncpy(char *dst, const char *src, size_t n)
{
	size_t i = 0;

	for (; i < n && src[i]; i++)
		dst[i] = src[i];
	for (; i < n; i++)
		dst[i] = '\0';
	return dst;
}

/*
 * stdout and stderr are what the Win32 headers' stdio macros ask
 * __acrt_iob_func for: any FILE here goes to the console.
 */
static FILE console_streams[3];

static FILE *__cdecl console_stream(unsigned index)
{
	return &console_streams[index < 3 ? index : 2];
}

FILE *(__cdecl *__imp___acrt_iob_func)(unsigned index) = console_stream;

int __mingw_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap)
{
	return str_vformat(buf, cap, fmt, ap);
}

/* stdout and stderr alike: the serial console */
int __mingw_vfprintf(FILE *stream, const char *fmt, va_list ap)
{
	return con_vprintf(fmt, ap);
}
