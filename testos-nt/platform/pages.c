/* SPDX-License-Identifier: MIT */
/*
 * Physical pages: a bitmap over RAM below 4 GiB, built from the loader's
 * memory map.  Contiguous runs come from the bottom up; scattered pages
 * from the top down, one page skipped after each, so that consecutive
 * scattered pages are never physically adjacent.
 */
#include "internal.h"

#define MAX_PAGES (0x100000000ull / PLAT_PAGE_SIZE)
#define BITS 64u

/* Set bits: not available (used, reserved, or not RAM at all). */
static uint64_t busy[MAX_PAGES / BITS];
static uint64_t end_page;       /* above the highest RAM page */
static uint64_t lowest_free;    /* no free page below this */
static uint64_t scatter_cursor; /* the next scattered page is at or below this */
static size_t free_pages;
static uint64_t ram_bytes;

static bool is_busy(uint64_t page)
{
	return busy[page / BITS] & (1ull << (page % BITS));
}

static void set_busy(uint64_t page, bool value)
{
	if (value)
		busy[page / BITS] |= 1ull << (page % BITS);
	else
		busy[page / BITS] &= ~(1ull << (page % BITS));
}

void pages_init(void)
{
	uint64_t first = bootinfo_reserved_end() / PLAT_PAGE_SIZE;
	struct ram_range r;

	memset(busy, 0xFF, sizeof(busy));
	for (unsigned i = 0; bootinfo_ram_range(i, &r); i++) {
		uint64_t page = (r.base + PLAT_PAGE_SIZE - 1) / PLAT_PAGE_SIZE;
		uint64_t end = r.end / PLAT_PAGE_SIZE;

		ram_bytes += r.end - r.base;
		for (; page < end; page++) {
			if (page < first || !is_busy(page))
				continue;
			set_busy(page, false);
			free_pages++;
			if (page + 1 > end_page)
				end_page = page + 1;
		}
	}
	if (!free_pages)
		plat_panic("no free RAM above the image and the boot modules");
	lowest_free = first;
	scatter_cursor = end_page - 1;
}

static void *take(uint64_t page, size_t npages)
{
	void *p = (void *)(uintptr_t)(page * PLAT_PAGE_SIZE);

	for (size_t i = 0; i < npages; i++)
		set_busy(page + i, true);
	free_pages -= npages;
	memset(p, 0, npages * PLAT_PAGE_SIZE);
	return p;
}

void *page_alloc(size_t npages)
{
	uint64_t run = 0;

	if (npages == 0 || npages > free_pages)
		return NULL;
	while (lowest_free < end_page && is_busy(lowest_free))
		lowest_free++;
	for (uint64_t page = lowest_free; page < end_page; page++) {
		run = is_busy(page) ? 0 : run + 1;
		if (run == npages)
			return take(page + 1 - npages, npages);
	}
	return NULL;
}

/* The highest free page at or below `from` (and at or above lowest_free), or end_page. */
static uint64_t free_page_at_or_below(uint64_t from)
{
	for (uint64_t page = from + 1; page-- > lowest_free;)
		if (!is_busy(page))
			return page;
	return end_page;
}

void *page_alloc_scattered(void)
{
	uint64_t page;

	if (!free_pages)
		return NULL;
	page = free_page_at_or_below(scatter_cursor);
	if (page == end_page) /* reached the bottom: around again from the top */
		page = free_page_at_or_below(end_page - 1);
	scatter_cursor = page >= 2 ? page - 2 : end_page - 1;
	return take(page, 1);
}

static bool managed(uint64_t page)
{
	struct ram_range r;

	if (page < bootinfo_reserved_end() / PLAT_PAGE_SIZE)
		return false;
	for (unsigned i = 0; bootinfo_ram_range(i, &r); i++)
		if (page >= r.base / PLAT_PAGE_SIZE && page < r.end / PLAT_PAGE_SIZE)
			return true;
	return false;
}

void page_free(void *pages, size_t npages)
{
	uint64_t page = (uintptr_t)pages / PLAT_PAGE_SIZE;

	if ((uintptr_t)pages % PLAT_PAGE_SIZE || page + npages > end_page || page + npages < page)
		plat_panic("page_free(%p, %zu): not pages of RAM", pages, npages);
	for (size_t i = 0; i < npages; i++)
		if (!is_busy(page + i) || !managed(page + i))
			plat_panic("page_free(%p, %zu): page %p is not allocated", pages, npages,
				   (void *)(uintptr_t)((page + i) * PLAT_PAGE_SIZE));
	for (size_t i = 0; i < npages; i++)
		set_busy(page + i, false);
	free_pages += npages;
	if (page < lowest_free)
		lowest_free = page;
}

size_t page_free_count(void)
{
	return free_pages;
}

uint64_t plat_ram_bytes(void)
{
	return ram_bytes;
}
