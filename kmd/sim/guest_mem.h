/* SPDX-License-Identifier: MIT */
/*
 * The sim's guest RAM: one shared file under /dev/shm that the sim maps,
 * hands to the vhost-user backend (SET_MEM_TABLE) and to clients (hello),
 * plus a page allocator over it.  Guest-physical address = GUEST_MEM_GPA_BASE
 * + file offset, so that 0 is never a valid address.
 */
#ifndef VGPU_SIM_GUEST_MEM_H
#define VGPU_SIM_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_MEM_PAGE_SIZE 4096u
#define GUEST_MEM_GPA_BASE (1ull << 20)
#define GUEST_MEM_DEFAULT_SIZE (1ull << 30)
/* Large enough for the rings and a few resources; small enough to be sane. */
#define GUEST_MEM_MIN_SIZE (1ull << 20)
#define GUEST_MEM_MAX_SIZE (64ull << 30)

struct guest_mem;

/* A run of pages, as a file offset and a length in bytes. */
struct guest_mem_run {
	uint64_t offset;
	uint64_t len;
};

/*
 * Create the file (exclusive, mode 0600, a name made unique by pid and a
 * counter), size it and map it.  `size` is rounded up to whole pages and
 * must lie within [GUEST_MEM_MIN_SIZE, GUEST_MEM_MAX_SIZE].  Returns NULL
 * with errno set on failure.
 */
struct guest_mem *guest_mem_create(uint64_t size);
/* Unmap, close and unlink the file. */
void guest_mem_destroy(struct guest_mem *mem);

int guest_mem_fd(const struct guest_mem *mem);
const char *guest_mem_path(const struct guest_mem *mem);
uint64_t guest_mem_size(const struct guest_mem *mem);
void *guest_mem_base_va(const struct guest_mem *mem);

/* Pages not allocated right now. */
uint64_t guest_mem_free_pages(struct guest_mem *mem);

/*
 * `len` bytes (rounded up to pages) in one run, zeroed.  Returns 0 and the
 * run's file offset, or -1 when no run is large enough (or len is 0).
 */
int guest_mem_alloc_contig(struct guest_mem *mem, uint64_t len, uint64_t *offset);

/*
 * `len` bytes (rounded up to pages) in as few runs as it reasonably can:
 * one run if possible, then large runs, then whatever fragments remain.
 * All zeroed.  On success *runs (to free()) holds *nruns runs whose lengths
 * add up to the rounded length.  Returns -1 when memory is short (nothing
 * is kept allocated then) or len is 0.
 */
int guest_mem_alloc_sg(struct guest_mem *mem, uint64_t len, struct guest_mem_run **runs,
		       uint32_t *nruns);

/* Give back `len` bytes (rounded up to pages) at `offset`. */
void guest_mem_free(struct guest_mem *mem, uint64_t offset, uint64_t len);

static inline uint64_t guest_mem_gpa(uint64_t offset)
{
	return GUEST_MEM_GPA_BASE + offset;
}

/*
 * The file offset of guest-physical range [gpa, gpa+len), if the whole
 * range lies in guest memory.
 */
bool guest_mem_offset_of(const struct guest_mem *mem, uint64_t gpa, uint64_t len, uint64_t *offset);

#endif /* VGPU_SIM_GUEST_MEM_H */
