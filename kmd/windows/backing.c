// SPDX-License-Identifier: MIT
/*
 * Resource backing: zeroed pages from anywhere in physical memory, one MDL
 * per resource (no contiguous pool), described to the device as extents of
 * physically adjacent pages.
 */
#include "vgpu_win.h"

#include "vgpu/vgpu_abi.h"

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

	if (!out || size == 0 || (size & (PAGE_SIZE - 1)) || size > MAXULONG)
		return VGPU_E_INVALID;
	low.QuadPart = 0;
	high.QuadPart = -1;
	skip.QuadPart = 0;
	/* Fully required: all of it or nothing.  The pages come zeroed. */
	mdl = MmAllocatePagesForMdlEx(low, high, skip, (SIZE_T)size, MmCached,
				      MM_ALLOCATE_FULLY_REQUIRED);
	if (!mdl)
		return VGPU_E_NO_MEMORY;
	if (MmGetMdlByteCount(mdl) != size) {
		free_pages(mdl);
		return VGPU_E_NO_MEMORY;
	}
	npages = (ULONG)(size >> PAGE_SHIFT);
	nents = pfn_runs(MmGetMdlPfnArray(mdl), npages, NULL);
	backing = dev->os.alloc(dev, sizeof(*backing) + nents * sizeof(struct vgpu_extent));
	if (!backing) {
		free_pages(mdl);
		return VGPU_E_NO_MEMORY;
	}
	backing->size = size;
	backing->nents = nents;
	backing->ents = (struct vgpu_extent *)(backing + 1);
	backing->os_priv = mdl;
	pfn_runs(MmGetMdlPfnArray(mdl), npages, backing->ents);
	*out = backing;
	return VGPU_OK;
}

void win_backing_free(void *ctx, struct vgpu_backing *backing)
{
	struct win_device *dev = ctx;

	if (!backing)
		return;
	free_pages(backing->os_priv);
	dev->os.free(dev, backing);
}
