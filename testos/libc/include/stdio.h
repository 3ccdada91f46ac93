/* SPDX-License-Identifier: MIT */
/*
 * <stdio.h> as far as the shared scene code needs it: one stream, stdout,
 * which is the serial console.  fprintf understands kprintf's conversions
 * and returns 0 (the guest has no use for the character count).
 */
#ifndef TESTOS_LIBC_STDIO_H
#define TESTOS_LIBC_STDIO_H

#include <stddef.h> /* size_t, as the standard header provides */

typedef struct testos_stream FILE;

extern FILE *const stdout;

int fprintf(FILE *stream, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* TESTOS_LIBC_STDIO_H */
