/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM of the sim and its page allocator: a bitmap (one bit per 4 KiB
 * page, set = allocated) searched next-fit from a cursor, under one mutex.
 */
#include "guest_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Runs at least this long are taken first when memory is fragmented. */
#define LARGE_RUN_PAGES 64u

struct guest_mem {
	int fd;
	char path[64];
	uint64_t size;
	uint8_t *va;

	pthread_mutex_t lock;
	uint64_t *bitmap;
	uint64_t npages;
	uint64_t nfree;
	uint64_t cursor;
};

static uint64_t pages_of(uint64_t len)
{
	return (len + GUEST_MEM_PAGE_SIZE - 1) / GUEST_MEM_PAGE_SIZE;
}

static bool page_used(const struct guest_mem *mem, uint64_t page)
{
	return (mem->bitmap[page / 64] >> (page % 64)) & 1u;
}

static void mark_pages(struct guest_mem *mem, uint64_t first, uint64_t n, bool used)
{
	for (uint64_t p = first; p < first + n; p++) {
		uint64_t bit = 1ull << (p % 64);

		if (used == page_used(mem, p))
			continue;
		if (used) {
			mem->bitmap[p / 64] |= bit;
			mem->nfree--;
		} else {
			mem->bitmap[p / 64] &= ~bit;
			mem->nfree++;
		}
	}
}

/* First page at or after `from` whose state is `used`, or npages. */
static uint64_t next_page_in_state(const struct guest_mem *mem, uint64_t from, bool used)
{
	uint64_t skip = used ? 0 : ~0ull; /* whole words that cannot match */

	while (from < mem->npages) {
		if (from % 64 == 0 && mem->bitmap[from / 64] == skip) {
			from += 64;
			continue;
		}
		if (page_used(mem, from) == used)
			return from;
		from++;
	}
	return mem->npages;
}

/* The first free run starting in [from, to); false if there is none. */
static bool next_free_run(const struct guest_mem *mem, uint64_t from, uint64_t to, uint64_t *start,
			  uint64_t *len)
{
	uint64_t first = next_page_in_state(mem, from, false);

	if (first >= to)
		return false;
	*start = first;
	*len = next_page_in_state(mem, first, true) - first;
	return true;
}

static bool find_contig(const struct guest_mem *mem, uint64_t from, uint64_t to, uint64_t n,
			uint64_t *start)
{
	uint64_t run_start, run_len;

	while (next_free_run(mem, from, to, &run_start, &run_len)) {
		if (run_len >= n) {
			*start = run_start;
			return true;
		}
		from = run_start + run_len;
	}
	return false;
}

/* Pages go to user mode and to the device: no earlier contents may show. */
static void zero_range(struct guest_mem *mem, uint64_t offset, uint64_t len)
{
	/* Punching a hole also gives the memory back to the system. */
	if (fallocate(mem->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset,
		      (off_t)len) == 0)
		return;
	memset(mem->va + offset, 0, len);
}

static bool alloc_contig_locked(struct guest_mem *mem, uint64_t n, uint64_t *first)
{
	if (!find_contig(mem, mem->cursor, mem->npages, n, first) &&
	    !find_contig(mem, 0, mem->cursor, n, first))
		return false;
	mark_pages(mem, *first, n, true);
	mem->cursor = *first + n == mem->npages ? 0 : *first + n;
	return true;
}

int guest_mem_alloc_contig(struct guest_mem *mem, uint64_t len, uint64_t *offset)
{
	uint64_t n = pages_of(len), first;
	bool ok;

	if (!mem || !offset || len == 0 || len > mem->size)
		return -1;
	pthread_mutex_lock(&mem->lock);
	ok = alloc_contig_locked(mem, n, &first);
	pthread_mutex_unlock(&mem->lock);
	if (!ok)
		return -1;
	*offset = first * GUEST_MEM_PAGE_SIZE;
	zero_range(mem, *offset, n * GUEST_MEM_PAGE_SIZE);
	return 0;
}

struct run_list {
	struct guest_mem_run *runs;
	uint32_t n;
	uint32_t cap;
};

static bool run_list_push(struct run_list *list, uint64_t first_page, uint64_t npages)
{
	if (list->n == list->cap) {
		uint32_t cap = list->cap ? list->cap * 2 : 8;
		struct guest_mem_run *grown = realloc(list->runs, cap * sizeof(*grown));

		if (!grown)
			return false;
		list->runs = grown;
		list->cap = cap;
	}
	list->runs[list->n].offset = first_page * GUEST_MEM_PAGE_SIZE;
	list->runs[list->n].len = npages * GUEST_MEM_PAGE_SIZE;
	list->n++;
	return true;
}

/* Take free runs of at least `min_run` pages (or what is left) until *left is 0. */
static bool gather_runs(struct guest_mem *mem, uint64_t min_run, uint64_t *left,
			struct run_list *list)
{
	uint64_t from = 0, start, len;

	while (*left && next_free_run(mem, from, mem->npages, &start, &len)) {
		uint64_t take = len < *left ? len : *left;

		from = start + len;
		if (take < min_run && take < *left)
			continue;
		if (!run_list_push(list, start, take))
			return false;
		mark_pages(mem, start, take, true);
		*left -= take;
	}
	return true;
}

static void release_runs_locked(struct guest_mem *mem, const struct run_list *list)
{
	for (uint32_t i = 0; i < list->n; i++)
		mark_pages(mem, list->runs[i].offset / GUEST_MEM_PAGE_SIZE,
			   list->runs[i].len / GUEST_MEM_PAGE_SIZE, false);
}

static bool alloc_sg_locked(struct guest_mem *mem, uint64_t n, struct run_list *list)
{
	uint64_t left = n, first;

	if (alloc_contig_locked(mem, n, &first)) {
		if (run_list_push(list, first, n))
			return true;
		mark_pages(mem, first, n, false);
		return false;
	}
	if (mem->nfree < n)
		return false;
	if (gather_runs(mem, LARGE_RUN_PAGES, &left, list) && gather_runs(mem, 1, &left, list) &&
	    left == 0)
		return true;
	release_runs_locked(mem, list);
	return false;
}

int guest_mem_alloc_sg(struct guest_mem *mem, uint64_t len, struct guest_mem_run **runs,
		       uint32_t *nruns)
{
	struct run_list list = { 0 };
	bool ok;

	if (!mem || !runs || !nruns || len == 0 || len > mem->size)
		return -1;
	pthread_mutex_lock(&mem->lock);
	ok = alloc_sg_locked(mem, pages_of(len), &list);
	pthread_mutex_unlock(&mem->lock);
	if (!ok) {
		free(list.runs);
		return -1;
	}
	for (uint32_t i = 0; i < list.n; i++)
		zero_range(mem, list.runs[i].offset, list.runs[i].len);
	*runs = list.runs;
	*nruns = list.n;
	return 0;
}

void guest_mem_free(struct guest_mem *mem, uint64_t offset, uint64_t len)
{
	uint64_t n = pages_of(len);

	if (!mem || len == 0 || offset % GUEST_MEM_PAGE_SIZE || offset >= mem->size ||
	    n > mem->npages - offset / GUEST_MEM_PAGE_SIZE)
		return;
	/*
	 * Give the memory back now, not when these pages are next handed out:
	 * the device maps all of guest memory and keeps every page it touched
	 * resident, and the next-fit allocator comes round to them only after
	 * walking all of guest memory (a backend grew by each texture size).
	 */
	zero_range(mem, offset, n * GUEST_MEM_PAGE_SIZE);
	pthread_mutex_lock(&mem->lock);
	mark_pages(mem, offset / GUEST_MEM_PAGE_SIZE, n, false);
	pthread_mutex_unlock(&mem->lock);
}

uint64_t guest_mem_free_pages(struct guest_mem *mem)
{
	uint64_t n;

	pthread_mutex_lock(&mem->lock);
	n = mem->nfree;
	pthread_mutex_unlock(&mem->lock);
	return n;
}

bool guest_mem_offset_of(const struct guest_mem *mem, uint64_t gpa, uint64_t len, uint64_t *offset)
{
	if (!mem || gpa < GUEST_MEM_GPA_BASE)
		return false;
	gpa -= GUEST_MEM_GPA_BASE;
	if (gpa >= mem->size || len > mem->size - gpa)
		return false;
	*offset = gpa;
	return true;
}

/*
 * A sim that was killed leaves its file behind, and a later sim may get its
 * process id: a name that is taken is passed over, not an error.
 */
static int open_unique_file(char *path, size_t path_size)
{
	static atomic_uint counter;
	int fd = -1;
	unsigned tries;

	for (tries = 0; tries < 1000 && fd < 0; tries++) {
		snprintf(path, path_size, "/dev/shm/vgpu-sim-%ld-%u", (long)getpid(),
			 atomic_fetch_add(&counter, 1));
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	return fd;
}

static int map_file(struct guest_mem *mem)
{
	void *va;

	if (ftruncate(mem->fd, (off_t)mem->size) != 0)
		return -1;
	va = mmap(NULL, mem->size, PROT_READ | PROT_WRITE, MAP_SHARED, mem->fd, 0);
	if (va == MAP_FAILED)
		return -1;
	mem->va = va;
	return 0;
}

struct guest_mem *guest_mem_create(uint64_t size)
{
	struct guest_mem *mem;
	int saved;

	size = pages_of(size) * GUEST_MEM_PAGE_SIZE;
	if (size < GUEST_MEM_MIN_SIZE || size > GUEST_MEM_MAX_SIZE) {
		errno = EINVAL;
		return NULL;
	}
	mem = calloc(1, sizeof(*mem));
	if (!mem)
		return NULL;
	mem->size = size;
	mem->npages = size / GUEST_MEM_PAGE_SIZE;
	mem->nfree = mem->npages;
	mem->bitmap = calloc((mem->npages + 63) / 64, sizeof(uint64_t));
	if (!mem->bitmap)
		goto fail_bitmap;
	pthread_mutex_init(&mem->lock, NULL);
	mem->fd = open_unique_file(mem->path, sizeof(mem->path));
	if (mem->fd < 0)
		goto fail_open;
	if (map_file(mem) != 0)
		goto fail_map;
	return mem;

fail_map:
	saved = errno;
	close(mem->fd);
	unlink(mem->path);
	errno = saved;
fail_open:
	pthread_mutex_destroy(&mem->lock);
	free(mem->bitmap);
fail_bitmap:
	free(mem);
	return NULL;
}

void guest_mem_destroy(struct guest_mem *mem)
{
	if (!mem)
		return;
	munmap(mem->va, mem->size);
	close(mem->fd);
	unlink(mem->path);
	pthread_mutex_destroy(&mem->lock);
	free(mem->bitmap);
	free(mem);
}

int guest_mem_fd(const struct guest_mem *mem)
{
	return mem->fd;
}

const char *guest_mem_path(const struct guest_mem *mem)
{
	return mem->path;
}

uint64_t guest_mem_size(const struct guest_mem *mem)
{
	return mem->size;
}

void *guest_mem_base_va(const struct guest_mem *mem)
{
	return mem->va;
}
