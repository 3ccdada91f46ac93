/* SPDX-License-Identifier: MIT */
/*
 * The device's host-visible memory as the sim, playing the VMM, holds it:
 * a shared file the back-end handed over (vgpu-devmodel's request 1000,
 * see devmodel/README.md), mapped in the sim and placed in guest-physical
 * space where the core finds it as shared-memory region 1.
 *
 * Placement.  A device that names no address (the standard personality,
 * where the region is a PCI BAR window) gets one the way firmware places a
 * 64-bit BAR: aligned to its size rounded up to a power of two, at the
 * first such address above guest memory, so nothing else lies there.
 * A device that names one (Mvisor: 256 GiB) gets exactly that, provided it
 * is page-aligned and clear of guest memory.
 *
 * Clients reach the file by its descriptor (Unix sockets) or, when they
 * can only open files by name (TCP clients, Windows programs under Wine),
 * by "/proc/<sim pid>/fd/<n>", which a process of the same user can open.
 */
#ifndef VGPU_SIM_HOST_REGION_H
#define VGPU_SIM_HOST_REGION_H

#include <stdbool.h>
#include <stdint.h>

#include "vgpu/vgpu_socket.h"

struct host_region {
	int fd; /* -1: the device has no host-visible memory */
	uint64_t size;
	uint64_t pa; /* guest-physical address of offset 0 */
	void *va;    /* the sim's own view of the file */
	char path[VGPU_SOCK_PATH_MAX];
};

/* No region yet. */
void host_region_init(struct host_region *r);

/*
 * Take over `fd` (closed on failure too) as a region of `size` bytes that
 * the device placed at `gpa_base` (0: the sim places it above `guest_end`,
 * the end of guest memory).  Returns 0, -EINVAL (size 0 or not whole
 * pages, a file shorter than size, a placement that overlaps guest memory,
 * is misaligned or wraps) or another negative errno (the map failed).
 */
int host_region_take(struct host_region *r, int fd, uint64_t size, uint64_t gpa_base,
		     uint64_t guest_end);

/* Unmap and close; the region is gone. */
void host_region_fini(struct host_region *r);

static inline bool host_region_present(const struct host_region *r)
{
	return r && r->fd >= 0 && r->size;
}

/* The file offset of [pa, pa + len), if that range lies wholly in the region. */
bool host_region_offset_of(const struct host_region *r, uint64_t pa, uint64_t len,
			   uint64_t *offset);

#endif /* VGPU_SIM_HOST_REGION_H */
