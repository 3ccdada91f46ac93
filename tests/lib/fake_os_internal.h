/* SPDX-License-Identifier: MIT */
/* What the fake OS's files share (fake_os.c keeps the books, fake_os_sync.c synchronises). */
#ifndef VGPU_TESTS_FAKE_OS_INTERNAL_H
#define VGPU_TESTS_FAKE_OS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "fake_os.h"

static inline struct fake_os *to_fake(void *ctx)
{
	return ctx;
}

/* Count a misuse of the OS table, and say what it was. */
void fake_os_count_violation(struct fake_os *f, const char *what);
/* A zeroed object of a kind that `live` counts: an acquisition, NULL if it failed. */
void *fake_os_object_new(struct fake_os *f, size_t size, int64_t *live);
void fake_os_object_delete(struct fake_os *f, void *obj, int64_t *live);

/* Fill the table's locks, events and clock. */
void fake_os_sync_table(struct vgpu_os *os);

#endif /* VGPU_TESTS_FAKE_OS_INTERNAL_H */
