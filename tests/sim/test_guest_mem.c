/* SPDX-License-Identifier: MIT */
/* The sim's guest memory file and its page allocator. */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_mem.h"
#include "tap.h"

#define PAGE GUEST_MEM_PAGE_SIZE
#define SMALL_MEM (1ull << 20) /* 256 pages */

static bool all_zero(const struct guest_mem *mem, uint64_t offset, uint64_t len)
{
	const uint8_t *p = (const uint8_t *)guest_mem_base_va(mem) + offset;

	for (uint64_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static void test_file_lifecycle(void)
{
	struct guest_mem *mem = guest_mem_create(SMALL_MEM + 1);
	struct stat st;
	char path[64];

	CHECK(mem != NULL);
	if (!mem)
		return;
	CHECK_EQ(guest_mem_size(mem), SMALL_MEM + PAGE); /* rounded up to a page */
	CHECK(strncmp(guest_mem_path(mem), "/dev/shm/vgpu-sim-", 18) == 0);
	CHECK(fstat(guest_mem_fd(mem), &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_EQ(st.st_size, SMALL_MEM + PAGE);
	snprintf(path, sizeof(path), "%s", guest_mem_path(mem));
	CHECK(access(path, F_OK) == 0);
	guest_mem_destroy(mem);
	CHECK(access(path, F_OK) != 0);
}

static void test_bad_sizes(void)
{
	CHECK(guest_mem_create(0) == NULL);
	CHECK(guest_mem_create(GUEST_MEM_MIN_SIZE - PAGE) == NULL);
	CHECK(guest_mem_create(GUEST_MEM_MAX_SIZE + PAGE) == NULL);
}

static void test_two_files_differ(void)
{
	struct guest_mem *a = guest_mem_create(SMALL_MEM), *b = guest_mem_create(SMALL_MEM);

	CHECK(a && b);
	if (a && b)
		CHECK(strcmp(guest_mem_path(a), guest_mem_path(b)) != 0);
	guest_mem_destroy(a);
	guest_mem_destroy(b);
}

static void test_address_translation(void)
{
	struct guest_mem *mem = guest_mem_create(SMALL_MEM);
	uint64_t off = 1;

	CHECK(mem != NULL);
	if (!mem)
		return;
	CHECK(guest_mem_gpa(0) != 0);
	CHECK(guest_mem_offset_of(mem, guest_mem_gpa(8192), 100, &off));
	CHECK_EQ(off, 8192);
	CHECK(!guest_mem_offset_of(mem, 0, 1, &off));
	CHECK(!guest_mem_offset_of(mem, guest_mem_gpa(0) - 1, 1, &off));
	CHECK(!guest_mem_offset_of(mem, guest_mem_gpa(SMALL_MEM - 4), 8, &off));
	CHECK(!guest_mem_offset_of(mem, guest_mem_gpa(SMALL_MEM), 0, &off));
	CHECK(!guest_mem_offset_of(mem, UINT64_MAX - 2, 8, &off));
	CHECK(guest_mem_offset_of(mem, guest_mem_gpa(SMALL_MEM - 8), 8, &off));
	guest_mem_destroy(mem);
}

static void test_contig_alloc_zeroed_and_reused(void)
{
	struct guest_mem *mem = guest_mem_create(SMALL_MEM);
	uint64_t a, b, c;

	CHECK(mem != NULL);
	if (!mem)
		return;
	CHECK(guest_mem_alloc_contig(mem, 3 * PAGE, &a) == 0);
	CHECK(guest_mem_alloc_contig(mem, 1, &b) == 0);
	CHECK(a % PAGE == 0 && b % PAGE == 0);
	CHECK(b >= a + 3 * PAGE || b + PAGE <= a);
	CHECK_EQ(guest_mem_free_pages(mem), SMALL_MEM / PAGE - 4);
	CHECK(all_zero(mem, a, 3 * PAGE));
	memset((uint8_t *)guest_mem_base_va(mem) + a, 0xab, 3 * PAGE);
	guest_mem_free(mem, a, 3 * PAGE);
	CHECK_EQ(guest_mem_free_pages(mem), SMALL_MEM / PAGE - 1);
	/* The whole rest must be allocatable, so the freed pages are reused, zeroed. */
	CHECK(guest_mem_alloc_contig(mem, SMALL_MEM - PAGE, &c) != 0); /* b splits it */
	guest_mem_free(mem, b, PAGE);
	CHECK(guest_mem_alloc_contig(mem, SMALL_MEM, &c) == 0);
	CHECK_EQ(c, 0);
	CHECK(all_zero(mem, 0, SMALL_MEM));
	CHECK_EQ(guest_mem_free_pages(mem), 0);
	guest_mem_destroy(mem);
}

/*
 * The device maps all of guest memory: a freed page still held by the file
 * stays resident in the device's process, which grew by every backing the
 * allocator had handed out until it came round again.
 */
static void test_free_gives_pages_back(void)
{
	struct guest_mem *mem = guest_mem_create(SMALL_MEM);
	struct stat st;
	uint64_t a;

	CHECK(mem != NULL);
	if (!mem)
		return;
	CHECK(guest_mem_alloc_contig(mem, 16 * PAGE, &a) == 0);
	memset((uint8_t *)guest_mem_base_va(mem) + a, 0xab, 16 * PAGE);
	CHECK(fstat(guest_mem_fd(mem), &st) == 0);
	CHECK((uint64_t)st.st_blocks * 512 >= 16 * PAGE);
	guest_mem_free(mem, a, 16 * PAGE);
	CHECK(fstat(guest_mem_fd(mem), &st) == 0);
	CHECK_EQ(st.st_blocks, 0);
	guest_mem_destroy(mem);
}

/* A killed sim leaves its file; a sim that gets its process id must pass over the name. */
static void test_stale_files_passed_over(void)
{
	struct guest_mem *mem = guest_mem_create(SMALL_MEM);
	char stale[5][64];
	unsigned next, i;

	CHECK(mem != NULL);
	if (!mem)
		return;
	CHECK(sscanf(strrchr(guest_mem_path(mem), '-') + 1, "%u", &next) == 1);
	guest_mem_destroy(mem);
	for (i = 0; i < 5; i++) {
		snprintf(stale[i], sizeof(stale[i]), "/dev/shm/vgpu-sim-%ld-%u", (long)getpid(),
			 next + 1 + i);
		close(open(stale[i], O_RDWR | O_CREAT | O_EXCL, 0600));
	}
	mem = guest_mem_create(SMALL_MEM);
	CHECK(mem != NULL);
	for (i = 0; mem && i < 5; i++)
		CHECK(strcmp(guest_mem_path(mem), stale[i]) != 0);
	guest_mem_destroy(mem);
	for (i = 0; i < 5; i++)
		unlink(stale[i]);
}

static void test_exhaustion(void)
{
	struct guest_mem *mem = guest_mem_create(SMALL_MEM);
	struct guest_mem_run *runs = NULL;
	uint32_t nruns = 0;
	uint64_t off;

	CHECK(mem != NULL);
	if (!mem)
		return;
	CHECK(guest_mem_alloc_contig(mem, SMALL_MEM + PAGE, &off) != 0);
	CHECK(guest_mem_alloc_contig(mem, 0, &off) != 0);
	CHECK(guest_mem_alloc_sg(mem, 0, &runs, &nruns) != 0);
	CHECK(guest_mem_alloc_contig(mem, SMALL_MEM - 2 * PAGE, &off) == 0);
	CHECK(guest_mem_alloc_contig(mem, 3 * PAGE, &off) != 0);
	CHECK(guest_mem_alloc_sg(mem, 3 * PAGE, &runs, &nruns) != 0);
	/* A failed allocation keeps nothing. */
	CHECK_EQ(guest_mem_free_pages(mem), 2);
	CHECK(guest_mem_alloc_sg(mem, 2 * PAGE, &runs, &nruns) == 0);
	CHECK_EQ(guest_mem_free_pages(mem), 0);
	free(runs);
	guest_mem_destroy(mem);
}

/* Allocate every page singly, free every other one: only 1-page holes remain. */
static void checkerboard(struct guest_mem *mem, uint64_t *pages, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		CHECK(guest_mem_alloc_contig(mem, PAGE, &pages[i]) == 0);
	for (uint64_t i = 0; i < n; i += 2)
		guest_mem_free(mem, pages[i], PAGE);
}

static void test_sg_after_fragmentation(void)
{
	struct guest_mem *mem = guest_mem_create(SMALL_MEM);
	uint64_t pages[SMALL_MEM / PAGE];
	struct guest_mem_run *runs = NULL;
	uint32_t nruns = 0;
	uint64_t total = 0, off;

	CHECK(mem != NULL);
	if (!mem)
		return;
	checkerboard(mem, pages, SMALL_MEM / PAGE);
	CHECK(guest_mem_alloc_contig(mem, 2 * PAGE, &off) != 0);
	for (uint64_t i = 0; i < 10; i++)
		memset((uint8_t *)guest_mem_base_va(mem) + i * PAGE, 0x5a, PAGE);
	CHECK(guest_mem_alloc_sg(mem, 10 * PAGE, &runs, &nruns) == 0);
	CHECK_EQ(nruns, 10);
	for (uint32_t i = 0; i < nruns; i++) {
		total += runs[i].len;
		CHECK(all_zero(mem, runs[i].offset, runs[i].len));
		for (uint32_t j = 0; j < i; j++)
			CHECK(runs[i].offset != runs[j].offset);
	}
	CHECK_EQ(total, 10 * PAGE);
	free(runs);
	guest_mem_destroy(mem);
}

static void test_sg_prefers_large_runs(void)
{
	struct guest_mem *mem = guest_mem_create(SMALL_MEM);
	struct guest_mem_run *runs = NULL;
	uint32_t nruns = 0;
	uint64_t small, big_a, big_b, hole;

	CHECK(mem != NULL);
	if (!mem)
		return;
	/* Layout: [1-page hole][used][100-page hole][used][rest = 153 pages minus one] */
	CHECK(guest_mem_alloc_contig(mem, PAGE, &hole) == 0);
	CHECK(guest_mem_alloc_contig(mem, PAGE, &small) == 0);
	CHECK(guest_mem_alloc_contig(mem, 100 * PAGE, &big_a) == 0);
	CHECK(guest_mem_alloc_contig(mem, PAGE, &big_b) == 0);
	guest_mem_free(mem, hole, PAGE);
	guest_mem_free(mem, big_a, 100 * PAGE);
	/* 200 pages: no single run holds it, two large runs do; the 1-page hole is not needed. */
	CHECK(guest_mem_alloc_sg(mem, 200 * PAGE, &runs, &nruns) == 0);
	CHECK_EQ(nruns, 2);
	for (uint32_t i = 0; i < nruns; i++)
		CHECK(runs[i].offset != hole);
	free(runs);
	/* A fitting single run is used whole. */
	CHECK(guest_mem_alloc_sg(mem, 1, &runs, &nruns) == 0);
	CHECK_EQ(nruns, 1);
	free(runs);
	guest_mem_destroy(mem);
}

struct churn_arg {
	struct guest_mem *mem;
	int failures;
};

static void *churn(void *p)
{
	struct churn_arg *arg = p;

	for (int i = 0; i < 2000; i++) {
		struct guest_mem_run *runs;
		uint32_t nruns;
		uint64_t off;
		uint8_t *va;

		if (guest_mem_alloc_contig(arg->mem, (uint64_t)(i % 5 + 1) * PAGE, &off) != 0) {
			arg->failures++;
			continue;
		}
		va = (uint8_t *)guest_mem_base_va(arg->mem) + off;
		/* Another thread owning these pages would be caught here. */
		if (va[0] != 0)
			arg->failures++;
		va[0] = 1;
		guest_mem_free(arg->mem, off, (uint64_t)(i % 5 + 1) * PAGE);
		if (guest_mem_alloc_sg(arg->mem, 3 * PAGE, &runs, &nruns) != 0) {
			arg->failures++;
			continue;
		}
		for (uint32_t r = 0; r < nruns; r++)
			guest_mem_free(arg->mem, runs[r].offset, runs[r].len);
		free(runs);
	}
	return NULL;
}

static void test_threads(void)
{
	struct guest_mem *mem = guest_mem_create(SMALL_MEM);
	struct churn_arg args[4];
	pthread_t threads[4];

	CHECK(mem != NULL);
	if (!mem)
		return;
	for (int i = 0; i < 4; i++) {
		args[i] = (struct churn_arg){ .mem = mem };
		CHECK(pthread_create(&threads[i], NULL, churn, &args[i]) == 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(threads[i], NULL);
		CHECK_EQ(args[i].failures, 0);
	}
	CHECK_EQ(guest_mem_free_pages(mem), SMALL_MEM / PAGE);
	guest_mem_destroy(mem);
}

int main(void)
{
	RUN(test_file_lifecycle);
	RUN(test_bad_sizes);
	RUN(test_two_files_differ);
	RUN(test_address_translation);
	RUN(test_contig_alloc_zeroed_and_reused);
	RUN(test_free_gives_pages_back);
	RUN(test_stale_files_passed_over);
	RUN(test_exhaustion);
	RUN(test_sg_after_fragmentation);
	RUN(test_sg_prefers_large_runs);
	RUN(test_threads);
	return tap_done();
}
