/* SPDX-License-Identifier: MIT */
/*
 * Four-level paging over the identity map boot/entry.S built.  There is one
 * PML4: the identity map, the system range and KUSER_SHARED_DATA are shared
 * by every address space, and a space is just the PDPT that the PML4 entry
 * covering [USER_VA_BASE, USER_VA_END) points to while it is current.
 */
#include "cpu.h"
#include "internal.h"

#define PTE_PRESENT 0x001ull
#define PTE_WRITE 0x002ull
#define PTE_USER 0x004ull
#define PTE_PWT 0x008ull
#define PTE_PCD 0x010ull
#define PTE_LARGE 0x080ull
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000FFFFFFFFFF000ull
#define ENTRIES 512u
#define LEVEL_SHIFT(level) (12u + 9u * (level)) /* 0: PT ... 3: PML4 */

/*
 * PAT entries: PWT alone picks entry 1, which we make write-combining;
 * PCD|PWT picks entry 3, uncached.  Entries 0 and 2 keep their reset values
 * (write-back, UC-) and 4-7 repeat 0-3.
 */
#define MSR_PAT 0x277u
#define PAT_VALUE 0x0007010600070106ull
#define PTE_CACHE_WC PTE_PWT
#define PTE_CACHE_UC (PTE_PCD | PTE_PWT)

#define SYSVA_PAGES ((SYSVA_END - SYSVA_BASE) / PLAT_PAGE_SIZE)
#define BITS 64u

_Static_assert(USER_VA_BASE >> 39 == (USER_VA_END - 1) >> 39, "user range: one PML4 entry");
_Static_assert(SYSVA_BASE >> 39 == (SYSVA_END - 1) >> 39, "system range: one PML4 entry");

/* The image's layout (boot/entry.S and the PE linker script). */
extern char image_text_start[], etext[], __end__[];

struct vm_space {
	uint64_t *pdpt;
};

static struct vm_space *current_space;
static uint64_t sysva_used[SYSVA_PAGES / BITS];
static uint64_t sysva_cursor; /* next fit: recently freed addresses rest a while */
static void *shared_data;

static unsigned table_index(uint64_t va, unsigned level)
{
	return (unsigned)(va >> LEVEL_SHIFT(level)) & (ENTRIES - 1u);
}

static uint64_t *table_at(uint64_t entry)
{
	return (uint64_t *)(uintptr_t)(entry & PTE_ADDR);
}

static bool in_user_range(uint64_t va, size_t npages)
{
	return va >= USER_VA_BASE && va < USER_VA_END &&
	       npages <= (USER_VA_END - va) / PLAT_PAGE_SIZE;
}

static bool in_system_range(uint64_t va, size_t npages)
{
	return va >= SYSVA_BASE && va < SYSVA_END && npages <= (SYSVA_END - va) / PLAT_PAGE_SIZE;
}

/*
 * The 4 KiB entry for va, making the tables on the way when `create`; NULL
 * when a table is missing (or cannot be had), or va lies in a large page.
 */
static uint64_t *pte_for(uint64_t va, bool create)
{
	uint64_t *table = boot_pml4;
	uint64_t intermediate = PTE_PRESENT | PTE_WRITE | (in_user_range(va, 1) ? PTE_USER : 0);

	for (unsigned level = 3; level > 0; level--) {
		uint64_t *entry = &table[table_index(va, level)];

		if (!(*entry & PTE_PRESENT)) {
			void *fresh = create ? page_alloc(1) : NULL;

			if (!fresh)
				return NULL;
			*entry = (uintptr_t)fresh | intermediate;
		} else if (*entry & PTE_LARGE) {
			return NULL;
		}
		table = table_at(*entry);
	}
	return &table[table_index(va, 0)];
}

static uint64_t pte_bits(unsigned flags)
{
	return PTE_PRESENT | (flags & VM_WRITE ? PTE_WRITE : 0) | (flags & VM_USER ? PTE_USER : 0) |
	       (flags & VM_NX ? PTE_NX : 0) | (flags & VM_UNCACHED ? PTE_CACHE_UC : 0) |
	       (flags & VM_WRITE_COMBINED ? PTE_CACHE_WC : 0);
}

static unsigned vm_flags(uint64_t entry)
{
	unsigned flags = 0;

	if (entry & PTE_WRITE)
		flags |= VM_WRITE;
	if (entry & PTE_USER)
		flags |= VM_USER;
	if (entry & PTE_NX)
		flags |= VM_NX;
	if ((entry & PTE_CACHE_UC) == PTE_CACHE_UC)
		flags |= VM_UNCACHED;
	else if ((entry & PTE_CACHE_UC) == PTE_CACHE_WC)
		flags |= VM_WRITE_COMBINED;
	return flags;
}

static bool mappable(uint64_t va, size_t npages)
{
	if (in_system_range(va, npages))
		return true;
	return current_space && in_user_range(va, npages);
}

static void unmap_pages(uint64_t va, size_t npages)
{
	for (size_t i = 0; i < npages; i++) {
		uint64_t *pte = pte_for(va + i * PLAT_PAGE_SIZE, false);

		*pte = 0;
		invlpg(va + i * PLAT_PAGE_SIZE);
	}
}

int vm_map(uint64_t va, uint64_t pa, size_t npages, unsigned flags)
{
	const unsigned known = VM_WRITE | VM_USER | VM_NX | VM_UNCACHED | VM_WRITE_COMBINED;

	if (va % PLAT_PAGE_SIZE || pa % PLAT_PAGE_SIZE || !npages || (flags & ~known) ||
	    ((flags & VM_UNCACHED) && (flags & VM_WRITE_COMBINED)) || !mappable(va, npages))
		return -1;
	for (size_t i = 0; i < npages; i++) {
		uint64_t *pte = pte_for(va + i * PLAT_PAGE_SIZE, false);

		if (pte && (*pte & PTE_PRESENT))
			return -1; /* already mapped: never replace a mapping behind its owner */
	}
	for (size_t i = 0; i < npages; i++) {
		uint64_t *pte = pte_for(va + i * PLAT_PAGE_SIZE, true);

		if (!pte) {
			unmap_pages(va, i);
			return -1;
		}
		*pte = (pa + i * PLAT_PAGE_SIZE) | pte_bits(flags);
	}
	return 0;
}

void vm_unmap(uint64_t va, size_t npages)
{
	if (va % PLAT_PAGE_SIZE || !mappable(va, npages))
		plat_panic("vm_unmap(%p, %zu): outside the system range and the current space",
			   (void *)(uintptr_t)va, npages);
	for (size_t i = 0; i < npages; i++) {
		uint64_t *pte = pte_for(va + i * PLAT_PAGE_SIZE, false);

		if (!pte || !(*pte & PTE_PRESENT))
			plat_panic("vm_unmap(%p, %zu): page %zu is not mapped",
				   (void *)(uintptr_t)va, npages, i);
	}
	unmap_pages(va, npages);
}

int vm_translate(uint64_t va, uint64_t *pa, unsigned *flags)
{
	uint64_t *table = boot_pml4;

	for (unsigned level = 3;; level--) {
		uint64_t entry = table[table_index(va, level)];
		uint64_t span = 1ull << LEVEL_SHIFT(level);

		if (!(entry & PTE_PRESENT))
			return -1;
		if (level == 0 || (entry & PTE_LARGE)) {
			*pa = (entry & PTE_ADDR & ~(span - 1)) | (va & (span - 1));
			*flags = vm_flags(entry);
			return 0;
		}
		table = table_at(entry);
	}
}

struct vm_space *vm_space_create(void)
{
	struct vm_space *space = heap_alloc(sizeof(*space));

	if (!space)
		return NULL;
	space->pdpt = page_alloc(1);
	if (!space->pdpt) {
		heap_free(space);
		return NULL;
	}
	return space;
}

/* Frees the tables below `table` (a PDPT: level 2, a PD: level 1), then the table. */
static void free_tables(uint64_t *table, unsigned level)
{
	for (unsigned i = 0; level > 0 && i < ENTRIES; i++)
		if (table[i] & PTE_PRESENT)
			free_tables(table_at(table[i]), level - 1);
	page_free(table, 1);
}

void vm_space_destroy(struct vm_space *space)
{
	if (!space)
		return;
	if (space == current_space)
		vm_space_switch(NULL);
	free_tables(space->pdpt, 2);
	heap_free(space);
}

void vm_space_switch(struct vm_space *space)
{
	boot_pml4[table_index(USER_VA_BASE, 3)] =
		space ? (uintptr_t)space->pdpt | PTE_PRESENT | PTE_WRITE | PTE_USER : 0;
	current_space = space;
	write_cr3(read_cr3());
}

struct vm_space *vm_space_current(void)
{
	return current_space;
}

static bool sysva_busy(size_t page)
{
	return sysva_used[page / BITS] & (1ull << (page % BITS));
}

static void sysva_mark(size_t page, size_t npages, bool used)
{
	for (size_t i = page; i < page + npages; i++) {
		if (used)
			sysva_used[i / BITS] |= 1ull << (i % BITS);
		else
			sysva_used[i / BITS] &= ~(1ull << (i % BITS));
	}
}

uint64_t sysva_alloc(size_t npages)
{
	size_t run = 0;

	if (!npages || npages > SYSVA_PAGES)
		return 0;
	/* Two passes from the cursor: its end, then the start of the range again. */
	for (size_t step = 0; step < SYSVA_PAGES + npages; step++) {
		size_t page = (sysva_cursor + step) % SYSVA_PAGES;

		if (page == 0)
			run = 0; /* a run must not wrap around the end of the range */
		run = sysva_busy(page) ? 0 : run + 1;
		if (run == npages) {
			sysva_mark(page + 1 - npages, npages, true);
			sysva_cursor = (page + 1) % SYSVA_PAGES;
			return SYSVA_BASE + (page + 1 - npages) * PLAT_PAGE_SIZE;
		}
	}
	return 0;
}

void sysva_free(uint64_t va, size_t npages)
{
	size_t page = (va - SYSVA_BASE) / PLAT_PAGE_SIZE;
	uint64_t pa;
	unsigned flags;

	if (va % PLAT_PAGE_SIZE || !npages || !in_system_range(va, npages))
		plat_panic("sysva_free(%p, %zu): not in the system range", (void *)(uintptr_t)va,
			   npages);
	for (size_t i = 0; i < npages; i++) {
		if (!sysva_busy(page + i))
			plat_panic("sysva_free(%p, %zu): page %zu is not allocated",
				   (void *)(uintptr_t)va, npages, i);
		if (vm_translate(va + i * PLAT_PAGE_SIZE, &pa, &flags) == 0)
			plat_panic("sysva_free(%p, %zu): page %zu is still mapped",
				   (void *)(uintptr_t)va, npages, i);
	}
	sysva_mark(page, npages, false);
}

void *plat_shared_data(void)
{
	return shared_data;
}

/*
 * The identity map's 4 KiB view of the page at `pa` below the image's end:
 * page 0 absent (a NULL dereference faults), the image's code read-only and
 * the only executable RAM, the rest writable data.
 */
static uint64_t low_page_entry(uint64_t pa)
{
	if (pa == 0)
		return 0;
	if (pa >= (uintptr_t)image_text_start && pa < (uintptr_t)etext)
		return pa | PTE_PRESENT;
	return pa | PTE_PRESENT | PTE_WRITE | PTE_NX;
}

/* Replace the 2 MiB pages from 0 to the image's end by 4 KiB pages (low_page_entry). */
static void split_low_pages(void)
{
	const uint64_t large = 1ull << LEVEL_SHIFT(1);

	for (uint64_t base = 0; base < (uintptr_t)__end__; base += large) {
		uint64_t *table = page_alloc(1);

		if (!table)
			plat_panic("no memory for the page tables");
		for (unsigned i = 0; i < ENTRIES; i++)
			table[i] = low_page_entry(base + i * PLAT_PAGE_SIZE);
		boot_pd[base / large] = (uintptr_t)table | PTE_PRESENT | PTE_WRITE;
	}
}

void paging_init(void)
{
	uint64_t *system_pdpt = page_alloc(1);
	uint64_t *shared_pte;

	if (!system_pdpt)
		plat_panic("no memory for the page tables");
	wrmsr(MSR_PAT, PAT_VALUE);
	split_low_pages();
	boot_pml4[table_index(SYSVA_BASE, 3)] = (uintptr_t)system_pdpt | PTE_PRESENT | PTE_WRITE;

	shared_data = page_alloc(1);
	shared_pte = shared_data ? pte_for(SHARED_DATA_VA, true) : NULL;
	if (!shared_pte)
		plat_panic("no memory for KUSER_SHARED_DATA");
	*shared_pte = (uintptr_t)shared_data | PTE_PRESENT | PTE_NX;
	write_cr3(read_cr3());
}
