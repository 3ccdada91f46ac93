/* SPDX-License-Identifier: MIT */
/*
 * MDLs: made by IoAllocateMdl (or MmAllocatePagesForMdlEx, mm_pages.c),
 * described by MmProbeAndLockPages or MmBuildMdlForNonPagedPool, mapped by
 * MmMapLockedPagesSpecifyCache into the system range or into the calling
 * process.  Each MDL the harness made has a record: where it came from,
 * whether its pages are locked, and its live user mappings, so that
 * freeing, unlocking and unmapping in the wrong order are violations.
 */
#include "internal.h"

#ifndef MdlMappingNoExecute
#define MdlMappingNoExecute 0x40000000
#endif

struct user_mapping {
	struct nt_process *process;
	uint64_t va;
	size_t npages;
	struct user_mapping *next;
};

struct mdl_record {
	PMDL mdl;
	enum mdl_source source;
	bool probe_locked;
	uint64_t system_va; /* our mapping of it into the system range, 0 if none */
	size_t system_pages;
	struct user_mapping *user_maps;
	struct mdl_record *next;
};

static struct mdl_record *records;
static uint64_t locked_pages, user_views, mdl_count;

static ULONG span_pages(const void *va, ULONG length)
{
	return (ULONG)ADDRESS_AND_SIZE_TO_SPAN_PAGES(va, length);
}

static struct mdl_record *record_of(const MDL *mdl)
{
	struct mdl_record *r;

	for (r = records; r; r = r->next)
		if (r->mdl == mdl)
			return r;
	return NULL;
}

void nt_mdl_track(PMDL mdl, enum mdl_source source)
{
	struct mdl_record *r = heap_alloc(sizeof(*r));

	if (!r)
		plat_exit(5);
	r->mdl = mdl;
	r->source = source;
	r->next = records;
	records = r;
	mdl_count++;
}

static struct mdl_record *checked(PMDL mdl, const char *routine, const void *caller)
{
	struct mdl_record *r = record_of(mdl);

	if (!r)
		nt_violation(routine, "not an MDL the kernel made", caller, "%p", (void *)mdl);
	return r;
}

void nt_mdl_untrack(PMDL mdl, const char *routine, const void *caller)
{
	struct mdl_record **link, *r = checked(mdl, routine, caller);

	if (r->user_maps)
		nt_violation(routine, "freeing an MDL still mapped into a process", caller,
			     "MdlMappingNoExecute: MmUnmapLockedPages comes first (MDL %p)",
			     (void *)mdl);
	if (r->probe_locked)
		nt_violation(routine, "freeing an MDL whose pages are still locked", caller,
			     "MmUnlockPages comes first (MDL %p)", (void *)mdl);
	if (r->system_va)
		nt_violation(routine, "freeing an MDL still mapped into the system range", caller,
			     "MDL %p", (void *)mdl);
	for (link = &records; *link != r; link = &(*link)->next)
		;
	*link = r->next;
	heap_free(r);
	mdl_count--;
}

uint64_t nt_mm_mdls(void)
{
	return mdl_count;
}

uint64_t nt_mm_locked_pages(void)
{
	return locked_pages;
}

uint64_t nt_mm_mapped_views(void)
{
	return user_views;
}

const char *nt_mm_process_mapping(uint64_t pa, uint64_t len)
{
	const struct mdl_record *r;

	for (r = records; r; r = r->next) {
		ULONG pages = span_pages(MmGetMdlVirtualAddress(r->mdl), r->mdl->ByteCount), i;

		if (!r->user_maps)
			continue;
		for (i = 0; i < pages; i++) {
			uint64_t page = (uint64_t)MmGetMdlPfnArray(r->mdl)[i] << PAGE_SHIFT;

			if (page >= pa && page - pa < len)
				return r->user_maps->process->name;
		}
	}
	return NULL;
}

void nt_mdl_pages_locked(int64_t delta)
{
	locked_pages += (uint64_t)delta;
}

/* learn.microsoft.com: wdm/nf-wdm-ioallocatemdl */
PMDL IoAllocateMdl(PVOID va, ULONG length, BOOLEAN secondary, BOOLEAN charge_quota, PIRP irp)
{
	ULONG pages;
	PMDL mdl;

	ENTER("IoAllocateMdl", DISPATCH_LEVEL);
	if (length == 0 || length > MAXULONG - PAGE_SIZE + 1)
		return NULL;
	if (nt_fault_now("IoAllocateMdl", CALLER()))
		return NULL;
	pages = span_pages(va, length);
	mdl = heap_alloc(sizeof(MDL) + pages * sizeof(PFN_NUMBER));
	if (!mdl)
		return NULL;
	MmInitializeMdl(mdl, va, length);
	nt_mdl_track(mdl, MDL_FROM_IO_ALLOCATE);
	if (irp) {
		if (!secondary) {
			irp->MdlAddress = mdl;
		} else {
			PMDL last = irp->MdlAddress;

			while (last && last->Next)
				last = last->Next;
			if (last)
				last->Next = mdl;
			else
				irp->MdlAddress = mdl;
		}
	}
	return mdl;
}

/* learn.microsoft.com: wdm/nf-wdm-iofreemdl */
VOID IoFreeMdl(PMDL mdl)
{
	struct mdl_record *r;

	ENTER("IoFreeMdl", DISPATCH_LEVEL);
	r = checked(mdl, "IoFreeMdl", CALLER());
	if (r->source != MDL_FROM_IO_ALLOCATE)
		nt_violation("IoFreeMdl", "not an MDL from IoAllocateMdl", CALLER(),
			     "MDL %p came from MmAllocatePagesForMdlEx: MmFreePagesFromMdl and "
			     "ExFreePool free it",
			     (void *)mdl);
	nt_mdl_untrack(mdl, "IoFreeMdl", CALLER());
	heap_free(mdl);
}

/* learn.microsoft.com: wdm/nf-wdm-mmprobeandlockpages */
VOID MmProbeAndLockPages(PMDL mdl, KPROCESSOR_MODE mode, LOCK_OPERATION operation)
{
	struct mdl_record *r;
	PPFN_NUMBER pfns = MmGetMdlPfnArray(mdl);
	uint64_t start = (uint64_t)(uintptr_t)MmGetMdlVirtualAddress(mdl);
	ULONG i, pages = span_pages(MmGetMdlVirtualAddress(mdl), mdl->ByteCount);

	ENTER("MmProbeAndLockPages", start < USER_VA_END ? APC_LEVEL : DISPATCH_LEVEL);
	r = checked(mdl, "MmProbeAndLockPages", CALLER());
	if (r->probe_locked || (mdl->MdlFlags & (MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL)))
		nt_violation("MmProbeAndLockPages", "the MDL already describes locked pages",
			     CALLER(), "MDL %p, flags 0x%x", (void *)mdl, mdl->MdlFlags);
	for (i = 0; i < pages; i++) {
		uint64_t va = (uint64_t)(uintptr_t)mdl->StartVa + (uint64_t)i * PAGE_SIZE, pa;
		unsigned flags;

		if ((mode == UserMode && (va < USER_VA_BASE || va >= USER_VA_END)) ||
		    vm_translate(va, &pa, &flags) != 0 ||
		    (operation != IoReadAccess && !(flags & VM_WRITE)))
			nt_raise(STATUS_ACCESS_VIOLATION, "MmProbeAndLockPages", CALLER());
		pfns[i] = (PFN_NUMBER)(pa >> PAGE_SHIFT);
	}
	mdl->MdlFlags |= MDL_PAGES_LOCKED;
	mdl->Process = (PEPROCESS)nt_current_process();
	r->probe_locked = true;
	nt_mdl_pages_locked(pages);
}

static void unmap_system(struct mdl_record *r)
{
	if (!r->system_va)
		return;
	vm_unmap(r->system_va, r->system_pages);
	sysva_free(r->system_va, r->system_pages);
	r->system_va = 0;
	r->mdl->MdlFlags &= ~MDL_MAPPED_TO_SYSTEM_VA;
	r->mdl->MappedSystemVa = NULL;
}

/* learn.microsoft.com: wdm/nf-wdm-mmunlockpages */
VOID MmUnlockPages(PMDL mdl)
{
	struct mdl_record *r;

	ENTER("MmUnlockPages", DISPATCH_LEVEL);
	r = checked(mdl, "MmUnlockPages", CALLER());
	if (!r->probe_locked)
		nt_violation("MmUnlockPages", "the pages were not locked by MmProbeAndLockPages",
			     CALLER(), "MDL %p", (void *)mdl);
	if (r->user_maps)
		nt_violation("MmUnlockPages", "unlocking pages still mapped into a process",
			     CALLER(), "MDL %p", (void *)mdl);
	unmap_system(r);
	r->probe_locked = false;
	mdl->MdlFlags &= ~MDL_PAGES_LOCKED;
	nt_mdl_pages_locked(-(int64_t)span_pages(MmGetMdlVirtualAddress(mdl), mdl->ByteCount));
}

/* learn.microsoft.com: wdm/nf-wdm-mmbuildmdlfornonpagedpool */
VOID MmBuildMdlForNonPagedPool(PMDL mdl)
{
	PPFN_NUMBER pfns = MmGetMdlPfnArray(mdl);
	ULONG i, pages = span_pages(MmGetMdlVirtualAddress(mdl), mdl->ByteCount);

	ENTER("MmBuildMdlForNonPagedPool", DISPATCH_LEVEL);
	checked(mdl, "MmBuildMdlForNonPagedPool", CALLER());
	for (i = 0; i < pages; i++) {
		uint64_t va = (uint64_t)(uintptr_t)mdl->StartVa + (uint64_t)i * PAGE_SIZE, pa;
		unsigned flags;

		if (va < USER_VA_END || vm_translate(va, &pa, &flags) != 0)
			nt_violation("MmBuildMdlForNonPagedPool", "not nonpaged kernel memory",
				     CALLER(), "page at 0x%llx", (unsigned long long)va);
		pfns[i] = (PFN_NUMBER)(pa >> PAGE_SHIFT);
	}
	mdl->MdlFlags |= MDL_SOURCE_IS_NONPAGED_POOL;
	mdl->MappedSystemVa = (PCHAR)mdl->StartVa + mdl->ByteOffset;
}

static bool pages_describable(struct mdl_record *r)
{
	return r->probe_locked || r->source == MDL_FROM_PAGES ||
	       (r->mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
}

static unsigned map_flags(MEMORY_CACHING_TYPE cache, ULONG priority, bool user)
{
	unsigned flags = VM_WRITE;

	if (user)
		flags |= VM_USER;
	if (user || (priority & MdlMappingNoExecute))
		flags |= VM_NX;
	if (cache == MmNonCached)
		flags |= VM_UNCACHED;
	else if (cache == MmWriteCombined)
		flags |= VM_WRITE_COMBINED;
	return flags;
}

static PVOID map_user(struct mdl_record *r, MEMORY_CACHING_TYPE cache, ULONG priority,
		      const void *caller)
{
	struct nt_process *proc = nt_current_process();
	PMDL mdl = r->mdl;
	ULONG pages = span_pages(MmGetMdlVirtualAddress(mdl), mdl->ByteCount), i;
	uint64_t va = nt_user_reserve(proc, pages);
	struct user_mapping *m;

	if (!va)
		nt_raise(STATUS_INSUFFICIENT_RESOURCES, "MmMapLockedPagesSpecifyCache", caller);
	for (i = 0; i < pages; i++)
		if (vm_map(va + (uint64_t)i * PAGE_SIZE,
			   (uint64_t)MmGetMdlPfnArray(mdl)[i] << PAGE_SHIFT, 1,
			   map_flags(cache, priority, true)) != 0)
			plat_exit(5);
	m = heap_alloc(sizeof(*m));
	if (!m)
		plat_exit(5);
	m->process = proc;
	m->va = va;
	m->npages = pages;
	m->next = r->user_maps;
	r->user_maps = m;
	user_views++;
	return (PVOID)(uintptr_t)(va + mdl->ByteOffset);
}

static PVOID map_system(struct mdl_record *r, MEMORY_CACHING_TYPE cache, ULONG priority)
{
	PMDL mdl = r->mdl;
	ULONG pages = span_pages(MmGetMdlVirtualAddress(mdl), mdl->ByteCount), i;
	uint64_t va;

	if (mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL)
		return mdl->MappedSystemVa;
	if (r->system_va)
		return mdl->MappedSystemVa;
	va = sysva_alloc(pages);
	if (!va)
		return NULL;
	for (i = 0; i < pages; i++)
		if (vm_map(va + (uint64_t)i * PAGE_SIZE,
			   (uint64_t)MmGetMdlPfnArray(mdl)[i] << PAGE_SHIFT, 1,
			   map_flags(cache, priority, false)) != 0)
			plat_exit(5);
	r->system_va = va;
	r->system_pages = pages;
	mdl->MappedSystemVa = (PVOID)(uintptr_t)(va + mdl->ByteOffset);
	mdl->MdlFlags |= MDL_MAPPED_TO_SYSTEM_VA;
	return mdl->MappedSystemVa;
}

/* learn.microsoft.com: wdm/nf-wdm-mmmaplockedpagesspecifycache */
PVOID MmMapLockedPagesSpecifyCache(PMDL mdl, KPROCESSOR_MODE mode, MEMORY_CACHING_TYPE cache,
				   PVOID requested, ULONG bugcheck, MM_PAGE_PRIORITY page_priority)
{
	ULONG priority = (ULONG)page_priority;
	struct mdl_record *r;

	ENTER("MmMapLockedPagesSpecifyCache", mode == UserMode ? APC_LEVEL : DISPATCH_LEVEL);
	r = checked(mdl, "MmMapLockedPagesSpecifyCache", CALLER());
	if (!pages_describable(r))
		nt_violation("MmMapLockedPagesSpecifyCache",
			     "the MDL must come from MmProbeAndLockPages, MmAllocatePagesForMdlEx "
			     "or MmBuildMdlForNonPagedPool",
			     CALLER(), "MDL %p (flags 0x%x) was filled in by hand", (void *)mdl,
			     mdl->MdlFlags);
	if (requested)
		nt_violation("MmMapLockedPagesSpecifyCache", "RequestedAddress must be NULL",
			     CALLER(), "%p", requested);
	if (mode == UserMode) {
		if (!nt_current_process()->space)
			nt_violation("MmMapLockedPagesSpecifyCache",
				     "UserMode mapping in a process without user space", CALLER(),
				     "current process %s", nt_current_process()->name);
		if (nt_fault_now("MmMapLockedPagesSpecifyCache", CALLER()))
			nt_raise(STATUS_INSUFFICIENT_RESOURCES, "MmMapLockedPagesSpecifyCache",
				 CALLER());
		return map_user(r, cache, priority, CALLER());
	}
	if (nt_fault_now("MmMapLockedPagesSpecifyCache", CALLER()))
		return NULL;
	return map_system(r, cache, priority);
}

/* learn.microsoft.com: wdm/nf-wdm-mmunmaplockedpages */
VOID MmUnmapLockedPages(PVOID base, PMDL mdl)
{
	uint64_t va = (uint64_t)(uintptr_t)base & ~(uint64_t)(PAGE_SIZE - 1);
	struct user_mapping **link, *m;
	struct mdl_record *r;

	ENTER("MmUnmapLockedPages", va < USER_VA_END ? APC_LEVEL : DISPATCH_LEVEL);
	r = checked(mdl, "MmUnmapLockedPages", CALLER());
	if (va >= USER_VA_END) {
		if (!r->system_va || va != r->system_va)
			nt_violation("MmUnmapLockedPages", "not this MDL's system mapping",
				     CALLER(), "%p", base);
		unmap_system(r);
		return;
	}
	for (link = &r->user_maps; (m = *link); link = &m->next)
		if (m->va == va)
			break;
	if (!m)
		nt_violation("MmUnmapLockedPages", "not a mapping of this MDL", CALLER(),
			     "%p, MDL %p", base, (void *)mdl);
	if (m->process != nt_current_process())
		nt_violation("MmUnmapLockedPages", "a user mapping is removed in its own process",
			     CALLER(), "mapped in %s, removed in %s", m->process->name,
			     nt_current_process()->name);
	vm_unmap(m->va, m->npages);
	*link = m->next;
	heap_free(m);
	user_views--;
}
