/* SPDX-License-Identifier: MIT */
/*
 * 32-bit paging: the whole 4 GiB identity mapped with 4 MiB pages (device
 * memory above RAM uncached), except a window of 4 KiB pages where
 * scattered physical pages can be shown as one contiguous range - what a
 * Windows driver's user mapping of a resource gives its process.
 */
#ifndef TESTOS_PAGING_H
#define TESTOS_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#define WINDOW_BASE 0x80000000u
#define WINDOW_BYTES (64u * 1024u * 1024u)

/* Turn paging on; RAM is [0, ram_end), ram_end <= WINDOW_BASE. */
void paging_init(uint32_t ram_end);

/* Reserve `pages` contiguous window pages (unmapped); 0 when the window is full. */
uint32_t window_reserve(uint32_t pages);
/* Show physical page `pa` at window address `va`. */
void window_map_page(uint32_t va, uint32_t pa);
/* Unmap and release a range window_reserve returned. */
void window_release(uint32_t va, uint32_t pages);

/* Window pages currently reserved. */
uint32_t window_pages_in_use(void);

/* Does [base, base + size) overlap the window? */
bool window_overlaps(uint64_t base, uint64_t size);

#endif /* TESTOS_PAGING_H */
