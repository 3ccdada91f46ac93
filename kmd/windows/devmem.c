/* SPDX-License-Identifier: MIT */
/*
 * Range checks for device-memory user mappings.  Ranges come from the
 * device (through the core) and from the kernel's own tables; none of the
 * sums below may wrap, so each compares against what is left instead.
 */
#include "devmem.h"

bool win_devmem_request_ok(uint64_t pa, uint64_t size)
{
	if (size == 0 || size > WIN_DEVMEM_MAX_BYTES)
		return false;
	if ((pa | size) & (WIN_DEVMEM_PAGE_SIZE - 1))
		return false;
	return pa <= UINT64_MAX - size;
}

bool win_devmem_inside(uint64_t pa, uint64_t size, uint64_t base, uint64_t len)
{
	if (size == 0 || len == 0 || pa < base)
		return false;
	return pa - base < len && size <= len - (pa - base);
}

/* Measured from the lower start, the other range begins before the lower one ends. */
bool win_devmem_overlaps(uint64_t pa, uint64_t size, uint64_t base, uint64_t len)
{
	if (size == 0 || len == 0)
		return false;
	if (pa <= base)
		return base - pa < size;
	return pa - base < len;
}
