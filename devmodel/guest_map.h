/* SPDX-License-Identifier: MIT */
/*
 * The guest memory the front-end shares with the device (SET_MEM_TABLE):
 * each region is a file the front-end passed, mapped here, and known by its
 * guest-physical address and by the front-end's own virtual address (ring
 * addresses arrive in the latter).  Every lookup checks the whole range.
 */
#ifndef VGPU_DEVMODEL_GUEST_MAP_H
#define VGPU_DEVMODEL_GUEST_MAP_H

#include <stdbool.h>
#include <stdint.h>

#define GUEST_MAP_MAX_REGIONS 8

struct guest_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t user_addr; /* the front-end's virtual address of the region */
	uint8_t *base;      /* our mapping of the region's first byte */
	void *mapping;      /* what mmap gave (the file from offset 0) */
	uint64_t mapping_size;
};

struct guest_map {
	unsigned nregions;
	struct guest_region regions[GUEST_MAP_MAX_REGIONS];
};

/* The front-end's description of one region (vhost-user memory region). */
struct guest_region_desc {
	uint64_t gpa;
	uint64_t size;
	uint64_t user_addr;
	uint64_t mmap_offset;
};

/*
 * Replace the table: map `n` regions, region i from fds[i] (the fds stay
 * the caller's).  On failure the old table is gone too.  0 or -errno.
 */
int guest_map_set(struct guest_map *map, const struct guest_region_desc *descs, const int *fds,
		  unsigned n);

void guest_map_clear(struct guest_map *map);

/* `len` bytes at guest-physical `gpa`, or NULL unless inside one region. */
void *guest_map_gpa(const struct guest_map *map, uint64_t gpa, uint64_t len);

/* The guest-physical address of the front-end address `ua`; false if none. */
bool guest_map_user_to_gpa(const struct guest_map *map, uint64_t ua, uint64_t len, uint64_t *gpa);

#endif /* VGPU_DEVMODEL_GUEST_MAP_H */
