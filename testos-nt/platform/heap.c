/* SPDX-License-Identifier: MIT */
/* The harness's own heap (lib/guest/heap.c; not the driver's pool) over the platform's pages. */
#include "heap.h"

#include "internal.h"

_Static_assert(HEAP_PAGE_SIZE == PLAT_PAGE_SIZE, "one page size");

void *heap_pages(size_t count)
{
	return page_alloc(count);
}

void heap_pages_free(void *pages, size_t count)
{
	page_free(pages, count);
}

void heap_misuse(const char *why)
{
	plat_panic("%s", why);
}
