/* SPDX-License-Identifier: MIT */
/*
 * The kernel32 functions libvgpu's Windows channel and locks call, with
 * the Win32 headers' own prototypes.  Each thread keeps its own last error.
 */
#define _KERNEL32_
#include <windows.h>

#include "user.h"

#define MAX_THREADS 64u

struct last_error {
	void *thread;
	DWORD error;
};
static struct last_error last_errors[MAX_THREADS];

static struct last_error *error_slot(void)
{
	void *self = user_current_thread();
	unsigned i;

	for (i = 0; i < MAX_THREADS; i++)
		if (last_errors[i].thread == self)
			return &last_errors[i];
	for (i = 0; i < MAX_THREADS; i++) {
		if (!last_errors[i].thread || user_thread_finished(last_errors[i].thread)) {
			last_errors[i].thread = self;
			last_errors[i].error = 0;
			return &last_errors[i];
		}
	}
	user_misuse("SetLastError", "more live user threads than the harness keeps errors for",
		    __builtin_return_address(0));
}

static void set_error(DWORD error)
{
	error_slot()->error = error;
}

/* learn.microsoft.com: errhandlingapi/nf-errhandlingapi-getlasterror */
DWORD WINAPI GetLastError(void)
{
	return error_slot()->error;
}

/* learn.microsoft.com: errhandlingapi/nf-errhandlingapi-setlasterror */
void WINAPI SetLastError(DWORD error)
{
	set_error(error);
}

/* learn.microsoft.com: fileapi/nf-fileapi-createfilew (devices: OPEN_EXISTING only) */
HANDLE WINAPI CreateFileW(LPCWSTR path, DWORD access, DWORD share, LPSECURITY_ATTRIBUTES sa,
			  DWORD disposition, DWORD flags, HANDLE template_file)
{
	uint32_t error = 0;
	HANDLE h;

	if (!path || disposition != OPEN_EXISTING) {
		set_error(ERROR_INVALID_PARAMETER);
		return INVALID_HANDLE_VALUE;
	}
	h = user_create_file(path, &error);
	set_error(error);
	return h;
}

/* learn.microsoft.com: ioapiset/nf-ioapiset-deviceiocontrol (synchronous handles) */
BOOL WINAPI DeviceIoControl(HANDLE h, DWORD code, LPVOID in, DWORD in_len, LPVOID out,
			    DWORD out_len, LPDWORD returned, LPOVERLAPPED overlapped)
{
	uint32_t error = 0, got = 0;
	BOOL ok;

	if (overlapped) {
		set_error(ERROR_INVALID_PARAMETER);
		return FALSE;
	}
	ok = user_device_control(h, code, in, in_len, out, out_len, &got, &error);
	if (returned)
		*returned = got;
	set_error(error);
	return ok;
}

/* learn.microsoft.com: handleapi/nf-handleapi-closehandle */
BOOL WINAPI CloseHandle(HANDLE h)
{
	uint32_t error = 0;
	BOOL ok = user_close_handle(h, &error);

	set_error(error);
	return ok;
}

/*
 * Slim reader/writer locks, exclusive only (all libvgpu takes).  Threads
 * are scheduled cooperatively: a taken lock is waited for by letting the
 * other threads run.
 */
/* learn.microsoft.com: synchapi/nf-synchapi-initializesrwlock */
void WINAPI InitializeSRWLock(PSRWLOCK lock)
{
	lock->Ptr = NULL;
}

/* learn.microsoft.com: synchapi/nf-synchapi-acquiresrwlockexclusive */
void WINAPI AcquireSRWLockExclusive(PSRWLOCK lock)
{
	void *self = user_current_thread();

	if (lock->Ptr == self)
		user_misuse("AcquireSRWLockExclusive", "recursive acquire (SRW locks are not)",
			    __builtin_return_address(0));
	while (lock->Ptr)
		user_yield();
	lock->Ptr = self;
}

/* learn.microsoft.com: synchapi/nf-synchapi-releasesrwlockexclusive */
void WINAPI ReleaseSRWLockExclusive(PSRWLOCK lock)
{
	if (lock->Ptr != user_current_thread())
		user_misuse("ReleaseSRWLockExclusive", "released by a thread that does not hold it",
			    __builtin_return_address(0));
	lock->Ptr = NULL;
}

/* learn.microsoft.com: profileapi/nf-profileapi-queryperformancecounter (1 ns ticks) */
BOOL WINAPI QueryPerformanceCounter(LARGE_INTEGER *count)
{
	count->QuadPart = (LONGLONG)user_now_ns();
	return TRUE;
}

/* learn.microsoft.com: profileapi/nf-profileapi-queryperformancefrequency */
BOOL WINAPI QueryPerformanceFrequency(LARGE_INTEGER *freq)
{
	freq->QuadPart = 1000000000ll;
	return TRUE;
}
