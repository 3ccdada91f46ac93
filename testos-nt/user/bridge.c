/* SPDX-License-Identifier: MIT */
/* The harness's side of user.h: the I/O manager and the scheduler, in plain C types. */
#include "iomgr.h"
#include "user.h"

_Static_assert(sizeof(GUID) == 16, "GUID layout");
_Static_assert(sizeof(WCHAR) == sizeof(uint16_t), "WCHAR is UTF-16");

void *user_create_file(const uint16_t *path, uint32_t *error)
{
	ULONG err = 0;
	HANDLE h = io_create_file((const WCHAR *)path, &err);

	*error = err;
	return h;
}

bool user_device_control(void *handle, uint32_t code, void *in, uint32_t in_len, void *out,
			 uint32_t out_len, uint32_t *returned, uint32_t *error)
{
	ULONG got = 0, err = 0;
	BOOL ok = io_device_control(handle, code, in, in_len, out, out_len, &got, &err);

	*returned = got;
	*error = err;
	return ok;
}

bool user_close_handle(void *handle, uint32_t *error)
{
	ULONG err = 0;
	BOOL ok = io_close_handle(handle, &err);

	*error = err;
	return ok;
}

unsigned user_interfaces(const void *guid, const uint16_t **paths, unsigned max)
{
	return io_interfaces(guid, (const WCHAR **)paths, max);
}

void *user_current_thread(void)
{
	return nt_current_thread();
}

bool user_thread_finished(void *thread)
{
	return nt_thread_finished(thread);
}

void user_yield(void)
{
	nt_sched_point();
}

uint64_t user_now_ns(void)
{
	return plat_now_ns();
}

void user_misuse(const char *function, const char *what, const void *caller)
{
	nt_violation(function, "user-mode misuse", caller, "%s", what);
}
