// SPDX-License-Identifier: MIT
/*
 * Resource memory mapped into the process that opened the handle, through
 * the backing's MDL.
 *
 * MmMapLockedPagesSpecifyCache(UserMode) raises an exception instead of
 * returning NULL when the process has no room; it runs under
 * win_seh_call (seh_guard.S), so a failure becomes VGPU_E_NO_MEMORY.
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

#include "seh_guard.h"
#include "vgpu_win.h"

#include "vgpu/vgpu_abi.h"

#ifndef MdlMappingNoExecute
#define MdlMappingNoExecute 0x40000000
#endif

struct win_user_map {
	LIST_ENTRY node; /* in win_file.maps, under map_mutex */
	PMDL mdl;
	PVOID address;   /* NULL once the owner's exit unmapped it */
};

struct map_call {
	PMDL mdl;
	PVOID address;
};

/* Every open file, so that a process's exit finds the mappings it still has. */
static FAST_MUTEX all_files_mutex;
static LIST_ENTRY all_files;

static int map_locked_pages(void *arg)
{
	struct map_call *call = arg;

	call->address = MmMapLockedPagesSpecifyCache(call->mdl, UserMode, MmCached, NULL, FALSE,
						     NormalPagePriority | MdlMappingNoExecute);
	return call->address ? VGPU_OK : VGPU_E_NO_MEMORY;
}

int win_map_user(void *ctx, void *file_ctx, struct vgpu_backing *backing, uint64_t *address,
		 void **mapping)
{
	struct win_device *dev = ctx;
	struct win_file *file = file_ctx;
	struct map_call call = { NULL, NULL };
	struct win_user_map *map;
	int ret;

	if (!file || !backing || !backing->os_priv || !address || !mapping)
		return VGPU_E_INVALID;
	if (PsGetCurrentProcess() != file->owner)
		return VGPU_E_STATE;
	map = dev->os.alloc(dev, sizeof(*map));
	if (!map)
		return VGPU_E_NO_MEMORY;
	call.mdl = backing->os_priv;
	ret = win_seh_call(map_locked_pages, &call, VGPU_E_NO_MEMORY);
	if (ret != VGPU_OK) {
		dev->os.free(dev, map);
		return ret;
	}
	map->mdl = call.mdl;
	map->address = call.address;
	ExAcquireFastMutex(&file->map_mutex);
	InsertTailList(&file->maps, &map->node);
	ExReleaseFastMutex(&file->map_mutex);
	*address = (uint64_t)(ULONG_PTR)call.address;
	*mapping = map;
	return VGPU_OK;
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
