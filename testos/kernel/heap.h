/* SPDX-License-Identifier: MIT */
/*
 * Zero-filled kernel memory for the core's os->alloc: power-of-two blocks
 * up to 2 KiB carved from pages, whole pages beyond.  It counts what is
 * live so that tests can prove a teardown gave everything back.
 */
#ifndef TESTOS_HEAP_H
#define TESTOS_HEAP_H

#include <stddef.h>
#include <stdint.h>

void *heap_alloc(size_t size);
/* NULL is ignored; anything heap_alloc did not return panics. */
void heap_free(void *ptr);

/* Allocations not yet freed. */
uint32_t heap_live_allocations(void);

#endif /* TESTOS_HEAP_H */
