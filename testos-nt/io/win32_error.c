/* SPDX-License-Identifier: MIT */
/*
 * The Win32 error kernel32 sets (GetLastError) for an NTSTATUS, as
 * RtlNtStatusToDosError maps it: the statuses vgpu.sys completes calls
 * with (include/vgpu/vgpu_windows.h lists its pairs) and the ones the I/O
 * manager itself fails requests with.  A status with no entry becomes
 * ERROR_MR_MID_NOT_FOUND, as in Windows.
 */
#include "io_internal.h"

#define ERROR_MR_MID_NOT_FOUND 317u
#define FACILITY_NTWIN32_BITS 0x00070000u
#define FACILITY_MASK 0x0FFF0000u

static const struct {
	NTSTATUS status;
	ULONG error;
} errors[] = {
	{ STATUS_SUCCESS, 0 },                   /* ERROR_SUCCESS */
	{ STATUS_UNSUCCESSFUL, 31 },             /* ERROR_GEN_FAILURE */
	{ STATUS_INVALID_DEVICE_REQUEST, 1 },    /* ERROR_INVALID_FUNCTION */
	{ STATUS_OBJECT_NAME_NOT_FOUND, 2 },     /* ERROR_FILE_NOT_FOUND */
	{ STATUS_NO_SUCH_DEVICE, 2 },            /* ERROR_FILE_NOT_FOUND */
	{ STATUS_OBJECT_PATH_NOT_FOUND, 3 },     /* ERROR_PATH_NOT_FOUND */
	{ STATUS_ACCESS_DENIED, 5 },             /* ERROR_ACCESS_DENIED */
	{ STATUS_DELETE_PENDING, 5 },            /* ERROR_ACCESS_DENIED */
	{ STATUS_INVALID_HANDLE, 6 },            /* ERROR_INVALID_HANDLE */
	{ STATUS_NO_MEMORY, 8 },                 /* ERROR_NOT_ENOUGH_MEMORY */
	{ STATUS_DEVICE_NOT_READY, 21 },         /* ERROR_NOT_READY */
	{ STATUS_INVALID_DEVICE_STATE, 22 },     /* ERROR_BAD_COMMAND */
	{ STATUS_NOT_SUPPORTED, 50 },            /* ERROR_NOT_SUPPORTED */
	{ STATUS_INVALID_PARAMETER, 87 },        /* ERROR_INVALID_PARAMETER */
	{ STATUS_IO_TIMEOUT, 121 },              /* ERROR_SEM_TIMEOUT */
	{ STATUS_BUFFER_TOO_SMALL, 122 },        /* ERROR_INSUFFICIENT_BUFFER */
	{ STATUS_DEVICE_BUSY, 170 },             /* ERROR_BUSY */
	{ STATUS_BUFFER_OVERFLOW, 234 },         /* ERROR_MORE_DATA */
	{ STATUS_CANCELLED, 995 },               /* ERROR_OPERATION_ABORTED */
	{ STATUS_ACCESS_VIOLATION, 998 },        /* ERROR_NOACCESS */
	{ STATUS_IO_DEVICE_ERROR, 1117 },        /* ERROR_IO_DEVICE */
	{ STATUS_REVISION_MISMATCH, 1306 },      /* ERROR_REVISION_MISMATCH */
	{ STATUS_INSUFFICIENT_RESOURCES, 1450 }, /* ERROR_NO_SYSTEM_RESOURCES */
	{ STATUS_DEVICE_REMOVED, 1617 },         /* ERROR_DEVICE_REMOVED */
	{ STATUS_INVALID_BUFFER_SIZE, 1784 },    /* ERROR_INVALID_USER_BUFFER */
	{ STATUS_INVALID_USER_BUFFER, 1784 },    /* ERROR_INVALID_USER_BUFFER */
};

ULONG io_win32_error(NTSTATUS status)
{
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		if (errors[i].status == status)
			return errors[i].error;
	}
	/* A Win32 error wrapped as an NTSTATUS (FACILITY_NTWIN32) is unwrapped. */
	if (((ULONG)status & FACILITY_MASK) == FACILITY_NTWIN32_BITS)
		return (ULONG)status & 0xFFFFu;
	return ERROR_MR_MID_NOT_FOUND;
}
