/* SPDX-License-Identifier: MIT */
/*
 * The dispatcher's validation cases (tests/guest/validation.c), which
 * testos runs through vgpu_file_ioctl, here through DeviceIoControl into
 * vgpu.sys: each case is a program whose buffers are its own user memory,
 * so the I/O manager's buffering and the shell's reading of them are part
 * of what is checked.
 */
#include "scenario.h"
#include "validation.h"
#include "../user/user.h"
#include "vgpu/vgpu_windows.h"

/* A Win32 error as libvgpu reads it. */
static int status_of(uint32_t error)
{
	int status = vgpu_win_error_to_status(error);

	return status == VGPU_OK ? VGPU_E_TRANSPORT : status;
}

static int open_handle(void *ctx, void **handle)
{
	ULONG error = 0;
	HANDLE h = app_open_raw("", &error);

	*handle = h == INVALID_HANDLE_VALUE ? NULL : h;
	return *handle ? VGPU_OK : status_of(error);
}

static void close_handle(void *ctx, void *handle)
{
	uint32_t error = 0;

	CHECK(user_close_handle(handle, &error));
}

/* Windows has one output buffer: a buffered call's answer, or a direct call's payload. */
static int raw_call(void *ctx, void *handle, uint32_t code, const void *in, uint32_t in_size,
		    void *out, uint32_t out_size, void *payload, uint32_t payload_size)
{
	void *buffer = out ? out : payload;
	uint32_t size = out ? out_size : payload_size, returned = 0, error = 0;

	if (user_device_control(handle, code, (void *)in, in_size, buffer, size, &returned, &error))
		return VGPU_OK;
	return status_of(error);
}

static const struct validation_guest guest = { NULL, open_handle, close_handle, raw_call };

#define RUN_CASE(name)                                                                             \
	static void app_##name(void *arg)                                                          \
	{                                                                                          \
		validation_##name(&guest);                                                         \
	}                                                                                          \
	static void run_##name(void)                                                               \
	{                                                                                          \
		if (need_started_gpu())                                                            \
			run_app(#name, app_##name, NULL);                                          \
	}
VALIDATION_CASES(RUN_CASE)

#define CASE_ENTRY(name) { "validation." #name, run_##name },
const struct scenario scenarios_validation[] = { VALIDATION_CASES(CASE_ENTRY) };
const unsigned scenarios_validation_count =
	sizeof(scenarios_validation) / sizeof(scenarios_validation[0]);
