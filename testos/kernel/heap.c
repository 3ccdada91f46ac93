/* SPDX-License-Identifier: MIT */
/* The shared heap (lib/guest/heap.c) over this kernel's pages. */
#include "heap.h"

#include "machine.h"
#include "pages.h"

_Static_assert(HEAP_PAGE_SIZE == PAGE_SIZE, "one page size");

void *heap_pages(size_t count)
{
	return count > PAGES_MAX_RAM / PAGE_SIZE
		       ? NULL
		       : (void *)(uintptr_t)pages_alloc_contiguous((uint32_t)count);
}

void heap_pages_free(void *pages, size_t count)
{
	pages_free((uint32_t)(uintptr_t)pages, (uint32_t)count);
}

void heap_misuse(const char *why)
{
	machine_panic(why);
}
