/* SPDX-License-Identifier: MIT */
/* The few <string.h> functions the guest and the shared scene encoder use. */
#ifndef TESTOS_LIBC_STRING_H
#define TESTOS_LIBC_STRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t len);
void *memmove(void *dst, const void *src, size_t len);
void *memset(void *dst, int value, size_t len);
int memcmp(const void *a, const void *b, size_t len);
size_t strlen(const char *s);

#endif /* TESTOS_LIBC_STRING_H */
