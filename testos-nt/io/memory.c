/* SPDX-License-Identifier: MIT */
/*
 * The I/O manager's own memory: its bookkeeping on the harness heap, and
 * system-range pages for what drivers are handed (IRPs), so that memory
 * taken back can be unmapped and any later touch faults.
 */
#include "io_internal.h"

void *io_zalloc(size_t size)
{
	void *p = heap_alloc(size);

	if (!p)
		nt_violation("I/O manager", "the harness must not run out of its own memory",
			     IO_HERE(), "heap_alloc(%zu) failed", size);
	return p;
}

void *io_pages_map(size_t npages, uint64_t *pa)
{
	uint64_t va = sysva_alloc(npages);
	void *pages = page_alloc(npages);

	if (!va || !pages || vm_map(va, (uint64_t)(uintptr_t)pages, npages, VM_WRITE | VM_NX))
		nt_violation("I/O manager", "the harness must not run out of its own memory",
			     IO_HERE(), "%zu system pages", npages);
	*pa = (uint64_t)(uintptr_t)pages;
	return (void *)(uintptr_t)va;
}

void io_pages_unmap(void *va, size_t npages, uint64_t pa)
{
	vm_unmap((uint64_t)(uintptr_t)va, npages);
	page_free((void *)(uintptr_t)pa, npages);
}

void io_pages_release_va(void *va, size_t npages)
{
	sysva_free((uint64_t)(uintptr_t)va, npages);
}
