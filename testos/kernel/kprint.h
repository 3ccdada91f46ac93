/* SPDX-License-Identifier: MIT */
/*
 * printf-style output to the serial console.  Conversions: %c %s %d %u %x
 * %p %%, the l / ll length modifiers, a field width and the 0 flag.
 */
#ifndef TESTOS_KPRINT_H
#define TESTOS_KPRINT_H

#include <stdarg.h>

void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap);

#endif /* TESTOS_KPRINT_H */
