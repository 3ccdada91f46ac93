/* SPDX-License-Identifier: MIT */
/*
 * Physical memory for the driver: pages for an MDL, contiguous blocks,
 * register space mapped uncached, the RAM ranges, physical addresses.
 * Register mappings are tracked so that once the device is gone
 * (nt_mm_revoke_io) every access to them faults, and the fault is a
 * violation naming the driver's instruction.
 */
#include "internal.h"

#define FRESH_FILL 0xCDu
#define MAX_IO_MAPS 64u
#define MAX_CONTIG 512u
#define MAX_REVOKED 8u

struct io_map {
	uint64_t va, pa, size; /* va and pa page aligned; size in bytes, page rounded */
	bool revoked;
	bool floating; /* reads all ones (nt_mm_float_io) */
};

struct contig {
	void *va;
	size_t npages;
};

struct range {
	uint64_t pa, len;
};

static struct io_map io_maps[MAX_IO_MAPS];
static struct contig contigs[MAX_CONTIG];
static struct range revoked[MAX_REVOKED];
static unsigned nrevoked;
static uint64_t contiguous_bytes;
static bool contiguous_preferred = true;
static size_t last_runs;

static uint64_t page_floor(uint64_t v)
{
	return v & ~(uint64_t)(PAGE_SIZE - 1);
}

static uint64_t page_ceil(uint64_t v)
{
	return (v + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
}

/* learn.microsoft.com: wdm/nf-wdm-mmallocatepagesformdlex */
PMDL MmAllocatePagesForMdlEx(PHYSICAL_ADDRESS low, PHYSICAL_ADDRESS high, PHYSICAL_ADDRESS skip,
			     SIZE_T total, MEMORY_CACHING_TYPE cache, ULONG flags)
{
	size_t npages = (total + PAGE_SIZE - 1) / PAGE_SIZE, i;
	uint8_t *run;
	PPFN_NUMBER pfns;
	PMDL mdl;

	ENTER("MmAllocatePagesForMdlEx", DISPATCH_LEVEL);
	if (!npages || total > MAXULONG - PAGE_SIZE + 1)
		return NULL;
	if (nt_fault_now("MmAllocatePagesForMdlEx", CALLER()))
		return NULL;
	/* The MDL is pool: the caller frees it with ExFreePool after MmFreePagesFromMdl. */
	mdl = nt_pool_alloc_for_driver(NonPagedPoolNx, sizeof(MDL) + npages * sizeof(PFN_NUMBER),
				       NT_TAG('M', 'm', 'M', 'd'), CALLER());
	if (!mdl)
		return NULL;
	MmInitializeMdl(mdl, NULL, (ULONG)(npages * PAGE_SIZE));
	pfns = MmGetMdlPfnArray(mdl);
	/* Windows gives a contiguous run when asked and it has one; otherwise pages from anywhere. */
	run = (flags & MM_ALLOCATE_PREFER_CONTIGUOUS) && contiguous_preferred ? page_alloc(npages)
									      : NULL;
	for (i = 0; i < npages; i++) {
		uint8_t *page = run ? run + i * PAGE_SIZE : page_alloc_scattered();

		if (!page) {
			while (i--)
				page_free((void *)(uintptr_t)(pfns[i] << PAGE_SHIFT), 1);
			nt_pool_free_any(mdl, "MmAllocatePagesForMdlEx", CALLER());
			return NULL;
		}
		if (flags & MM_DONT_ZERO_ALLOCATION)
			memset(page, FRESH_FILL, PAGE_SIZE);
		pfns[i] = (PFN_NUMBER)((uint64_t)(uintptr_t)page >> PAGE_SHIFT);
	}
	last_runs = 1;
	for (i = 1; i < npages; i++)
		last_runs += pfns[i] != pfns[i - 1] + 1;
	mdl->MdlFlags |= MDL_PAGES_LOCKED;
	nt_mdl_track(mdl, MDL_FROM_PAGES);
	nt_mdl_pages_locked((int64_t)npages);
	return mdl;
}

void nt_mm_prefer_contiguous(bool honoured)
{
	contiguous_preferred = honoured;
}

size_t nt_mm_last_pages_runs(void)
{
	return last_runs;
}

/* learn.microsoft.com: wdm/nf-wdm-mmfreepagesfrommdl */
VOID MmFreePagesFromMdl(PMDL mdl)
{
	PPFN_NUMBER pfns = MmGetMdlPfnArray(mdl);
	size_t npages = mdl->ByteCount / PAGE_SIZE, i;

	ENTER("MmFreePagesFromMdl", DISPATCH_LEVEL);
	nt_mdl_untrack(mdl, "MmFreePagesFromMdl", CALLER());
	for (i = 0; i < npages; i++)
		page_free((void *)(uintptr_t)(pfns[i] << PAGE_SHIFT), 1);
	nt_mdl_pages_locked(-(int64_t)npages);
	mdl->MdlFlags &= ~MDL_PAGES_LOCKED;
}

static PVOID allocate_contiguous(SIZE_T size, ULONG protect, const char *routine,
				 const void *caller)
{
	size_t npages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	unsigned i;
	void *va;

	if ((protect & 0xFFu) != PAGE_READWRITE && (protect & 0xFFu) != PAGE_READONLY)
		nt_violation(routine, "Protect must be PAGE_READWRITE or PAGE_READONLY", caller,
			     "0x%lx: executable memory is what memory integrity forbids",
			     (unsigned long)protect);
	if (!npages || nt_fault_now(routine, caller))
		return NULL;
	for (i = 0; i < MAX_CONTIG && contigs[i].va; i++)
		;
	if (i == MAX_CONTIG)
		return NULL;
	va = page_alloc(npages);
	if (!va)
		return NULL;
	memset(va, FRESH_FILL, npages * PAGE_SIZE);
	contigs[i].va = va;
	contigs[i].npages = npages;
	contiguous_bytes += npages * PAGE_SIZE;
	return va;
}

/* learn.microsoft.com: wdm/nf-wdm-mmallocatecontiguousnodememory */
static PVOID NTAPI MmAllocateContiguousNodeMemory(SIZE_T size, PHYSICAL_ADDRESS low,
						  PHYSICAL_ADDRESS high, PHYSICAL_ADDRESS boundary,
						  ULONG protect, NODE_REQUIREMENT node)
{
	ENTER("MmAllocateContiguousNodeMemory", DISPATCH_LEVEL);
	return allocate_contiguous(size, protect, "MmAllocateContiguousNodeMemory", CALLER());
}

/* learn.microsoft.com: wdm/nf-wdm-mmfreecontiguousmemory */
VOID MmFreeContiguousMemory(PVOID va)
{
	unsigned i;

	ENTER("MmFreeContiguousMemory", APC_LEVEL);
	for (i = 0; i < MAX_CONTIG; i++)
		if (contigs[i].va == va && va)
			break;
	if (i == MAX_CONTIG)
		nt_violation("MmFreeContiguousMemory", "not the start of a contiguous allocation",
			     CALLER(), "%p", va);
	page_free(va, contigs[i].npages);
	contiguous_bytes -= contigs[i].npages * PAGE_SIZE;
	contigs[i].va = NULL;
}

uint64_t nt_mm_contiguous_bytes(void)
{
	return contiguous_bytes;
}

/* learn.microsoft.com: ntddk/nf-ntddk-mmgetphysicaladdress */
PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID va)
{
	PHYSICAL_ADDRESS pa;
	uint64_t addr;
	unsigned flags;

	ENTER("MmGetPhysicalAddress", HIGH_LEVEL);
	pa.QuadPart =
		vm_translate((uint64_t)(uintptr_t)va, &addr, &flags) == 0 ? (LONGLONG)addr : 0;
	return pa;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static PVOID map_io(uint64_t pa, SIZE_T size, unsigned flags, const char *routine,
		    const void *caller)
{
	uint64_t base = page_floor(pa), len = page_ceil(pa + size) - base, va;
	unsigned i, slot = MAX_IO_MAPS;

	if (!size)
		nt_violation(routine, "zero NumberOfBytes", caller, "at 0x%llx",
			     (unsigned long long)pa);
	for (i = 0; i < nrevoked; i++)
		if (overlaps(base, len, revoked[i].pa, revoked[i].len))
			nt_violation(routine, "mapping registers of a device that is gone", caller,
				     "0x%llx+0x%llx", (unsigned long long)pa,
				     (unsigned long long)size);
	if (nt_fault_now(routine, caller))
		return NULL;
	for (i = 0; i < MAX_IO_MAPS; i++)
		if (!io_maps[i].va)
			slot = i;
	va = slot == MAX_IO_MAPS ? 0 : sysva_alloc(len / PAGE_SIZE);
	if (!va)
		return NULL;
	if (vm_map(va, base, len / PAGE_SIZE, flags | VM_WRITE | VM_NX) != 0)
		plat_exit(5);
	io_maps[slot] = (struct io_map){ va, base, len, false };
	return (PVOID)(uintptr_t)(va + (pa - base));
}

uint64_t nt_mm_io_mappings(void)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < MAX_IO_MAPS; i++)
		n += io_maps[i].va != 0;
	return n;
}

/* learn.microsoft.com: wdm/nf-wdm-mmmapiospace */
PVOID MmMapIoSpace(PHYSICAL_ADDRESS pa, SIZE_T size, MEMORY_CACHING_TYPE cache)
{
	ENTER("MmMapIoSpace", DISPATCH_LEVEL);
	return map_io((uint64_t)pa.QuadPart, size,
		      cache == MmCached          ? 0
		      : cache == MmWriteCombined ? VM_WRITE_COMBINED
						 : VM_UNCACHED,
		      "MmMapIoSpace", CALLER());
}

/* learn.microsoft.com: wdm/nf-wdm-mmmapiospaceex */
static PVOID NTAPI MmMapIoSpaceEx(PHYSICAL_ADDRESS pa, SIZE_T size, ULONG protect)
{
	ENTER("MmMapIoSpaceEx", DISPATCH_LEVEL);
	if ((protect & 0xFFu) != PAGE_READWRITE && (protect & 0xFFu) != PAGE_READONLY)
		nt_violation("MmMapIoSpaceEx", "Protect must be PAGE_READWRITE or PAGE_READONLY",
			     CALLER(), "0x%lx", (unsigned long)protect);
	return map_io((uint64_t)pa.QuadPart, size,
		      (protect & PAGE_WRITECOMBINE) ? VM_WRITE_COMBINED
		      : (protect & PAGE_NOCACHE)    ? VM_UNCACHED
						    : 0,
		      "MmMapIoSpaceEx", CALLER());
}

/* learn.microsoft.com: wdm/nf-wdm-mmunmapiospace */
VOID MmUnmapIoSpace(PVOID va, SIZE_T size)
{
	uint64_t addr = (uint64_t)(uintptr_t)va, base = page_floor(addr);
	unsigned i;

	ENTER("MmUnmapIoSpace", DISPATCH_LEVEL);
	for (i = 0; i < MAX_IO_MAPS; i++)
		if (io_maps[i].va == base && page_ceil(addr + size) - base == io_maps[i].size)
			break;
	if (i == MAX_IO_MAPS)
		nt_violation("MmUnmapIoSpace", "not a mapping MmMapIoSpace returned, with its size",
			     CALLER(), "%p, %llu bytes", va, (unsigned long long)size);
	if (!io_maps[i].revoked)
		vm_unmap(io_maps[i].va, io_maps[i].size / PAGE_SIZE);
	sysva_free(io_maps[i].va, io_maps[i].size / PAGE_SIZE);
	io_maps[i].va = 0;
}

void nt_mm_revoke_io(uint64_t pa, uint64_t len, const char *why)
{
	unsigned i;

	if (nrevoked < MAX_REVOKED)
		revoked[nrevoked++] = (struct range){ pa, len };
	for (i = 0; i < MAX_IO_MAPS; i++) {
		if (!io_maps[i].va || io_maps[i].revoked ||
		    !overlaps(io_maps[i].pa, io_maps[i].size, pa, len))
			continue;
		vm_unmap(io_maps[i].va, io_maps[i].size / PAGE_SIZE);
		io_maps[i].revoked = true;
		io_maps[i].floating = false;
	}
	con_printf("# device registers 0x%llx+0x%llx revoked: %s\n", (unsigned long long)pa,
		   (unsigned long long)len, why);
}

/* One read-only page of ones stands in for the registers of a function that does not decode. */
static uint64_t ones_page(void)
{
	static void *page;

	if (!page) {
		page = page_alloc(1);
		if (!page)
			plat_exit(5);
		memset(page, 0xFF, PAGE_SIZE);
	}
	return (uint64_t)(uintptr_t)page;
}

void nt_mm_float_io(uint64_t pa, uint64_t len)
{
	unsigned i;
	uint64_t p;

	for (i = 0; i < MAX_IO_MAPS; i++) {
		if (!io_maps[i].va || io_maps[i].revoked || io_maps[i].floating ||
		    !overlaps(io_maps[i].pa, io_maps[i].size, pa, len))
			continue;
		vm_unmap(io_maps[i].va, io_maps[i].size / PAGE_SIZE);
		for (p = 0; p < io_maps[i].size; p += PAGE_SIZE)
			if (vm_map(io_maps[i].va + p, ones_page(), 1, VM_NX) != 0)
				plat_exit(5);
		io_maps[i].floating = true;
	}
}

void nt_mm_restore_io(uint64_t pa, uint64_t len)
{
	unsigned i, j;

	for (i = 0; i < nrevoked;) {
		if (overlaps(revoked[i].pa, revoked[i].len, pa, len))
			revoked[i] = revoked[--nrevoked];
		else
			i++;
	}
	for (j = 0; j < MAX_IO_MAPS; j++) {
		if (!io_maps[j].va || !(io_maps[j].revoked || io_maps[j].floating) ||
		    !overlaps(io_maps[j].pa, io_maps[j].size, pa, len))
			continue;
		if (io_maps[j].floating)
			vm_unmap(io_maps[j].va, io_maps[j].size / PAGE_SIZE);
		if (vm_map(io_maps[j].va, io_maps[j].pa, io_maps[j].size / PAGE_SIZE,
			   VM_WRITE | VM_NX | VM_UNCACHED) != 0)
			plat_exit(5);
		io_maps[j].revoked = false;
		io_maps[j].floating = false;
	}
}

/* learn.microsoft.com: wdm/nf-wdm-mmgetphysicalmemoryrangesex2 */
static PPHYSICAL_MEMORY_RANGE NTAPI MmGetPhysicalMemoryRangesEx2(PVOID partition, ULONG flags)
{
	PPHYSICAL_MEMORY_RANGE ranges;

	ENTER("MmGetPhysicalMemoryRangesEx2", PASSIVE_LEVEL);
	if (nt_fault_now("MmGetPhysicalMemoryRangesEx2", CALLER()))
		return NULL;
	ranges = nt_pool_alloc_for_driver(NonPagedPoolNx, 2 * sizeof(*ranges),
					  NT_TAG('M', 'm', 'R', 'g'), CALLER());
	if (!ranges)
		return NULL;
	memset(ranges, 0, 2 * sizeof(*ranges));
	ranges[0].BaseAddress.QuadPart = 0;
	ranges[0].NumberOfBytes.QuadPart = (LONGLONG)plat_ram_bytes();
	return ranges;
}

/* What a fault in the driver means, as the rule it breaks. */
static bool on_trap(struct trap_frame *frame, uint64_t cr2)
{
	const char *rule = "exception in kernel mode";
	unsigned i;

	if (frame->vector == 14) {
		rule = "page fault in kernel mode";
		for (i = 0; i < MAX_IO_MAPS; i++) {
			if (!io_maps[i].va || cr2 < io_maps[i].va ||
			    cr2 >= io_maps[i].va + io_maps[i].size)
				continue;
			if (io_maps[i].revoked)
				rule = "touching the registers of a device that is gone";
			else if (io_maps[i].floating)
				rule = "writing the registers of a function in D3 (it takes no "
				       "writes)";
		}
		if (cr2 >= SYSVA_BASE && cr2 < SYSVA_END && rule[0] == 'p' && rule[1] == 'a')
			rule = "touching a system mapping that was released";
		if (cr2 < PAGE_SIZE * 16)
			rule = "NULL pointer dereference";
	}
	nt_violation("CPU", rule, (const void *)(uintptr_t)frame->rip,
		     "vector %llu, error 0x%llx, address 0x%llx", (unsigned long long)frame->vector,
		     (unsigned long long)frame->error, (unsigned long long)cr2);
}

void nt_mm_init(void)
{
	plat_set_trap_hook(on_trap);
}

/* The routines newer than the DDK import libraries, found by name (exports.c). */
const void *const nt_mm_routine_mmallocatecontiguousnodememory = MmAllocateContiguousNodeMemory;
const void *const nt_mm_routine_mmmapiospaceex = MmMapIoSpaceEx;
const void *const nt_mm_routine_mmgetphysicalmemoryrangesex2 = MmGetPhysicalMemoryRangesEx2;
