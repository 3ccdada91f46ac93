/* SPDX-License-Identifier: MIT */
/*
 * The buffers of an I/O request as the I/O manager sets them up and takes
 * them down: user buffers probed against the caller's address space, the
 * system buffer of buffered I/O, the MDL of direct I/O.
 */
#include "io_internal.h"

bool io_user_range(const void *p, size_t len, bool write)
{
	uint64_t start = (uint64_t)(uintptr_t)p, page;

	if (len == 0)
		return true;
	if (start < USER_VA_BASE || start >= USER_VA_END || len > USER_VA_END - start)
		return false;
	for (page = start & ~(uint64_t)(PLAT_PAGE_SIZE - 1); page < start + len;
	     page += PLAT_PAGE_SIZE) {
		uint64_t pa;
		unsigned flags;

		if (vm_translate(page, &pa, &flags) || !(flags & VM_USER))
			return false;
		if (write && !(flags & VM_WRITE))
			return false;
	}
	return true;
}

PVOID io_system_buffer(const void *input, ULONG input_len, ULONG size)
{
	PVOID buf;

	if (size == 0)
		return NULL;
	buf = nt_pool_alloc_harness(NonPagedPoolNx, size, IO_TAG_BUFFER);
	memset(buf, 0, size);
	if (input && input_len)
		memcpy(buf, input, input_len);
	return buf;
}

NTSTATUS io_lock_buffer(PVOID buffer, ULONG length, KPROCESSOR_MODE mode, LOCK_OPERATION operation,
			PMDL *out)
{
	*out = NULL;
	if (!buffer || !length)
		return STATUS_SUCCESS;
	*out = IoAllocateMdl(buffer, length, FALSE, FALSE, NULL);
	if (!*out)
		return STATUS_INSUFFICIENT_RESOURCES;
	MmProbeAndLockPages(*out, mode, operation);
	return STATUS_SUCCESS;
}

void io_buffers_finish(const struct io_irp_result *result, ULONG max_copy)
{
	ULONG_PTR copy = result->iosb.Information;

	if ((result->flags & IRP_INPUT_OPERATION) && result->system_buffer &&
	    !NT_ERROR(result->iosb.Status)) {
		if (copy > max_copy)
			copy = max_copy;
		memcpy(result->user_buffer, result->system_buffer, copy);
	}
	if (result->mdl) {
		MmUnlockPages(result->mdl);
		IoFreeMdl(result->mdl);
	}
	if ((result->flags & IRP_DEALLOCATE_BUFFER) && result->system_buffer)
		nt_pool_free_harness(result->system_buffer);
}
