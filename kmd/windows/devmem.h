/* SPDX-License-Identifier: MIT */
/*
 * The arithmetic of mapping device memory (a host-visible window) into a
 * process: which requests are well-formed and where they lie against the
 * device's BARs and the machine's RAM.  Plain C without kernel headers, so
 * that the Linux tests run it as is; user_map.c does the mapping.
 */
#ifndef VGPU_WIN_DEVMEM_H
#define VGPU_WIN_DEVMEM_H

#include <stdbool.h>
#include <stdint.h>

#define WIN_DEVMEM_PAGE_SIZE 4096u
/* One MDL describes at most 4 GiB less a page (IoAllocateMdl, Windows 7 and later). */
#define WIN_DEVMEM_MAX_BYTES 0xFFFFF000ull

/* Page-aligned, nonempty, not wrapping and small enough for one MDL. */
bool win_devmem_request_ok(uint64_t pa, uint64_t size);

/* [pa, pa + size) lies wholly in [base, base + len); both well-formed, len 0 holds nothing. */
bool win_devmem_inside(uint64_t pa, uint64_t size, uint64_t base, uint64_t len);

/* [pa, pa + size) and [base, base + len) share a byte. */
bool win_devmem_overlaps(uint64_t pa, uint64_t size, uint64_t base, uint64_t len);

#endif /* VGPU_WIN_DEVMEM_H */
