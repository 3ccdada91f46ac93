/* SPDX-License-Identifier: MIT */
/*
 * The setupapi functions libvgpu uses to find vgpu.sys's device interface:
 * a device information set is a snapshot of the interface paths the I/O
 * manager has enabled for one class when it was made.
 */
#define _SETUPAPI_
#include <windows.h>
#include <setupapi.h>
#include <stdlib.h>
#include <string.h>

#include "user.h"

#define MAX_INTERFACES 8u
#define SET_MAGIC 0x74655369u /* "iSet" */

struct device_set {
	uint32_t magic;
	GUID guid;
	unsigned count;
	const uint16_t *paths[MAX_INTERFACES];
};

static struct device_set *set_of(HDEVINFO h)
{
	struct device_set *set = h;

	if (!set || h == INVALID_HANDLE_VALUE || set->magic != SET_MAGIC)
		return NULL;
	return set;
}

static size_t wide_len(const uint16_t *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

/* learn.microsoft.com: setupapi/nf-setupapi-setupdigetclassdevsw (interface classes) */
WINSETUPAPI HDEVINFO WINAPI SetupDiGetClassDevsW(const GUID *guid, PCWSTR enumerator, HWND parent,
						 DWORD flags)
{
	struct device_set *set;

	if (!guid || enumerator || !(flags & DIGCF_DEVICEINTERFACE)) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return INVALID_HANDLE_VALUE;
	}
	set = calloc(1, sizeof(*set));
	if (!set) {
		SetLastError(ERROR_NOT_ENOUGH_MEMORY);
		return INVALID_HANDLE_VALUE;
	}
	set->magic = SET_MAGIC;
	set->guid = *guid;
	set->count = user_interfaces(guid, set->paths, MAX_INTERFACES);
	return set;
}

/* learn.microsoft.com: setupapi/nf-setupapi-setupdienumdeviceinterfaces */
WINSETUPAPI BOOL WINAPI SetupDiEnumDeviceInterfaces(HDEVINFO h, PSP_DEVINFO_DATA info,
						    const GUID *guid, DWORD index,
						    PSP_DEVICE_INTERFACE_DATA ifd)
{
	struct device_set *set = set_of(h);

	if (!set || info || !guid || !ifd || ifd->cbSize != sizeof(*ifd)) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return FALSE;
	}
	if (memcmp(guid, &set->guid, sizeof(*guid)) != 0 || index >= set->count) {
		SetLastError(ERROR_NO_MORE_ITEMS);
		return FALSE;
	}
	ifd->InterfaceClassGuid = *guid;
	ifd->Flags = SPINT_ACTIVE;
	ifd->Reserved = index;
	return TRUE;
}

/* learn.microsoft.com: setupapi/nf-setupapi-setupdigetdeviceinterfacedetailw */
WINSETUPAPI BOOL WINAPI SetupDiGetDeviceInterfaceDetailW(HDEVINFO h, PSP_DEVICE_INTERFACE_DATA ifd,
							 PSP_DEVICE_INTERFACE_DETAIL_DATA_W detail,
							 DWORD size, PDWORD needed,
							 PSP_DEVINFO_DATA info)
{
	struct device_set *set = set_of(h);
	const uint16_t *path;
	DWORD want;

	if (!set || !ifd || info || ifd->Reserved >= set->count) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return FALSE;
	}
	path = set->paths[ifd->Reserved];
	want = (DWORD)(offsetof(SP_DEVICE_INTERFACE_DETAIL_DATA_W, DevicePath) +
		       (wide_len(path) + 1) * sizeof(WCHAR));
	if (needed)
		*needed = want;
	if (!detail || size < want) {
		SetLastError(ERROR_INSUFFICIENT_BUFFER);
		return FALSE;
	}
	if (detail->cbSize != sizeof(*detail)) {
		SetLastError(ERROR_INVALID_USER_BUFFER);
		return FALSE;
	}
	memcpy(detail->DevicePath, path, (wide_len(path) + 1) * sizeof(WCHAR));
	return TRUE;
}

/* learn.microsoft.com: setupapi/nf-setupapi-setupdidestroydeviceinfolist */
WINSETUPAPI BOOL WINAPI SetupDiDestroyDeviceInfoList(HDEVINFO h)
{
	struct device_set *set = set_of(h);

	if (!set) {
		SetLastError(ERROR_INVALID_HANDLE);
		return FALSE;
	}
	set->magic = 0;
	free(set);
	return TRUE;
}
