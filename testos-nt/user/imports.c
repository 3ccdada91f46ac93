/* SPDX-License-Identifier: MIT */
/*
 * Code compiled against the Win32 headers (libvgpu, unchanged) calls
 * kernel32 and setupapi through import pointers, __imp_<name>, as if they
 * were in DLLs.  Here they point at the guest's own implementations, with
 * each pointer's type taken from the function it names.
 */
#define _KERNEL32_
#define _SETUPAPI_
#include <windows.h>
#include <setupapi.h>

#define IMPORT(fn) __typeof__(fn) *__imp_##fn = fn

IMPORT(GetLastError);
IMPORT(SetLastError);
IMPORT(CreateFileW);
IMPORT(DeviceIoControl);
IMPORT(CloseHandle);
IMPORT(InitializeSRWLock);
IMPORT(AcquireSRWLockExclusive);
IMPORT(ReleaseSRWLockExclusive);
IMPORT(QueryPerformanceCounter);
IMPORT(QueryPerformanceFrequency);
IMPORT(SetupDiGetClassDevsW);
IMPORT(SetupDiEnumDeviceInterfaces);
IMPORT(SetupDiGetDeviceInterfaceDetailW);
IMPORT(SetupDiDestroyDeviceInfoList);
