/* SPDX-License-Identifier: MIT */
#include "pages.h"

#include <stdbool.h>

#include "machine.h"

#define MAX_PAGES (PAGES_MAX_RAM / PAGE_SIZE)

static uint32_t used_bits[MAX_PAGES / 32];
static uint32_t first_page, end_page; /* managed: [first_page, end_page) */
static uint32_t scatter_cursor;       /* scattered runs start at or below this page */

static bool page_used(uint32_t page)
{
	return used_bits[page / 32] & (1u << (page % 32));
}

static void mark(uint32_t page, bool used)
{
	if (used)
		used_bits[page / 32] |= 1u << (page % 32);
	else
		used_bits[page / 32] &= ~(1u << (page % 32));
}

void pages_init(uint32_t start, uint32_t end)
{
	if (start % PAGE_SIZE || end % PAGE_SIZE || end > PAGES_MAX_RAM || start >= end)
		machine_panic("bad memory range for the page allocator");
	first_page = start / PAGE_SIZE;
	end_page = end / PAGE_SIZE;
	scatter_cursor = end_page - 1;
}

static void take(uint32_t page, uint32_t count)
{
	uint32_t i;

	for (i = 0; i < count; i++)
		mark(page + i, true);
}

uint32_t pages_alloc_contiguous(uint32_t count)
{
	uint32_t page, run = 0;

	if (count == 0 || count > end_page - first_page)
		return 0;
	for (page = first_page; page < end_page; page++) {
		run = page_used(page) ? 0 : run + 1;
		if (run == count) {
			take(page + 1 - count, count);
			return (page + 1 - count) * PAGE_SIZE;
		}
	}
	return 0;
}

/* The highest free page at or below `from`, searching down to first_page; 0 if none. */
static uint32_t free_page_below(uint32_t from)
{
	uint32_t page;

	for (page = from; page >= first_page && page < end_page; page--)
		if (!page_used(page))
			return page;
	return 0;
}

uint32_t pages_alloc_scattered(uint32_t max, uint32_t *pa)
{
	uint32_t top = free_page_below(scatter_cursor), count = 1;

	if (max == 0)
		return 0;
	if (!top)
		top = free_page_below(end_page - 1); /* wrapped: start again from the top */
	if (!top)
		return 0;
	while (count < max && top - count >= first_page && !page_used(top - count))
		count++;
	take(top + 1 - count, count);
	/* Skip one page: the next run must not continue this one. */
	scatter_cursor = top - count >= first_page + 1 ? top - count - 1 : end_page - 1;
	*pa = (top + 1 - count) * PAGE_SIZE;
	return count;
}

void pages_free(uint32_t pa, uint32_t count)
{
	uint32_t page = pa / PAGE_SIZE, i;

	if (pa % PAGE_SIZE || page < first_page || page + count > end_page || page + count < page)
		machine_panic("freeing pages outside managed memory");
	for (i = 0; i < count; i++) {
		if (!page_used(page + i))
			machine_panic("freeing a free page");
		mark(page + i, false);
	}
}
