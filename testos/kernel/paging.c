/* SPDX-License-Identifier: MIT */
#include "paging.h"

#include "cpu.h"
#include "machine.h"
#include "pages.h"

#define PDE_COUNT 1024u
#define PTE_COUNT 1024u
#define LARGE_PAGE (4u * 1024u * 1024u)
#define PG_PRESENT 0x001u
#define PG_WRITE 0x002u
#define PG_WRITE_THROUGH 0x008u
#define PG_CACHE_DISABLE 0x010u
#define PG_LARGE 0x080u
#define CR0_PG 0x80000000u
#define CR4_PSE 0x00000010u

#define WINDOW_PAGES (WINDOW_BYTES / PAGE_SIZE)
#define WINDOW_TABLES (WINDOW_BYTES / LARGE_PAGE)
#define WINDOW_FIRST_PDE (WINDOW_BASE / LARGE_PAGE)

static uint32_t page_directory[PDE_COUNT] __attribute__((aligned(PAGE_SIZE)));
static uint32_t window_tables[WINDOW_TABLES][PTE_COUNT] __attribute__((aligned(PAGE_SIZE)));
static uint32_t window_used[WINDOW_PAGES / 32];
static uint32_t window_in_use;

_Static_assert(WINDOW_BASE % LARGE_PAGE == 0 && WINDOW_BYTES % LARGE_PAGE == 0,
	       "the window is made of whole page tables");

void paging_init(uint32_t ram_end)
{
	uint32_t i;

	if (ram_end > WINDOW_BASE)
		machine_panic("RAM reaches into the mapping window");
	for (i = 0; i < PDE_COUNT; i++) {
		uint32_t base = i * LARGE_PAGE;

		if (i >= WINDOW_FIRST_PDE && i < WINDOW_FIRST_PDE + WINDOW_TABLES) {
			uint32_t table = (uint32_t)(uintptr_t)window_tables[i - WINDOW_FIRST_PDE];

			page_directory[i] = table | PG_PRESENT | PG_WRITE;
		} else {
			page_directory[i] = base | PG_PRESENT | PG_WRITE | PG_LARGE;
			if (base >= ram_end)
				page_directory[i] |= PG_CACHE_DISABLE | PG_WRITE_THROUGH;
		}
	}
	write_cr4(read_cr4() | CR4_PSE);
	write_cr3((uint32_t)(uintptr_t)page_directory);
	write_cr0(read_cr0() | CR0_PG);
}

static bool window_page_used(uint32_t index)
{
	return window_used[index / 32] & (1u << (index % 32));
}

static void window_mark(uint32_t first, uint32_t pages, bool used)
{
	uint32_t i;

	for (i = first; i < first + pages; i++) {
		if (used)
			window_used[i / 32] |= 1u << (i % 32);
		else
			window_used[i / 32] &= ~(1u << (i % 32));
	}
}

uint32_t window_reserve(uint32_t pages)
{
	uint32_t i, run = 0;

	if (pages == 0 || pages > WINDOW_PAGES)
		return 0;
	for (i = 0; i < WINDOW_PAGES; i++) {
		run = window_page_used(i) ? 0 : run + 1;
		if (run == pages) {
			window_mark(i + 1 - pages, pages, true);
			window_in_use += pages;
			return WINDOW_BASE + (i + 1 - pages) * PAGE_SIZE;
		}
	}
	return 0;
}

static uint32_t *window_pte(uint32_t va)
{
	uint32_t index = (va - WINDOW_BASE) / PAGE_SIZE;

	if (va < WINDOW_BASE || index >= WINDOW_PAGES || !window_page_used(index))
		machine_panic("window address not reserved");
	return &window_tables[index / PTE_COUNT][index % PTE_COUNT];
}

void window_map_page(uint32_t va, uint32_t pa)
{
	*window_pte(va) = (pa & ~(PAGE_SIZE - 1u)) | PG_PRESENT | PG_WRITE;
	invlpg(va);
}

void window_release(uint32_t va, uint32_t pages)
{
	uint32_t i;

	for (i = 0; i < pages; i++) {
		*window_pte(va + i * PAGE_SIZE) = 0;
		invlpg(va + i * PAGE_SIZE);
	}
	window_mark((va - WINDOW_BASE) / PAGE_SIZE, pages, false);
	window_in_use -= pages;
}

uint32_t window_pages_in_use(void)
{
	return window_in_use;
}

bool window_overlaps(uint64_t base, uint64_t size)
{
	return base < (uint64_t)WINDOW_BASE + WINDOW_BYTES && base + size > WINDOW_BASE;
}
