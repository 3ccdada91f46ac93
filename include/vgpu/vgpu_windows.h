/* SPDX-License-Identifier: MIT */
/*
 * Facts the Windows side of the vgpu ABI shares between vgpu.sys and
 * libvgpu: the device interface GUID, and how a status crosses
 * DeviceIoControl.
 *
 * Why a table: DeviceIoControl reports a failed call as a Win32 error
 * (GetLastError), which kernel32 derives from the IRP's NTSTATUS with
 * RtlNtStatusToDosError.  A custom NTSTATUS has no entry
 * there and arrives as ERROR_MR_MID_NOT_FOUND, losing the code.  So vgpu.sys
 * completes a failed call with the well-known NTSTATUS below, chosen so that
 * each one maps to a Win32 error no other vgpu status uses; libvgpu maps the
 * Win32 error back.  The mapping is a bijection over the statuses the kernel
 * returns (VGPU_E_TRANSPORT is user mode only and never crosses).
 *
 * Each NTSTATUS -> Win32 pair was checked against RtlNtStatusToDosError
 * (Wine's implementation, cross-checked with ReactOS's table).
 * STATUS_UNEXPECTED_IO_ERROR was rejected for DEVICE: its Win32 error
 * differs between implementations.
 *
 * BUSY uses a warning status (severity 2): DeviceIoControl still fails
 * with ERROR_BUSY, and the I/O manager still copies a buffered call's
 * output.  Every other failure is an error status, for which the I/O
 * manager copies no output: a GET_INFO failing with VERSION reaches user
 * mode without the driver's version fields.
 *
 * Freestanding: usable from the kernel driver and from user mode.
 */
#ifndef VGPU_WINDOWS_H
#define VGPU_WINDOWS_H

#include <stddef.h>
#include <stdint.h>

#include "vgpu_abi.h"

/* Device interface class of vgpu.sys: {6e3a4c1d-9b7f-4d2e-8a51-0c2f7b9e4d13}. */
#define VGPU_DEVICE_INTERFACE_GUID_INIT                                                            \
	{                                                                                          \
		0x6e3a4c1d, 0x9b7f, 0x4d2e,                                                        \
		{                                                                                  \
			0x8a, 0x51, 0x0c, 0x2f, 0x7b, 0x9e, 0x4d, 0x13                             \
		}                                                                                  \
	}

struct vgpu_win_status_map {
	int32_t status;       /* enum vgpu_status */
	uint32_t ntstatus;    /* what vgpu.sys completes the IRP with */
	uint32_t win32_error; /* what GetLastError then says in user mode */
};

static const struct vgpu_win_status_map vgpu_win_status_table[] = {
	{ VGPU_OK, 0x00000000u /* STATUS_SUCCESS */, 0u /* ERROR_SUCCESS */ },
	{ VGPU_E_INVALID, 0xC000000Du /* STATUS_INVALID_PARAMETER */,
	  87u /* ERROR_INVALID_PARAMETER */ },
	{ VGPU_E_BAD_HANDLE, 0xC0000008u /* STATUS_INVALID_HANDLE */,
	  6u /* ERROR_INVALID_HANDLE */ },
	{ VGPU_E_BAD_SIZE, 0xC0000206u /* STATUS_INVALID_BUFFER_SIZE */,
	  1784u /* ERROR_INVALID_USER_BUFFER */ },
	{ VGPU_E_UNSUPPORTED, 0xC00000BBu /* STATUS_NOT_SUPPORTED */,
	  50u /* ERROR_NOT_SUPPORTED */ },
	{ VGPU_E_NO_MEMORY, 0xC000009Au /* STATUS_INSUFFICIENT_RESOURCES */,
	  1450u /* ERROR_NO_SYSTEM_RESOURCES */ },
	{ VGPU_E_DEVICE, 0xC0000185u /* STATUS_IO_DEVICE_ERROR */, 1117u /* ERROR_IO_DEVICE */ },
	{ VGPU_E_TIMEOUT, 0xC00000B5u /* STATUS_IO_TIMEOUT */, 121u /* ERROR_SEM_TIMEOUT */ },
	{ VGPU_E_BUSY, 0x80000011u /* STATUS_DEVICE_BUSY */, 170u /* ERROR_BUSY */ },
	{ VGPU_E_STATE, 0xC0000184u /* STATUS_INVALID_DEVICE_STATE */,
	  22u /* ERROR_BAD_COMMAND */ },
	{ VGPU_E_VERSION, 0xC0000059u /* STATUS_REVISION_MISMATCH */,
	  1306u /* ERROR_REVISION_MISMATCH */ },
	{ VGPU_E_DEVICE_LOST, 0xC00002B6u /* STATUS_DEVICE_REMOVED */,
	  1617u /* ERROR_DEVICE_REMOVED */ },
	{ VGPU_E_CANCELLED, 0xC0000120u /* STATUS_CANCELLED */,
	  995u /* ERROR_OPERATION_ABORTED */ },
};

#define VGPU_WIN_STATUS_COUNT (sizeof(vgpu_win_status_table) / sizeof(vgpu_win_status_table[0]))

/* Kernel side: the NTSTATUS to complete a call with; unknown statuses become DEVICE's. */
static inline uint32_t vgpu_win_status_to_ntstatus(int32_t status)
{
	size_t i;

	for (i = 0; i < VGPU_WIN_STATUS_COUNT; i++)
		if (vgpu_win_status_table[i].status == status)
			return vgpu_win_status_table[i].ntstatus;
	return 0xC0000185u; /* STATUS_IO_DEVICE_ERROR */
}

/* User side: the status a failed DeviceIoControl meant; foreign errors are the channel's. */
static inline int32_t vgpu_win_error_to_status(uint32_t win32_error)
{
	size_t i;

	for (i = 0; i < VGPU_WIN_STATUS_COUNT; i++)
		if (vgpu_win_status_table[i].win32_error == win32_error)
			return vgpu_win_status_table[i].status;
	return VGPU_E_TRANSPORT;
}

#endif /* VGPU_WINDOWS_H */
