/* SPDX-License-Identifier: MIT */
/*
 * Kernel routines newer than mingw-w64's import library, looked up at load
 * time.  The first two give non-executable memory, which memory integrity
 * (HVCI) expects.  MmAllocateContiguousNodeMemory (Windows 8) is required;
 * without MmMapIoSpaceEx (Windows 10) registers are mapped with
 * MmMapIoSpace; without MmGetPhysicalMemoryRangesEx2 (Windows 10 2004)
 * device memory outside the device's BARs cannot be told from RAM, so it
 * is not mapped (user_map.c).  Without the EX_TIMER routines (Windows 8.1)
 * the fence nudge waits for the clock's tick (os_win.c).
 */
#include "vgpu_win.h"

struct win_routines win_routines;

static PVOID lookup(PCWSTR name)
{
	UNICODE_STRING u;

	RtlInitUnicodeString(&u, name);
	return MmGetSystemRoutineAddress(&u);
}

NTSTATUS win_resolve_routines(void)
{
	win_routines.map_io_space_ex = (win_map_io_space_ex_fn)lookup(L"MmMapIoSpaceEx");
	win_routines.alloc_contiguous_node =
		(win_alloc_contiguous_node_fn)lookup(L"MmAllocateContiguousNodeMemory");
	win_routines.memory_ranges = (win_memory_ranges_fn)lookup(L"MmGetPhysicalMemoryRangesEx2");
	win_routines.allocate_timer = (win_allocate_timer_fn)lookup(L"ExAllocateTimer");
	win_routines.set_timer = (win_set_timer_fn)lookup(L"ExSetTimer");
	win_routines.cancel_timer = (win_cancel_timer_fn)lookup(L"ExCancelTimer");
	win_routines.delete_timer = (win_delete_timer_fn)lookup(L"ExDeleteTimer");
	if (!win_routines.allocate_timer || !win_routines.set_timer || !win_routines.cancel_timer ||
	    !win_routines.delete_timer) {
		win_routines.allocate_timer = NULL;
		win_routines.set_timer = NULL;
		win_routines.cancel_timer = NULL;
		win_routines.delete_timer = NULL;
	}
	if (!win_routines.alloc_contiguous_node) {
		DbgPrintEx(DPFLTR_IHVVIDEO_ID, DPFLTR_ERROR_LEVEL,
			   "vgpu: needs Windows 8 or later\n");
		return STATUS_NOT_SUPPORTED;
	}
	return STATUS_SUCCESS;
}
