/* SPDX-License-Identifier: MIT */
/*
 * vgpu_status_str: a message for every status of the ABI; vgpu_fail_why:
 * a failing status with the line that explains it.
 */
#include <stdarg.h>
#include <stdio.h>

#include "channel.h"
#include "libvgpu.h"

static const char *const status_text[] = {
	[0] = "VGPU_OK: success",
	[1] = "VGPU_E_INVALID: a field has a value the call does not accept",
	[2] = "VGPU_E_BAD_HANDLE: handle unknown to this opened device",
	[3] = "VGPU_E_BAD_SIZE: fixed struct or payload of the wrong size",
	[4] = "VGPU_E_UNSUPPORTED: call, capset, feature or format not offered",
	[5] = "VGPU_E_NO_MEMORY: memory exhausted or a limit reached",
	[6] = "VGPU_E_DEVICE: the device answered the command with an error",
	[7] = "VGPU_E_TIMEOUT: the wait or the device timed out",
	[8] = "VGPU_E_BUSY: the work is still running",
	[9] = "VGPU_E_STATE: call out of order",
	[10] = "VGPU_E_VERSION: ABI major version mismatch",
	[11] = "VGPU_E_DEVICE_LOST: the device is gone or broken; reopen",
	[12] = "VGPU_E_TRANSPORT: the channel to the driver failed",
	[13] = "VGPU_E_CANCELLED: the handle was closed while the call waited",
};
_Static_assert(sizeof(status_text) / sizeof(status_text[0]) == 1 - VGPU_E_LOWEST,
	       "a message for every status");

const char *vgpu_status_str(int status)
{
	unsigned int index;

	if (status > 0 || status < VGPU_E_LOWEST)
		return "unknown vgpu status";
	index = (unsigned int)-status;
	return status_text[index];
}

int vgpu_fail_why(char *why, size_t why_cap, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_cap, fmt, ap);
	va_end(ap);
	return status;
}
