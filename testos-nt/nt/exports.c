/* SPDX-License-Identifier: MIT */
/*
 * What ntoskrnl.exe exports to vgpu.sys: the loader binds the driver's
 * imports by these names, and MmGetSystemRoutineAddress looks routines up
 * here (the seven that are newer than the DDK's import libraries
 * included).  A name that is not here is a routine the harness does not
 * implement: the load fails naming it.
 */
#include "internal.h"

#include <ntifs.h>

extern const void *const nt_mm_routine_mmallocatecontiguousnodememory;
extern const void *const nt_mm_routine_mmmapiospaceex;
extern const void *const nt_mm_routine_mmgetphysicalmemoryrangesex2;

struct export
{
	const char *name;
	const void *address;
};

#define EXPORT(fn)                                                                                 \
	{                                                                                          \
#fn, (const void *)(fn)                                                            \
	}

static const struct export exports[] = {
	EXPORT(DbgPrintEx),
	EXPORT(ExAcquireFastMutex),
	EXPORT(ExAllocatePoolWithTag),
	EXPORT(ExAllocateTimer),
	EXPORT(ExCancelTimer),
	EXPORT(ExDeleteTimer),
	EXPORT(ExFreePool),
	EXPORT(ExFreePoolWithTag),
	EXPORT(ExReleaseFastMutex),
	EXPORT(ExSetTimer),
	EXPORT(IoAcquireRemoveLockEx),
	EXPORT(IoAllocateErrorLogEntry),
	EXPORT(IoAllocateMdl),
	EXPORT(IoAttachDeviceToDeviceStack),
	EXPORT(IoBuildSynchronousFsdRequest),
	EXPORT(IoConnectInterruptEx),
	EXPORT(IoCreateDevice),
	EXPORT(IoDeleteDevice),
	EXPORT(IoDetachDevice),
	EXPORT(IoDisconnectInterruptEx),
	EXPORT(IoFreeMdl),
	EXPORT(IoGetCurrentProcess),
	EXPORT(IoInitializeRemoveLockEx),
	EXPORT(IoRegisterDeviceInterface),
	EXPORT(IoReleaseRemoveLockAndWaitEx),
	EXPORT(IoReleaseRemoveLockEx),
	EXPORT(IoSetDeviceInterfaceState),
	EXPORT(IoWriteErrorLogEntry),
	EXPORT(IofCallDriver),
	EXPORT(IofCompleteRequest),
	EXPORT(KeAcquireSpinLockRaiseToDpc),
	EXPORT(KeFlushQueuedDpcs),
	EXPORT(KeInitializeDpc),
	EXPORT(KeInitializeEvent),
	EXPORT(KeInitializeMutex),
	EXPORT(KeInsertQueueDpc),
	EXPORT(KeReleaseMutex),
	EXPORT(KeReleaseSpinLock),
	EXPORT(KeSetEvent),
	EXPORT(KeStackAttachProcess),
	EXPORT(KeUnstackDetachProcess),
	EXPORT(KeWaitForSingleObject),
	EXPORT(MmAllocatePagesForMdlEx),
	EXPORT(MmBuildMdlForNonPagedPool),
	EXPORT(MmFreeContiguousMemory),
	EXPORT(MmFreePagesFromMdl),
	EXPORT(MmGetPhysicalAddress),
	EXPORT(MmGetSystemRoutineAddress),
	EXPORT(MmMapIoSpace),
	EXPORT(MmMapLockedPagesSpecifyCache),
	EXPORT(MmProbeAndLockPages),
	EXPORT(MmUnlockPages),
	EXPORT(MmUnmapIoSpace),
	EXPORT(MmUnmapLockedPages),
	EXPORT(ObfDereferenceObject),
	EXPORT(ObfReferenceObject),
	EXPORT(PoCallDriver),
	EXPORT(PoRequestPowerIrp),
	EXPORT(PoSetPowerState),
	EXPORT(PoStartNextPowerIrp),
	EXPORT(PsGetCurrentProcessId),
	EXPORT(PsIsThreadTerminating),
	EXPORT(PsSetCreateProcessNotifyRoutine),
	EXPORT(RtlFreeUnicodeString),
	EXPORT(RtlInitUnicodeString),
	{ "__C_specific_handler", (const void *)nt_c_specific_handler },
	EXPORT(memcpy),
	EXPORT(memset),
};

static bool same_ascii_nocase(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;

		if (x != y)
			return false;
	}
	return *a == *b;
}

static const void *lookup(const char *name)
{
	unsigned i;

	for (i = 0; i < sizeof(exports) / sizeof(exports[0]); i++)
		if (strcmp(exports[i].name, name) == 0)
			return exports[i].address;
	if (strcmp(name, "MmAllocateContiguousNodeMemory") == 0)
		return nt_mm_routine_mmallocatecontiguousnodememory;
	if (strcmp(name, "MmMapIoSpaceEx") == 0)
		return nt_mm_routine_mmmapiospaceex;
	if (strcmp(name, "MmGetPhysicalMemoryRangesEx2") == 0)
		return nt_mm_routine_mmgetphysicalmemoryrangesex2;
	return NULL;
}

uint64_t nt_resolve_import(void *ctx, const char *dll, const char *name)
{
	if (!same_ascii_nocase(dll, "ntoskrnl.exe"))
		return 0;
	return (uint64_t)(uintptr_t)lookup(name);
}

/* learn.microsoft.com: wdm/nf-wdm-mmgetsystemroutineaddress */
PVOID MmGetSystemRoutineAddress(PUNICODE_STRING name)
{
	char ascii[64];
	USHORT i, n;

	ENTER("MmGetSystemRoutineAddress", PASSIVE_LEVEL);
	n = name->Length / sizeof(WCHAR);
	if (n >= sizeof(ascii))
		return NULL;
	for (i = 0; i < n; i++) {
		if (name->Buffer[i] > 0x7F)
			return NULL;
		ascii[i] = (char)name->Buffer[i];
	}
	ascii[n] = '\0';
	return (PVOID)lookup(ascii);
}
