/* SPDX-License-Identifier: MIT */
/*
 * The Windows channel: DeviceIoControl on the vgpu.sys device interface.
 * The kernel serialises what it must, so calls from several threads go
 * through in parallel and WAITs need no slicing.  vgpu.sys maps resources
 * into the process itself, so there is no view for libvgpu to drop.
 * Failed calls come back as Win32 errors (include/vgpu/vgpu_windows.h).
 */
#include <windows.h>
#include <setupapi.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lock.h"
#include "channel.h"
#include "vgpu/vgpu_windows.h"

struct win_channel {
	struct vgpu_channel base;
	HANDLE device;
	/* A payload of several pieces (SUBMIT: handles, then commands) is gathered here. */
	struct vgpu_lock gather_lock;
	char *gather;
	uint32_t gather_cap;
};

static SP_DEVICE_INTERFACE_DETAIL_DATA_W *interface_detail(HDEVINFO set,
							   SP_DEVICE_INTERFACE_DATA *ifd)
{
	SP_DEVICE_INTERFACE_DETAIL_DATA_W *detail;
	DWORD needed = 0;

	SetupDiGetDeviceInterfaceDetailW(set, ifd, NULL, 0, &needed, NULL);
	if (needed < sizeof(*detail))
		return NULL;
	detail = malloc(needed);
	if (!detail)
		return NULL;
	detail->cbSize = sizeof(*detail);
	if (!SetupDiGetDeviceInterfaceDetailW(set, ifd, detail, needed, NULL, NULL)) {
		free(detail);
		return NULL;
	}
	return detail;
}

/* The first present vgpu device interface, opened. */
static int open_interface(HANDLE *device, char *why, size_t why_cap)
{
	static const GUID guid = VGPU_DEVICE_INTERFACE_GUID_INIT;
	SP_DEVICE_INTERFACE_DATA ifd = { .cbSize = sizeof(ifd) };
	SP_DEVICE_INTERFACE_DETAIL_DATA_W *detail;
	HDEVINFO set;
	int status = VGPU_OK;

	set = SetupDiGetClassDevsW(&guid, NULL, NULL, DIGCF_PRESENT | DIGCF_DEVICEINTERFACE);
	if (set == INVALID_HANDLE_VALUE)
		return vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT,
				     "cannot list device interfaces (error %lu)", GetLastError());
	if (!SetupDiEnumDeviceInterfaces(set, NULL, &guid, 0, &ifd)) {
		status = vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT,
				       "no vgpu device interface (is vgpu.sys installed?)");
		goto out;
	}
	detail = interface_detail(set, &ifd);
	if (!detail) {
		status = vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT,
				       "cannot read the vgpu device path (error %lu)",
				       GetLastError());
		goto out;
	}
	*device = CreateFileW(detail->DevicePath, GENERIC_READ | GENERIC_WRITE,
			      FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
	if (*device == INVALID_HANDLE_VALUE)
		status = vgpu_fail_why(why, why_cap, VGPU_E_TRANSPORT,
				       "cannot open the vgpu device (error %lu)", GetLastError());
	free(detail);
out:
	SetupDiDestroyDeviceInfoList(set);
	return status;
}

static int ioctl_status(BOOL ok)
{
	int status;

	if (ok)
		return VGPU_OK;
	status = vgpu_win_error_to_status(GetLastError());
	return status == VGPU_OK ? VGPU_E_TRANSPORT : status;
}

static int device_ioctl(struct win_channel *w, struct vgpu_call *call, void *out, uint32_t out_size,
			DWORD *returned)
{
	BOOL ok = DeviceIoControl(w->device, call->code, call->fixed, call->fixed_size, out,
				  out_size, returned, NULL);

	return ioctl_status(ok);
}

static bool grow_gather(struct win_channel *w, uint32_t size)
{
	char *buf;

	if (size <= w->gather_cap)
		return true;
	buf = realloc(w->gather, size);
	if (!buf)
		return false;
	w->gather = buf;
	w->gather_cap = size;
	return true;
}

static int call_in_direct(struct win_channel *w, struct vgpu_call *call)
{
	uint64_t total = 0;
	uint32_t i, pos = 0;
	DWORD returned = 0;
	int status;

	if (call->num_pieces == 1)
		return device_ioctl(w, call, (void *)call->payload_in[0].base,
				    call->payload_in[0].len, &returned);
	for (i = 0; i < call->num_pieces; i++)
		total += call->payload_in[i].len;
	if (total > UINT32_MAX)
		return VGPU_E_INVALID;
	vgpu_lock_take(&w->gather_lock);
	if (!grow_gather(w, (uint32_t)total)) {
		vgpu_lock_release(&w->gather_lock);
		return VGPU_E_NO_MEMORY;
	}
	for (i = 0; i < call->num_pieces; i++) {
		if (call->payload_in[i].len)
			memcpy(w->gather + pos, call->payload_in[i].base, call->payload_in[i].len);
		pos += call->payload_in[i].len;
	}
	status = device_ioctl(w, call, w->gather, pos, &returned);
	vgpu_lock_release(&w->gather_lock);
	return status;
}

static int win_call(struct vgpu_channel *base, struct vgpu_call *call)
{
	struct win_channel *w = (struct win_channel *)base;
	DWORD returned = 0;
	int status;

	call->payload_written = 0;
	switch (VGPU_CTL_METHOD(call->code)) {
	case VGPU_METHOD_BUFFERED:
		return device_ioctl(w, call, call->fixed, call->fixed_size, &returned);
	case VGPU_METHOD_IN_DIRECT:
		return call_in_direct(w, call);
	case VGPU_METHOD_OUT_DIRECT:
		status = device_ioctl(w, call, call->payload_out, call->payload_out_cap, &returned);
		if (status == VGPU_OK && returned > call->payload_out_cap)
			return VGPU_E_TRANSPORT;
		if (status == VGPU_OK)
			call->payload_written = returned;
		return status;
	default:
		return VGPU_E_INVALID;
	}
}

static void win_close(struct vgpu_channel *base)
{
	struct win_channel *w = (struct win_channel *)base;

	CloseHandle(w->device);
	vgpu_lock_fini(&w->gather_lock);
	free(w->gather);
	free(w);
}

static const struct vgpu_channel_ops win_ops = {
	.call = win_call,
	.close = win_close,
};

int vgpu_channel_device_open(struct vgpu_channel **out, char *why, size_t why_cap)
{
	struct win_channel *w = calloc(1, sizeof(*w));
	int status;

	if (!w)
		return vgpu_fail_why(why, why_cap, VGPU_E_NO_MEMORY, "out of memory");
	status = open_interface(&w->device, why, why_cap);
	if (status != VGPU_OK) {
		free(w);
		return status;
	}
	w->base.ops = &win_ops;
	vgpu_lock_init(&w->gather_lock);
	*out = &w->base;
	return VGPU_OK;
}
