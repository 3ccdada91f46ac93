/* SPDX-License-Identifier: MIT */
/*
 * The sim's OS callbacks: memory from guest RAM, events, and user
 * "mappings" of guest memory and of the device's host-visible region.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guest_mem.h"
#include "host_region.h"
#include "sim_os.h"
#include "tap.h"
#include "user_maps.h"
#include "vgpu/vgpu_abi.h"

#define PAGE GUEST_MEM_PAGE_SIZE
#define REGION_BYTES (64u * PAGE)

static struct guest_mem *mem;
static struct host_region region;
static struct sim_os sim;

static const struct vgpu_os *os(void)
{
	return sim_os_table(&sim);
}

static void test_dma_alloc(void)
{
	struct vgpu_dma a, b;
	uint64_t before = guest_mem_free_pages(mem), off;

	CHECK_EQ(os()->dma_alloc(os()->ctx, 3 * PAGE + 1, &a), VGPU_OK);
	CHECK_EQ(os()->dma_alloc(os()->ctx, 0, &b), VGPU_E_INVALID);
	CHECK(a.pa % PAGE == 0 && a.size == 3 * PAGE + 1);
	CHECK(guest_mem_offset_of(mem, a.pa, a.size, &off));
	CHECK(a.va == (uint8_t *)guest_mem_base_va(mem) + off);
	CHECK_EQ(guest_mem_free_pages(mem), before - 4);
	os()->dma_free(os()->ctx, &a);
	CHECK_EQ(guest_mem_free_pages(mem), before);
	CHECK_EQ(os()->dma_alloc(os()->ctx, guest_mem_size(mem) + PAGE, &b), VGPU_E_NO_MEMORY);
}

static void test_backing_exact_size(void)
{
	struct vgpu_backing *bk = NULL;
	uint64_t before = guest_mem_free_pages(mem), total = 0;

	CHECK_EQ(os()->backing_alloc(os()->ctx, 0, &bk), VGPU_E_INVALID);
	CHECK_EQ(os()->backing_alloc(os()->ctx, 5 * PAGE + 7, &bk), VGPU_OK);
	if (!bk)
		return;
	CHECK_EQ(bk->size, 5 * PAGE + 7);
	for (uint32_t i = 0; i < bk->nents; i++) {
		CHECK(bk->ents[i].pa >= GUEST_MEM_GPA_BASE && bk->ents[i].pa % PAGE == 0);
		total += bk->ents[i].len;
	}
	CHECK_EQ(total, bk->size);
	CHECK_EQ(guest_mem_free_pages(mem), before - 6);
	os()->backing_free(os()->ctx, bk);
	CHECK_EQ(guest_mem_free_pages(mem), before);
	CHECK_EQ(os()->backing_alloc(os()->ctx, guest_mem_size(mem) + 1, &bk), VGPU_E_NO_MEMORY);
}

static void test_map_user_records_ranges(void)
{
	struct user_maps maps;
	struct vgpu_backing *bk = NULL;
	struct vgpu_sock_extent *ranges;
	uint64_t addr_a = 0, addr_b = 0;
	void *map_a = NULL, *map_b = NULL;
	uint32_t n = 0;

	user_maps_init(&maps);
	CHECK_EQ(os()->backing_alloc(os()->ctx, 2 * PAGE, &bk), VGPU_OK);
	if (!bk)
		return;
	CHECK_EQ(os()->map_user(os()->ctx, &maps, bk, &addr_a, &map_a), VGPU_OK);
	CHECK_EQ(os()->map_user(os()->ctx, &maps, bk, &addr_b, &map_b), VGPU_OK);
	CHECK(addr_a != 0 && addr_b != 0 && addr_a != addr_b);
	CHECK(user_maps_lookup(&maps, addr_a, &ranges, &n, NULL) == 0);
	CHECK_EQ(n, bk->nents);
	if (n == bk->nents) {
		CHECK_EQ(guest_mem_gpa(ranges[0].offset), bk->ents[0].pa);
		CHECK_EQ(ranges[0].len, bk->ents[0].len);
		free(ranges);
	}
	os()->unmap_user(os()->ctx, &maps, map_a);
	CHECK(user_maps_lookup(&maps, addr_a, &ranges, &n, NULL) != 0);
	CHECK(user_maps_lookup(&maps, addr_b, &ranges, &n, NULL) == 0);
	if (n)
		free(ranges);
	CHECK(user_maps_lookup(&maps, 0, &ranges, &n, NULL) != 0);
	os()->unmap_user(os()->ctx, &maps, map_b);
	user_maps_fini(&maps);
	os()->backing_free(os()->ctx, bk);
}

/* A device mapping is one range of the region's file, at the offset pa names. */
static void test_map_device_user_records_region_range(void)
{
	struct user_maps maps;
	struct vgpu_sock_extent *ranges = NULL;
	struct user_map_kind kind = { 0 };
	uint64_t addr = 0;
	void *map = NULL;
	uint32_t n = 0;

	user_maps_init(&maps);
	CHECK_EQ(os()->map_device_user(os()->ctx, &maps, region.pa + 3 * PAGE, 2 * PAGE + 5,
				       VGPU_CACHE_WRITE_COMBINED, &addr, &map),
		 VGPU_OK);
	CHECK(addr != 0 && map != NULL);
	CHECK(user_maps_lookup(&maps, addr, &ranges, &n, &kind) == 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(kind.file, VGPU_SOCK_FILE_HOST_VISIBLE);
	/* Recorded as asked, though the client gets cached shared pages. */
	CHECK_EQ(kind.cache, VGPU_CACHE_WRITE_COMBINED);
	if (n == 1) {
		CHECK_EQ(ranges[0].offset, 3 * PAGE);
		CHECK_EQ(ranges[0].len, 3 * PAGE);
	}
	free(ranges);
	os()->unmap_user(os()->ctx, &maps, map);
	CHECK(user_maps_lookup(&maps, addr, &ranges, &n, NULL) != 0);
	user_maps_fini(&maps);
}

static void test_map_device_user_rejects_outside(void)
{
	struct user_maps maps;
	uint64_t addr = 0;
	void *map = NULL;

	user_maps_init(&maps);
	/* Before the region, astride its end, past it, misaligned, empty, bad cache type. */
	CHECK_EQ(os()->map_device_user(os()->ctx, &maps, region.pa - PAGE, PAGE, VGPU_CACHE_CACHED,
				       &addr, &map),
		 VGPU_E_INVALID);
	CHECK_EQ(os()->map_device_user(os()->ctx, &maps, region.pa + REGION_BYTES - PAGE, 2 * PAGE,
				       VGPU_CACHE_CACHED, &addr, &map),
		 VGPU_E_INVALID);
	CHECK_EQ(os()->map_device_user(os()->ctx, &maps, region.pa + REGION_BYTES - PAGE, PAGE + 1,
				       VGPU_CACHE_CACHED, &addr, &map),
		 VGPU_E_INVALID);
	CHECK_EQ(os()->map_device_user(os()->ctx, &maps, region.pa + REGION_BYTES, PAGE,
				       VGPU_CACHE_CACHED, &addr, &map),
		 VGPU_E_INVALID);
	CHECK_EQ(os()->map_device_user(os()->ctx, &maps, region.pa + 100, PAGE, VGPU_CACHE_CACHED,
				       &addr, &map),
		 VGPU_E_INVALID);
	CHECK_EQ(os()->map_device_user(os()->ctx, &maps, region.pa, 0, VGPU_CACHE_CACHED, &addr,
				       &map),
		 VGPU_E_INVALID);
	CHECK_EQ(os()->map_device_user(os()->ctx, &maps, region.pa, UINT64_MAX, VGPU_CACHE_CACHED,
				       &addr, &map),
		 VGPU_E_INVALID);
	CHECK_EQ(os()->map_device_user(os()->ctx, &maps, region.pa, PAGE, (enum vgpu_cache_type)7,
				       &addr, &map),
		 VGPU_E_INVALID);
	CHECK_EQ(os()->map_device_user(os()->ctx, NULL, region.pa, PAGE, VGPU_CACHE_CACHED, &addr,
				       &map),
		 VGPU_E_INVALID);
	/* Guest memory is no device memory. */
	CHECK_EQ(os()->map_device_user(os()->ctx, &maps, guest_mem_gpa(0), PAGE, VGPU_CACHE_CACHED,
				       &addr, &map),
		 VGPU_E_INVALID);
	CHECK(maps.head == NULL);
	user_maps_fini(&maps);
}

static void test_map_device_user_without_region(void)
{
	struct sim_os bare;
	struct user_maps maps;
	uint64_t addr = 0;
	void *map = NULL;

	sim_os_init(&bare, mem, NULL, VGPU_LOG_ERROR);
	user_maps_init(&maps);
	CHECK_EQ(bare.os.map_device_user(bare.os.ctx, &maps, region.pa, PAGE, VGPU_CACHE_CACHED,
					 &addr, &map),
		 VGPU_E_UNSUPPORTED);
	CHECK(maps.head == NULL);
	user_maps_fini(&maps);
}

static void test_event_timeout_and_auto_reset(void)
{
	void *ev = os()->event_create(os()->ctx);
	uint64_t start;

	CHECK(ev != NULL);
	if (!ev)
		return;
	start = os()->now_ns(os()->ctx);
	CHECK_EQ(os()->event_wait(os()->ctx, ev, 20000000), VGPU_E_TIMEOUT);
	CHECK(os()->now_ns(os()->ctx) - start >= 20000000);
	CHECK_EQ(os()->event_wait(os()->ctx, ev, 0), VGPU_E_TIMEOUT);
	os()->event_signal(os()->ctx, ev);
	CHECK_EQ(os()->event_wait(os()->ctx, ev, 0), VGPU_OK);
	/* Auto-reset: the signal was consumed. */
	CHECK_EQ(os()->event_wait(os()->ctx, ev, 0), VGPU_E_TIMEOUT);
	os()->event_destroy(os()->ctx, ev);
}

static void *signal_later(void *ev)
{
	usleep(20000);
	os()->event_signal(os()->ctx, ev);
	return NULL;
}

static void test_event_wakes_waiter(void)
{
	void *ev = os()->event_create(os()->ctx);
	pthread_t thread;
	uint64_t start;

	CHECK(ev != NULL);
	if (!ev)
		return;
	start = os()->now_ns(os()->ctx);
	CHECK(pthread_create(&thread, NULL, signal_later, ev) == 0);
	CHECK_EQ(os()->event_wait(os()->ctx, ev, 5000000000ull), VGPU_OK);
	CHECK(os()->now_ns(os()->ctx) - start < 2000000000ull);
	pthread_join(thread, NULL);
	/* A huge timeout is accepted (capped), not overflowed into "already expired". */
	os()->event_signal(os()->ctx, ev);
	CHECK_EQ(os()->event_wait(os()->ctx, ev, UINT64_MAX), VGPU_OK);
	os()->event_destroy(os()->ctx, ev);
}

static void test_locks(void)
{
	void *lock = os()->lock_create(os()->ctx);

	CHECK(lock != NULL);
	os()->lock(os()->ctx, lock);
	os()->unlock(os()->ctx, lock);
	os()->lock_destroy(os()->ctx, lock);
	CHECK(os()->pci_cfg_read == NULL && os()->bar_map == NULL);
}

/* A region file as a device would hand over, placed by the sim. */
static bool make_region(void)
{
	int fd = memfd_create("test-region", MFD_CLOEXEC);

	host_region_init(&region);
	if (fd < 0)
		return false;
	if (ftruncate(fd, REGION_BYTES) != 0) {
		close(fd);
		return false;
	}
	return host_region_take(&region, fd, REGION_BYTES, 0, guest_mem_gpa(guest_mem_size(mem))) ==
	       0;
}

int main(void)
{
	mem = guest_mem_create(16ull << 20);
	if (!mem) {
		printf("# cannot create guest memory\n");
		return 1;
	}
	if (!make_region()) {
		printf("# cannot create the host-visible region\n");
		return 1;
	}
	sim_os_init(&sim, mem, &region, VGPU_LOG_ERROR);
	RUN(test_dma_alloc);
	RUN(test_backing_exact_size);
	RUN(test_map_user_records_ranges);
	RUN(test_map_device_user_records_region_range);
	RUN(test_map_device_user_rejects_outside);
	RUN(test_map_device_user_without_region);
	RUN(test_event_timeout_and_auto_reset);
	RUN(test_event_wakes_waiter);
	RUN(test_locks);
	host_region_fini(&region);
	guest_mem_destroy(mem);
	return tap_done();
}
