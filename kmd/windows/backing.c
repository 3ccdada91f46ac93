/* SPDX-License-Identifier: MIT */
/*
 * Resource backing, one allocation per resource (no pool set aside at
 * start), zeroed, with an MDL that maps it into a process:
 *  - scattered: pages from anywhere in physical memory, described to the
 *    device as extents of physically adjacent pages;
 *  - contiguous, for a device that takes each backing as one range
 *    (Mvisor's): one physically contiguous block.  Large blocks may fail
 *    once physical memory is fragmented; that resource's creation then
 *    fails with NO_MEMORY, nothing else does.
 */
#include "vgpu_win.h"

#include "vgpu/vgpu_abi.h"

/* What a backing's os_priv points to (placed right after it). */
struct win_backing_mem {
	PMDL mdl;
	PVOID contig_va; /* the contiguous block; NULL: pages of MmAllocatePagesForMdlEx */
};

/*
 * From this size a scattered backing asks for contiguous pages where
 * Windows has them: QEMU hands each extent to virglrenderer as one iovec,
 * and virglrenderer moves a texture's pixels through a temporary copy
 * whenever there is more than one (each readback of a frame, each upload).
 */
#define PREFER_CONTIGUOUS_BYTES (64u * 1024u)

/* IoAllocateMdl describes at most 4 GiB less a page (Windows 7 and later). */
#define MAX_BACKING_BYTES ((uint64_t)MAXULONG - PAGE_SIZE + 1)

static BOOLEAN size_ok(uint64_t size)
{
	return size != 0 && !(size & (PAGE_SIZE - 1)) && size <= MAX_BACKING_BYTES;
}

/* The backing, its win_backing_mem and `nents` extents in one allocation. */
static struct vgpu_backing *backing_new(struct win_device *dev, uint64_t size, uint32_t nents,
					PMDL mdl, PVOID contig_va)
{
	struct vgpu_backing *backing;
	struct win_backing_mem *mem;

	backing = dev->os.alloc(dev, sizeof(*backing) + sizeof(*mem) +
					     nents * sizeof(struct vgpu_extent));
	if (!backing)
		return NULL;
	mem = (struct win_backing_mem *)(backing + 1);
	mem->mdl = mdl;
	mem->contig_va = contig_va;
	backing->size = size;
	backing->nents = nents;
	backing->ents = (struct vgpu_extent *)(mem + 1);
	backing->os_priv = mem;
	return backing;
}

PMDL win_backing_mdl(const struct vgpu_backing *backing)
{
	const struct win_backing_mem *mem = backing->os_priv;

	return mem->mdl;
}

/* Runs of adjacent page frames; with `ents` NULL only counts them. */
static uint32_t pfn_runs(const PFN_NUMBER *pfns, ULONG npages, struct vgpu_extent *ents)
{
	uint32_t n = 0;
	ULONG i;

	for (i = 0; i < npages; i++) {
		if (i == 0 || pfns[i] != pfns[i - 1] + 1) {
			if (ents) {
				ents[n].pa = (uint64_t)pfns[i] << PAGE_SHIFT;
				ents[n].len = 0;
			}
			n++;
		}
		if (ents)
			ents[n - 1].len += PAGE_SIZE;
	}
	return n;
}

/* MmAllocatePagesForMdlEx's pages and the MDL it allocated for them. */
static void free_pages(PMDL mdl)
{
	MmFreePagesFromMdl(mdl);
	ExFreePool(mdl);
}

int win_backing_alloc(void *ctx, uint64_t size, struct vgpu_backing **out)
{
	struct win_device *dev = ctx;
	PHYSICAL_ADDRESS low, high, skip;
	struct vgpu_backing *backing;
	ULONG npages;
	uint32_t nents;
	PMDL mdl;

	if (!out || !size_ok(size))
		return VGPU_E_INVALID;
	low.QuadPart = 0;
	high.QuadPart = -1;
	skip.QuadPart = 0;
	/* Fully required: all of it or nothing.  The pages come zeroed. */
	mdl = MmAllocatePagesForMdlEx(
		low, high, skip, (SIZE_T)size, MmCached,
		MM_ALLOCATE_FULLY_REQUIRED |
			(size >= PREFER_CONTIGUOUS_BYTES ? MM_ALLOCATE_PREFER_CONTIGUOUS : 0));
	if (!mdl)
		return VGPU_E_NO_MEMORY;
	if (MmGetMdlByteCount(mdl) != size) {
		free_pages(mdl);
		return VGPU_E_NO_MEMORY;
	}
	npages = (ULONG)(size >> PAGE_SHIFT);
	nents = pfn_runs(MmGetMdlPfnArray(mdl), npages, NULL);
	backing = backing_new(dev, size, nents, mdl, NULL);
	if (!backing) {
		free_pages(mdl);
		return VGPU_E_NO_MEMORY;
	}
	pfn_runs(MmGetMdlPfnArray(mdl), npages, backing->ents);
	*out = backing;
	return VGPU_OK;
}

/*
 * Cached, non-executable, anywhere in physical memory (the device reaches
 * all of it), on any NUMA node.  The MDL over it is what user mappings of
 * nonpaged memory are built from (MmBuildMdlForNonPagedPool).
 */
int win_backing_alloc_contig(void *ctx, uint64_t size, struct vgpu_backing **out)
{
	struct win_device *dev = ctx;
	PHYSICAL_ADDRESS low, high, boundary;
	struct vgpu_backing *backing;
	PMDL mdl;
	PVOID va;

	if (!out || !size_ok(size))
		return VGPU_E_INVALID;
	low.QuadPart = 0;
	high.QuadPart = -1;
	boundary.QuadPart = 0;
	va = win_routines.alloc_contiguous_node((SIZE_T)size, low, high, boundary, PAGE_READWRITE,
						MM_ANY_NODE_OK);
	if (!va)
		return VGPU_E_NO_MEMORY;
	RtlZeroMemory(va, (SIZE_T)size);
	mdl = IoAllocateMdl(va, (ULONG)size, FALSE, FALSE, NULL);
	if (!mdl) {
		MmFreeContiguousMemory(va);
		return VGPU_E_NO_MEMORY;
	}
	MmBuildMdlForNonPagedPool(mdl);
	backing = backing_new(dev, size, 1, mdl, va);
	if (!backing) {
		IoFreeMdl(mdl);
		MmFreeContiguousMemory(va);
		return VGPU_E_NO_MEMORY;
	}
	backing->ents[0].pa = (uint64_t)MmGetPhysicalAddress(va).QuadPart;
	backing->ents[0].len = size;
	*out = backing;
	return VGPU_OK;
}

void win_backing_free(void *ctx, struct vgpu_backing *backing)
{
	struct win_device *dev = ctx;
	struct win_backing_mem *mem;

	if (!backing)
		return;
	mem = backing->os_priv;
	if (mem->contig_va) {
		IoFreeMdl(mem->mdl);
		MmFreeContiguousMemory(mem->contig_va);
	} else {
		free_pages(mem->mdl);
	}
	dev->os.free(dev, backing);
}
