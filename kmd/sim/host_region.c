/* SPDX-License-Identifier: MIT */
/* The host-visible region: checked, placed, mapped and named for clients. */
#include "host_region.h"

#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_mem.h"

void host_region_init(struct host_region *r)
{
	r->fd = -1;
	r->size = 0;
	r->pa = 0;
	r->va = NULL;
	r->path[0] = '\0';
}

static uint64_t power_of_two_above(uint64_t v)
{
	uint64_t p = GUEST_MEM_PAGE_SIZE;

	while (p < v)
		p <<= 1;
	return p;
}

/* Where the region goes; false when the place is unusable. */
static bool place(uint64_t size, uint64_t gpa_base, uint64_t guest_end, uint64_t *pa)
{
	uint64_t align;

	if (gpa_base) {
		*pa = gpa_base;
		return gpa_base % GUEST_MEM_PAGE_SIZE == 0 && gpa_base <= UINT64_MAX - size &&
		       (gpa_base >= guest_end || gpa_base + size <= GUEST_MEM_GPA_BASE);
	}
	/* Regions up to 2^62 bytes: the alignment itself cannot overflow. */
	if (size > (1ull << 62))
		return false;
	align = power_of_two_above(size);
	if (guest_end > UINT64_MAX - align)
		return false;
	*pa = (guest_end + align - 1) / align * align;
	return *pa <= UINT64_MAX - size;
}

static int check_file(int fd, uint64_t size)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size < 0 || (uint64_t)st.st_size < size)
		return -EINVAL;
	return 0;
}

int host_region_take(struct host_region *r, int fd, uint64_t size, uint64_t gpa_base,
		     uint64_t guest_end)
{
	uint64_t pa = 0;
	void *va;
	int err;

	if (!r || fd < 0 || !size || size % GUEST_MEM_PAGE_SIZE ||
	    !place(size, gpa_base, guest_end, &pa)) {
		err = -EINVAL;
		goto fail;
	}
	err = check_file(fd, size);
	if (err)
		goto fail;
	va = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (va == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	r->fd = fd;
	r->size = size;
	r->pa = pa;
	r->va = va;
	snprintf(r->path, sizeof(r->path), "/proc/%ld/fd/%d", (long)getpid(), fd);
	return 0;

fail:
	if (fd >= 0)
		close(fd);
	return err;
}

void host_region_fini(struct host_region *r)
{
	if (!r || r->fd < 0)
		return;
	munmap(r->va, r->size);
	close(r->fd);
	host_region_init(r);
}

bool host_region_offset_of(const struct host_region *r, uint64_t pa, uint64_t len, uint64_t *offset)
{
	if (!host_region_present(r) || !offset || !len || pa < r->pa)
		return false;
	pa -= r->pa;
	if (pa >= r->size || len > r->size - pa)
		return false;
	*offset = pa;
	return true;
}
