/* SPDX-License-Identifier: MIT */
/*
 * Memory mapped into the process that opened the handle: a resource's
 * backing through its MDL, or device memory (a blob in the device's
 * host-visible window).  Windows documents user mappings only of MDLs that
 * MmProbeAndLockPages, MmAllocatePagesForMdlEx or MmBuildMdlForNonPagedPool
 * described, so device memory is first mapped into the system range
 * (MmMapIoSpaceEx, with the cache type the device asked for) and the MDL
 * built over that; the NT harness refuses an MDL filled in by hand.
 *
 * Device memory is never RAM that Windows owns: a mapping must lie inside
 * one of the device's memory BARs, or, for a window the host placed
 * outside them (Mvisor's), miss every range of RAM the kernel reports.
 * Anything else would hand a process pages of the kernel or of other
 * processes, or map RAM with a second cache type.
 *
 * MmMapLockedPagesSpecifyCache(UserMode) raises an exception instead of
 * returning NULL when the process has no room; it runs under
 * win_seh_call (seh_guard.S), so a failure becomes VGPU_E_NO_MEMORY.
 *
 * Device memory is the device's, not the process's: when the device gives
 * it up (surprise removal; or power-down, after which a new core hands
 * the same ranges to other programs) every process's mapping of it is
 * taken out, and the files it belonged to map no more.
 *
 * A user mapping may only be removed in its own process, while that
 * process's address space exists.  Calls on a handle are accepted only
 * from the process that opened it (file_io.c), so mappings are made there.
 * They are removed at CLEANUP, attaching to the owner if the last handle
 * was a duplicate closed elsewhere, and at the latest when the owner
 * exits: the process notify routine runs in the exiting process before
 * its address space is torn down, and unmaps whatever is still mapped.
 */
#include <ntifs.h>

#include "devmem.h"
#include "seh_guard.h"
#include "vgpu_win.h"

#include "vgpu/vgpu_abi.h"

#ifndef MdlMappingNoExecute
#define MdlMappingNoExecute 0x40000000
#endif

struct win_user_map {
	LIST_ENTRY node; /* in win_file.maps, under map_mutex */
	PMDL mdl;
	PVOID address; /* NULL once the owner's exit unmapped it */
	/* device memory: the system mapping the MDL was built over, made for this mapping */
	PVOID io_va;
};

struct map_call {
	PMDL mdl;
	MEMORY_CACHING_TYPE cache;
	PVOID address;
};

/* Every open file, so that a process's exit finds the mappings it still has. */
static FAST_MUTEX all_files_mutex;
static LIST_ENTRY all_files;

static int map_locked_pages(void *arg)
{
	struct map_call *call = arg;

	call->address = MmMapLockedPagesSpecifyCache(call->mdl, UserMode, call->cache, NULL, FALSE,
						     NormalPagePriority | MdlMappingNoExecute);
	return call->address ? VGPU_OK : VGPU_E_NO_MEMORY;
}

/*
 * Map map->mdl into the calling process, the handle's owner, and remember
 * `map` in the file; on failure the caller still owns `map`.
 */
static int map_into_owner(struct win_file *file, struct win_user_map *map,
			  MEMORY_CACHING_TYPE cache, uint64_t *address, void **mapping)
{
	struct map_call call = { map->mdl, cache, NULL };
	int ret;

	if (PsGetCurrentProcess() != file->owner)
		return VGPU_E_STATE;
	ret = win_seh_call(map_locked_pages, &call, VGPU_E_NO_MEMORY);
	if (ret != VGPU_OK)
		return ret;
	map->address = call.address;
	ExAcquireFastMutex(&file->map_mutex);
	if (map->io_va && file->device_memory_revoked) {
		ExReleaseFastMutex(&file->map_mutex);
		MmUnmapLockedPages(call.address, map->mdl);
		return VGPU_E_DEVICE_LOST;
	}
	InsertTailList(&file->maps, &map->node);
	ExReleaseFastMutex(&file->map_mutex);
	*address = (uint64_t)(ULONG_PTR)call.address;
	*mapping = map;
	return VGPU_OK;
}

int win_map_user(void *ctx, void *file_ctx, struct vgpu_backing *backing, uint64_t *address,
		 void **mapping)
{
	struct win_device *dev = ctx;
	struct win_user_map *map;
	int ret;

	if (!file_ctx || !backing || !backing->os_priv || !address || !mapping)
		return VGPU_E_INVALID;
	map = dev->os.alloc(dev, sizeof(*map));
	if (!map)
		return VGPU_E_NO_MEMORY;
	map->mdl = win_backing_mdl(backing);
	map->io_va = NULL;
	ret = map_into_owner(file_ctx, map, MmCached, address, mapping);
	if (ret != VGPU_OK)
		dev->os.free(dev, map);
	return ret;
}

static BOOLEAN mm_cache_type(enum vgpu_cache_type cache, MEMORY_CACHING_TYPE *out)
{
	switch (cache) {
	case VGPU_CACHE_CACHED:
		*out = MmCached;
		return TRUE;
	case VGPU_CACHE_UNCACHED:
		*out = MmNonCached;
		return TRUE;
	case VGPU_CACHE_WRITE_COMBINED:
		*out = MmWriteCombined;
		return TRUE;
	default:
		return FALSE;
	}
}

static BOOLEAN inside_device_bar(const struct win_device *dev, uint64_t pa, uint64_t size)
{
	ULONG i;

	for (i = 0; i < VGPU_PCI_BARS; i++) {
		if (win_devmem_inside(pa, size, (uint64_t)dev->bars[i].phys.QuadPart,
				      dev->bars[i].len))
			return TRUE;
	}
	return FALSE;
}

/*
 * Whether [pa, pa + size) misses all RAM the kernel manages: VGPU_OK,
 * VGPU_E_DEVICE (it is RAM: the device named memory that is not its own)
 * or VGPU_E_UNSUPPORTED (this Windows cannot tell).
 */
static int outside_ram(uint64_t pa, uint64_t size)
{
	PPHYSICAL_MEMORY_RANGE ranges, r;
	int ret = VGPU_OK;

	if (!win_routines.memory_ranges)
		return VGPU_E_UNSUPPORTED;
	ranges = win_routines.memory_ranges(NULL, 0);
	if (!ranges)
		return VGPU_E_UNSUPPORTED;
	/* The kernel ends its list with an all-zero entry. */
	for (r = ranges; r->BaseAddress.QuadPart || r->NumberOfBytes.QuadPart; r++) {
		if (win_devmem_overlaps(pa, size, (uint64_t)r->BaseAddress.QuadPart,
					(uint64_t)r->NumberOfBytes.QuadPart)) {
			ret = VGPU_E_DEVICE;
			break;
		}
	}
	ExFreePool(ranges);
	return ret;
}

/*
 * map->mdl and map->io_va for device memory: its system mapping and an MDL
 * built over it (MmBuildMdlForNonPagedPool marks frames without entries in
 * the page database as I/O space).  NO_MEMORY when either is refused.
 */
static int device_mdl(struct win_user_map *map, uint64_t pa, uint64_t size,
		      MEMORY_CACHING_TYPE cache)
{
	PHYSICAL_ADDRESS phys;

	phys.QuadPart = (LONGLONG)pa;
	map->io_va = win_map_io(phys, (SIZE_T)size, cache);
	if (!map->io_va)
		return VGPU_E_NO_MEMORY;
	map->mdl = IoAllocateMdl(map->io_va, (ULONG)size, FALSE, FALSE, NULL);
	if (!map->mdl) {
		MmUnmapIoSpace(map->io_va, (SIZE_T)size);
		return VGPU_E_NO_MEMORY;
	}
	MmBuildMdlForNonPagedPool(map->mdl);
	return VGPU_OK;
}

/* What device_mdl made; nothing for a backing's mapping, whose MDL is the backing's. */
static void free_device_mdl(struct win_user_map *map)
{
	SIZE_T len;

	if (!map->io_va)
		return;
	len = MmGetMdlByteCount(map->mdl); /* the MDL spans the whole system mapping */
	IoFreeMdl(map->mdl);
	MmUnmapIoSpace(map->io_va, len);
}

int win_map_device_user(void *ctx, void *file_ctx, uint64_t pa, uint64_t size,
			enum vgpu_cache_type cache, uint64_t *address, void **mapping)
{
	struct win_device *dev = ctx;
	MEMORY_CACHING_TYPE mm_cache;
	struct win_user_map *map;
	int ret;

	if (!file_ctx || !address || !mapping || !mm_cache_type(cache, &mm_cache))
		return VGPU_E_INVALID;
	if (!win_devmem_request_ok(pa, size))
		return VGPU_E_INVALID;
	if (!inside_device_bar(dev, pa, size)) {
		ret = outside_ram(pa, size);
		if (ret != VGPU_OK) {
			dev->os.log(dev, VGPU_LOG_ERROR, "device memory not mapped: RAM or unknown",
				    pa, size);
			return ret;
		}
	}
	map = dev->os.alloc(dev, sizeof(*map));
	if (!map)
		return VGPU_E_NO_MEMORY;
	ret = device_mdl(map, pa, size, mm_cache);
	if (ret == VGPU_OK) {
		ret = map_into_owner(file_ctx, map, mm_cache, address, mapping);
		if (ret != VGPU_OK)
			free_device_mdl(map);
	}
	if (ret != VGPU_OK)
		dev->os.free(dev, map);
	return ret;
}

/* Caller holds file->map_mutex. */
static void unmap_in_owner(struct win_file *file, struct win_user_map *map)
{
	KAPC_STATE apc;

	if (!map->address)
		return;
	if (PsGetCurrentProcess() == file->owner) {
		MmUnmapLockedPages(map->address, map->mdl);
	} else {
		KeStackAttachProcess((PKPROCESS)file->owner, &apc);
		MmUnmapLockedPages(map->address, map->mdl);
		KeUnstackDetachProcess(&apc);
	}
	map->address = NULL;
}

void win_unmap_user(void *ctx, void *file_ctx, void *mapping)
{
	struct win_device *dev = ctx;
	struct win_file *file = file_ctx;
	struct win_user_map *map = mapping;

	if (!file || !map)
		return;
	ExAcquireFastMutex(&file->map_mutex);
	RemoveEntryList(&map->node);
	unmap_in_owner(file, map);
	ExReleaseFastMutex(&file->map_mutex);
	free_device_mdl(map);
	dev->os.free(dev, map);
}

static void unmap_all_of(struct win_file *file)
{
	PLIST_ENTRY pos;

	ExAcquireFastMutex(&file->map_mutex);
	for (pos = file->maps.Flink; pos != &file->maps; pos = pos->Flink)
		unmap_in_owner(file, CONTAINING_RECORD(pos, struct win_user_map, node));
	ExReleaseFastMutex(&file->map_mutex);
}

void win_user_map_revoke_device(struct win_device *dev)
{
	PLIST_ENTRY f, m;

	ExAcquireFastMutex(&all_files_mutex);
	for (f = all_files.Flink; f != &all_files; f = f->Flink) {
		struct win_file *file = CONTAINING_RECORD(f, struct win_file, all_node);

		if (file->dev != dev)
			continue;
		ExAcquireFastMutex(&file->map_mutex);
		file->device_memory_revoked = TRUE;
		for (m = file->maps.Flink; m != &file->maps; m = m->Flink) {
			struct win_user_map *map = CONTAINING_RECORD(m, struct win_user_map, node);

			if (!map->io_va)
				continue;
			unmap_in_owner(file, map);
			/* nothing of the device's memory stays mapped, in no range */
			free_device_mdl(map);
			map->io_va = NULL;
			map->mdl = NULL;
		}
		ExReleaseFastMutex(&file->map_mutex);
	}
	ExReleaseFastMutex(&all_files_mutex);
}

/* Runs in the context of the exiting process's last thread (PASSIVE). */
static void on_process_notify(HANDLE parent, HANDLE pid, BOOLEAN create)
{
	PEPROCESS process = PsGetCurrentProcess();
	PLIST_ENTRY pos;

	if (create || PsGetCurrentProcessId() != pid)
		return;
	ExAcquireFastMutex(&all_files_mutex);
	for (pos = all_files.Flink; pos != &all_files; pos = pos->Flink) {
		struct win_file *file = CONTAINING_RECORD(pos, struct win_file, all_node);

		if (file->owner == process)
			unmap_all_of(file);
	}
	ExReleaseFastMutex(&all_files_mutex);
}

void win_user_map_track(struct win_file *file)
{
	ExInitializeFastMutex(&file->map_mutex);
	InitializeListHead(&file->maps);
	file->device_memory_revoked = FALSE;
	ExAcquireFastMutex(&all_files_mutex);
	InsertTailList(&all_files, &file->all_node);
	ExReleaseFastMutex(&all_files_mutex);
}

void win_user_map_untrack(struct win_file *file)
{
	ExAcquireFastMutex(&all_files_mutex);
	RemoveEntryList(&file->all_node);
	ExReleaseFastMutex(&all_files_mutex);
}

NTSTATUS win_user_map_init(void)
{
	ExInitializeFastMutex(&all_files_mutex);
	InitializeListHead(&all_files);
	return PsSetCreateProcessNotifyRoutine(on_process_notify, FALSE);
}

void win_user_map_fini(void)
{
	PsSetCreateProcessNotifyRoutine(on_process_notify, TRUE);
}
