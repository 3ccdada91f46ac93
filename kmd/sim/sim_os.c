/* SPDX-License-Identifier: MIT */
/*
 * struct vgpu_os for a Linux process: libc memory, guest memory, the
 * device's host-visible region, pthreads.
 */
#include "sim_os.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "user_maps.h"
#include "vgpu/vgpu_abi.h"

#define NSEC_PER_SEC 1000000000ull
/* Longer waits are cut to this; the core never asks for more than a minute. */
#define MAX_EVENT_WAIT_NS (3600ull * NSEC_PER_SEC)

struct sim_event {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool signalled;
};

static struct guest_mem *mem_of(void *ctx)
{
	return ((struct sim_os *)ctx)->mem;
}

static void *sim_alloc(void *ctx, size_t size)
{
	return calloc(1, size ? size : 1);
}

static void sim_free(void *ctx, void *ptr)
{
	free(ptr);
}

static int sim_dma_alloc(void *ctx, size_t size, struct vgpu_dma *out)
{
	uint64_t offset;

	if (!out || size == 0)
		return VGPU_E_INVALID;
	if (guest_mem_alloc_contig(mem_of(ctx), size, &offset) != 0)
		return VGPU_E_NO_MEMORY;
	out->va = (uint8_t *)guest_mem_base_va(mem_of(ctx)) + offset;
	out->pa = guest_mem_gpa(offset);
	out->size = size;
	out->os_priv = NULL;
	return VGPU_OK;
}

static void sim_dma_free(void *ctx, struct vgpu_dma *dma)
{
	uint64_t offset;

	if (!dma || !guest_mem_offset_of(mem_of(ctx), dma->pa, dma->size, &offset))
		return;
	guest_mem_free(mem_of(ctx), offset, dma->size);
	dma->va = NULL;
}

/* Extents from the allocator's runs, the last one cut to the exact size. */
static struct vgpu_backing *backing_from_runs(const struct guest_mem_run *runs, uint32_t n,
					      uint64_t size)
{
	struct vgpu_backing *backing = calloc(1, sizeof(*backing) + n * sizeof(struct vgpu_extent));
	uint64_t left = size;

	if (!backing)
		return NULL;
	backing->size = size;
	backing->nents = n;
	backing->ents = (struct vgpu_extent *)(backing + 1);
	for (uint32_t i = 0; i < n; i++) {
		backing->ents[i].pa = guest_mem_gpa(runs[i].offset);
		backing->ents[i].len = runs[i].len < left ? runs[i].len : left;
		left -= backing->ents[i].len;
	}
	return backing;
}

static int sim_backing_alloc(void *ctx, uint64_t size, struct vgpu_backing **out)
{
	struct guest_mem_run *runs;
	uint32_t n;

	if (!out || size == 0)
		return VGPU_E_INVALID;
	if (guest_mem_alloc_sg(mem_of(ctx), size, &runs, &n) != 0)
		return VGPU_E_NO_MEMORY;
	*out = backing_from_runs(runs, n, size);
	if (!*out) {
		for (uint32_t i = 0; i < n; i++)
			guest_mem_free(mem_of(ctx), runs[i].offset, runs[i].len);
	}
	free(runs);
	return *out ? VGPU_OK : VGPU_E_NO_MEMORY;
}

/* One run, for devices that take each backing as a single range (Mvisor's). */
static int sim_backing_alloc_contig(void *ctx, uint64_t size, struct vgpu_backing **out)
{
	struct guest_mem_run run = { .len = size };

	if (!out || size == 0)
		return VGPU_E_INVALID;
	if (guest_mem_alloc_contig(mem_of(ctx), size, &run.offset) != 0)
		return VGPU_E_NO_MEMORY;
	*out = backing_from_runs(&run, 1, size);
	if (!*out)
		guest_mem_free(mem_of(ctx), run.offset, size);
	return *out ? VGPU_OK : VGPU_E_NO_MEMORY;
}

static void sim_backing_free(void *ctx, struct vgpu_backing *backing)
{
	if (!backing)
		return;
	for (uint32_t i = 0; i < backing->nents; i++) {
		uint64_t offset;

		if (guest_mem_offset_of(mem_of(ctx), backing->ents[i].pa, backing->ents[i].len,
					&offset))
			guest_mem_free(mem_of(ctx), offset, backing->ents[i].len);
	}
	free(backing);
}

static void sim_log(void *ctx, enum vgpu_log_level level, const char *msg, uint64_t a, uint64_t b)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	const struct sim_os *sim = ctx;

	if (level > sim->threshold || (unsigned)level >= sizeof(names) / sizeof(names[0]))
		return;
	fprintf(stderr, "vgpu-sim: core %s: %s (%llu, %llu)\n", names[level], msg ? msg : "",
		(unsigned long long)a, (unsigned long long)b);
}

static int sim_map_user(void *ctx, void *file_ctx, struct vgpu_backing *backing, uint64_t *address,
			void **mapping)
{
	const struct user_map_kind guest_memory = { .file = VGPU_SOCK_FILE_GUEST_MEMORY };
	struct vgpu_sock_extent *ranges;
	struct user_map *map;

	if (!file_ctx || !backing || backing->nents == 0 || !address || !mapping)
		return VGPU_E_INVALID;
	ranges = calloc(backing->nents, sizeof(*ranges));
	if (!ranges)
		return VGPU_E_NO_MEMORY;
	for (uint32_t i = 0; i < backing->nents; i++) {
		if (!guest_mem_offset_of(mem_of(ctx), backing->ents[i].pa, backing->ents[i].len,
					 &ranges[i].offset)) {
			free(ranges);
			return VGPU_E_INVALID;
		}
		ranges[i].len = backing->ents[i].len;
	}
	map = user_maps_add(file_ctx, guest_memory, ranges, backing->nents, address);
	free(ranges);
	if (!map)
		return VGPU_E_NO_MEMORY;
	*mapping = map;
	return VGPU_OK;
}

/*
 * Device memory is the host-visible region's file: the client maps its
 * pages at the blob's offset.  Those are ordinary shared pages whatever
 * cache type the device asked for; the type is recorded with the mapping
 * and, when it is not CACHED, said in the log.
 */
static int sim_map_device_user(void *ctx, void *file_ctx, uint64_t pa, uint64_t size,
			       enum vgpu_cache_type cache, uint64_t *address, void **mapping)
{
	const struct sim_os *sim = ctx;
	struct user_map_kind kind = { .file = VGPU_SOCK_FILE_HOST_VISIBLE, .cache = cache };
	struct vgpu_sock_extent range;
	struct user_map *map;

	if (!file_ctx || !address || !mapping || !size || size > UINT64_MAX - GUEST_MEM_PAGE_SIZE ||
	    pa % GUEST_MEM_PAGE_SIZE || cache < VGPU_CACHE_CACHED ||
	    cache > VGPU_CACHE_WRITE_COMBINED)
		return VGPU_E_INVALID;
	if (!host_region_present(sim->region))
		return VGPU_E_UNSUPPORTED;
	range.len = (size + GUEST_MEM_PAGE_SIZE - 1) / GUEST_MEM_PAGE_SIZE * GUEST_MEM_PAGE_SIZE;
	if (!host_region_offset_of(sim->region, pa, range.len, &range.offset))
		return VGPU_E_INVALID;
	if (cache != VGPU_CACHE_CACHED)
		sim_log(ctx, VGPU_LOG_INFO,
			"device memory wanted with this cache type (at pa) is mapped cached", cache,
			pa);
	map = user_maps_add(file_ctx, kind, &range, 1, address);
	if (!map)
		return VGPU_E_NO_MEMORY;
	*mapping = map;
	return VGPU_OK;
}

static void sim_unmap_user(void *ctx, void *file_ctx, void *mapping)
{
	user_maps_remove(file_ctx, mapping);
}

static void *sim_lock_create(void *ctx)
{
	pthread_mutex_t *lock = malloc(sizeof(*lock));

	if (lock)
		pthread_mutex_init(lock, NULL);
	return lock;
}

static void sim_lock_destroy(void *ctx, void *lock)
{
	if (!lock)
		return;
	pthread_mutex_destroy(lock);
	free(lock);
}

static void sim_lock(void *ctx, void *lock)
{
	pthread_mutex_lock(lock);
}

static void sim_unlock(void *ctx, void *lock)
{
	pthread_mutex_unlock(lock);
}

static void *sim_event_create(void *ctx)
{
	struct sim_event *ev = calloc(1, sizeof(*ev));
	pthread_condattr_t attr;

	if (!ev)
		return NULL;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&ev->cond, &attr);
	pthread_condattr_destroy(&attr);
	pthread_mutex_init(&ev->lock, NULL);
	return ev;
}

static void sim_event_destroy(void *ctx, void *event)
{
	struct sim_event *ev = event;

	if (!ev)
		return;
	pthread_cond_destroy(&ev->cond);
	pthread_mutex_destroy(&ev->lock);
	free(ev);
}

static void sim_event_signal(void *ctx, void *event)
{
	struct sim_event *ev = event;

	pthread_mutex_lock(&ev->lock);
	ev->signalled = true;
	pthread_cond_signal(&ev->cond);
	pthread_mutex_unlock(&ev->lock);
}

static struct timespec deadline_after(uint64_t timeout_ns)
{
	struct timespec ts;
	uint64_t ns;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (timeout_ns > MAX_EVENT_WAIT_NS)
		timeout_ns = MAX_EVENT_WAIT_NS;
	ns = (uint64_t)ts.tv_nsec + timeout_ns;
	ts.tv_sec += (time_t)(ns / NSEC_PER_SEC);
	ts.tv_nsec = (long)(ns % NSEC_PER_SEC);
	return ts;
}

static int sim_event_wait(void *ctx, void *event, uint64_t timeout_ns)
{
	struct sim_event *ev = event;
	struct timespec deadline = deadline_after(timeout_ns);
	bool signalled;

	pthread_mutex_lock(&ev->lock);
	while (!ev->signalled &&
	       pthread_cond_timedwait(&ev->cond, &ev->lock, &deadline) != ETIMEDOUT)
		;
	signalled = ev->signalled;
	ev->signalled = false;
	pthread_mutex_unlock(&ev->lock);
	return signalled ? VGPU_OK : VGPU_E_TIMEOUT;
}

/*
 * A call's `call` is its connection's socket (conn.c): a client that hangs
 * up while its call waits gets no answer, so the wait ends rather than hold
 * the connection's thread (and the file) for up to the call's timeout.
 */
static bool sim_call_interrupted(void *ctx, void *call)
{
	struct pollfd pfd = { .fd = *(const int *)call, .events = POLLRDHUP };

	(void)ctx;
	return poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static uint64_t sim_now_ns(void *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

void sim_os_init(struct sim_os *sim, struct guest_mem *mem, const struct host_region *region,
		 enum vgpu_log_level threshold)
{
	sim->mem = mem;
	sim->region = region;
	sim->threshold = threshold;
	sim->os = (struct vgpu_os){
		.ctx = sim,
		.alloc = sim_alloc,
		.free = sim_free,
		.dma_alloc = sim_dma_alloc,
		.dma_free = sim_dma_free,
		.backing_alloc = sim_backing_alloc,
		.backing_alloc_contig = sim_backing_alloc_contig,
		.backing_free = sim_backing_free,
		.map_user = sim_map_user,
		.unmap_user = sim_unmap_user,
		.map_device_user = sim_map_device_user,
		.lock_create = sim_lock_create,
		.lock_destroy = sim_lock_destroy,
		.lock = sim_lock,
		.unlock = sim_unlock,
		.event_create = sim_event_create,
		.event_destroy = sim_event_destroy,
		.event_signal = sim_event_signal,
		.event_wait = sim_event_wait,
		.call_interrupted = sim_call_interrupted,
		.now_ns = sim_now_ns,
		.log = sim_log,
	};
}
