/* SPDX-License-Identifier: MIT */
/* The printf engine's output: a buffer, and for the console a way to empty it. */
#ifndef NTH_PLATFORM_FORMAT_H
#define NTH_PLATFORM_FORMAT_H

#include "platform.h"

struct format_out {
	char *buf;
	size_t cap, len;                       /* len may pass cap: what did not fit is dropped */
	size_t total;                          /* characters produced, as snprintf counts them */
	void (*drain)(struct format_out *out); /* empties buf (len = 0), or NULL */
};

/* Formats into out; buf is NUL-terminated at the end (when cap > 0). */
void format_run(struct format_out *out, const char *fmt, va_list ap);

#endif /* NTH_PLATFORM_FORMAT_H */
