/* SPDX-License-Identifier: MIT */
/* <stdlib.h> as far as the shared scene code needs it. */
#ifndef TESTOS_LIBC_STDLIB_H
#define TESTOS_LIBC_STDLIB_H

#include <stddef.h> /* size_t, as the standard header provides */

int abs(int value);

#endif /* TESTOS_LIBC_STDLIB_H */
