/* SPDX-License-Identifier: MIT */
/*
 * The physical page allocator.  All RAM the guest manages is identity
 * mapped, so a page's physical address is also its address in the guest.
 * Contiguous runs come from the bottom of memory; scattered runs (for
 * resource backing) from the top, walking down, so that the two never mix
 * and a resource's pieces lie in descending order with holes between them.
 */
#ifndef TESTOS_PAGES_H
#define TESTOS_PAGES_H

#include <stdint.h>

#define PAGE_SIZE 4096u
/* The most RAM the allocator manages (its bitmap is static). */
#define PAGES_MAX_RAM (1024u * 1024u * 1024u)

/* Manage [start, end), both page aligned, end <= PAGES_MAX_RAM. */
void pages_init(uint32_t start, uint32_t end);

/* `count` contiguous pages from the bottom; 0 when none are left. */
uint32_t pages_alloc_contiguous(uint32_t count);

/*
 * At most `max` contiguous pages from the top of memory, below every run
 * this call returned before with a free page left between.  Returns the
 * number of pages (0: memory exhausted) and their first address in *pa.
 */
uint32_t pages_alloc_scattered(uint32_t max, uint32_t *pa);

/* Give back `count` pages starting at `pa`; panics on a page not allocated. */
void pages_free(uint32_t pa, uint32_t count);

#endif /* TESTOS_PAGES_H */
