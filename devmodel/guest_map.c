/* SPDX-License-Identifier: MIT */
/* The front-end's guest memory, mapped into the device model. */
#include "guest_map.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

/* Does [addr, addr + len) lie inside [start, start + size)? */
static bool range_inside(uint64_t addr, uint64_t len, uint64_t start, uint64_t size)
{
	return addr >= start && len <= size && addr - start <= size - len;
}

void guest_map_clear(struct guest_map *map)
{
	for (unsigned i = 0; i < map->nregions; i++)
		munmap(map->regions[i].mapping, map->regions[i].mapping_size);
	memset(map, 0, sizeof(*map));
}

static int map_region(struct guest_region *r, const struct guest_region_desc *d, int fd)
{
	uint64_t total;
	void *p;

	if (d->size == 0 || __builtin_add_overflow(d->size, d->mmap_offset, &total) ||
	    d->gpa + d->size < d->gpa || d->user_addr + d->size < d->user_addr)
		return -EINVAL;
	p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	r->gpa = d->gpa;
	r->size = d->size;
	r->user_addr = d->user_addr;
	r->mapping = p;
	r->mapping_size = total;
	r->base = (uint8_t *)p + d->mmap_offset;
	return 0;
}

int guest_map_set(struct guest_map *map, const struct guest_region_desc *descs, const int *fds,
		  unsigned n)
{
	guest_map_clear(map);
	if (n > GUEST_MAP_MAX_REGIONS)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		int err = map_region(&map->regions[i], &descs[i], fds[i]);

		if (err) {
			guest_map_clear(map);
			return err;
		}
		map->nregions = i + 1;
	}
	return 0;
}

void *guest_map_gpa(const struct guest_map *map, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < map->nregions; i++) {
		const struct guest_region *r = &map->regions[i];

		if (range_inside(gpa, len, r->gpa, r->size))
			return r->base + (gpa - r->gpa);
	}
	return NULL;
}

bool guest_map_user_to_gpa(const struct guest_map *map, uint64_t ua, uint64_t len, uint64_t *gpa)
{
	for (unsigned i = 0; i < map->nregions; i++) {
		const struct guest_region *r = &map->regions[i];

		if (range_inside(ua, len, r->user_addr, r->size)) {
			*gpa = r->gpa + (ua - r->user_addr);
			return true;
		}
	}
	return false;
}
