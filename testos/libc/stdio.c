/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include <stdarg.h>

#include "../kernel/kprint.h"

struct testos_stream {
	int unused;
};

static FILE console;
FILE *const stdout = &console;

int fprintf(FILE *stream, const char *fmt, ...)
{
	va_list ap;

	if (stream != stdout)
		return -1;
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	return 0;
}
