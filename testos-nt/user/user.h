/* SPDX-License-Identifier: MIT */
/*
 * User mode in the guest: the Win32 functions libvgpu calls (kernel32,
 * setupapi) and its C library, over the harness's I/O manager and the
 * calling process's own address space.
 *
 * The Win32 headers (<windows.h>) and the DDK's (<ntddk.h>) cannot meet in
 * one file, so the Win32 side reaches the harness through this bridge of
 * plain C types (bridge.c).
 */
#ifndef NTH_USER_H
#define NTH_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nt_process;

/* iomgr.h's user-mode calls, errors as Win32 error codes */
void *user_create_file(const uint16_t *path, uint32_t *error);
bool user_device_control(void *handle, uint32_t code, void *in, uint32_t in_len, void *out,
			 uint32_t out_len, uint32_t *returned, uint32_t *error);
bool user_close_handle(void *handle, uint32_t *error);
/* CancelIoEx(handle, NULL): every call of this process on the handle. */
bool user_cancel_io(void *handle);
/* ReadFile: an IRP_MJ_READ, which vgpu's ABI does not have. */
bool user_read_file(void *handle, void *buffer, uint32_t length, uint32_t *read, uint32_t *error);
/* DuplicateHandle into another process. */
void *user_duplicate_handle(struct nt_process *from, void *handle, struct nt_process *to);
/* Enabled interfaces of the class `guid` (16 bytes, GUID layout). */
unsigned user_interfaces(const void *guid, const uint16_t **paths, unsigned max);

void *user_current_thread(void);
bool user_thread_finished(void *thread);
/* Let the other threads run (a user-mode wait). */
void user_yield(void);
/* Sleep(ms): the thread waits, so the CPU idles when no other thread runs. */
void user_sleep_ms(uint32_t ms);
uint64_t user_now_ns(void);
__attribute__((noreturn)) void user_misuse(const char *function, const char *what,
					   const void *caller);

#endif /* NTH_USER_H */
