/* SPDX-License-Identifier: MIT */
/*
 * Hosted implementation of the kmd core's OS table for unit tests.  See
 * fake_os.h for what it promises; this file keeps the books and gives
 * memory, fake_os_sync.c the locks, events, clock and timer.
 */
#include "fake_os.h"
#include "fake_os_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096u
#define ALLOC_MAGIC 0x76677075616c6c6full /* "vgpuallo" */
#define ALLOC_FREED 0x7667707566726565ull /* "vgpufree" */
/* Large backings use bigger extents so that the extent count stays small. */
#define BACKING_SMALL_PAGES 256u
#define BACKING_TARGET_EXTENTS 128u

struct fake_os_region {
	uint64_t pa;
	uint64_t len;
	struct fake_os_region *next;
};

/* Prefix of every fake_os alloc block, 16 bytes to keep the payload aligned. */
struct alloc_hdr {
	uint64_t magic;
	uint64_t size;
};

struct fake_dma {
	struct fake_os_region region;
	void *mem;
};

struct fake_backing {
	struct vgpu_backing pub;
	int fd;
	void *view; /* the device's view, extents separated by gaps */
	size_t view_len;
	size_t file_len;
	int maps;
	struct fake_os_region *regions; /* one per extent */
};

struct fake_map {
	void *file_ctx;
	struct fake_backing *backing; /* NULL: device memory */
	void *va;
	size_t len;
	uint64_t device_pa;           /* device memory: where */
	struct fake_map *next_device; /* in fake_os.device_maps */
};

static bool verbose;

void fake_os_count_violation(struct fake_os *f, const char *what)
{
	pthread_mutex_lock(&f->mutex);
	f->violations++;
	pthread_mutex_unlock(&f->mutex);
	fprintf(stderr, "fake_os: violation: %s\n", what);
}

/* Take the next acquisition number; false when the test wants it to fail. */
static bool acquire(struct fake_os *f)
{
	bool ok;

	pthread_mutex_lock(&f->mutex);
	ok = f->fail_index < 0 || (f->fail_onward ? (int64_t)f->acquisitions < f->fail_index
						  : (int64_t)f->acquisitions != f->fail_index);
	f->acquisitions++;
	if (!ok)
		f->injected_failures++;
	pthread_mutex_unlock(&f->mutex);
	return ok;
}

static void adjust(struct fake_os *f, int64_t *counter, int64_t delta)
{
	pthread_mutex_lock(&f->mutex);
	*counter += delta;
	pthread_mutex_unlock(&f->mutex);
}

void *fake_os_object_new(struct fake_os *f, size_t size, int64_t *live)
{
	void *obj;

	if (!acquire(f))
		return NULL;
	obj = calloc(1, size);
	if (obj)
		adjust(f, live, 1);
	return obj;
}

void fake_os_object_delete(struct fake_os *f, void *obj, int64_t *live)
{
	adjust(f, live, -1);
	free(obj);
}

static void region_add(struct fake_os *f, struct fake_os_region *r)
{
	pthread_mutex_lock(&f->mutex);
	r->next = f->regions;
	f->regions = r;
	pthread_mutex_unlock(&f->mutex);
}

static void region_remove(struct fake_os *f, struct fake_os_region *r)
{
	pthread_mutex_lock(&f->mutex);
	for (struct fake_os_region **p = &f->regions; *p; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			break;
		}
	}
	pthread_mutex_unlock(&f->mutex);
}

void *fake_os_map_pa(void *ctx, uint64_t pa, uint64_t len)
{
	struct fake_os *f = to_fake(ctx);
	void *va = NULL;

	if (len == 0 || pa + len < pa)
		return NULL;
	pthread_mutex_lock(&f->mutex);
	for (struct fake_os_region *r = f->regions; r; r = r->next) {
		if (pa >= r->pa && pa - r->pa <= r->len && len <= r->len - (pa - r->pa)) {
			va = (void *)(uintptr_t)pa;
			break;
		}
	}
	pthread_mutex_unlock(&f->mutex);
	return va;
}

/* ---- plain memory ---- */

static void *os_alloc(void *ctx, size_t size)
{
	struct fake_os *f = to_fake(ctx);
	struct alloc_hdr *h;

	if (!acquire(f) || size > SIZE_MAX - sizeof(*h))
		return NULL;
	h = calloc(1, sizeof(*h) + size);
	if (!h)
		return NULL;
	h->magic = ALLOC_MAGIC;
	h->size = size;
	adjust(f, &f->live_allocs, 1);
	return h + 1;
}

static void os_free(void *ctx, void *ptr)
{
	struct fake_os *f = to_fake(ctx);
	struct alloc_hdr *h;

	if (!ptr)
		return;
	h = (struct alloc_hdr *)ptr - 1;
	if (h->magic != ALLOC_MAGIC) {
		fake_os_count_violation(f, h->magic == ALLOC_FREED ? "double free"
								   : "free of unknown block");
		return;
	}
	h->magic = ALLOC_FREED;
	adjust(f, &f->live_allocs, -1);
	free(h);
}

/* ---- DMA memory ---- */

static int os_dma_alloc(void *ctx, size_t size, struct vgpu_dma *out)
{
	struct fake_os *f = to_fake(ctx);
	size_t rounded = (size + PAGE - 1) / PAGE * PAGE;
	struct fake_dma *d;

	memset(out, 0, sizeof(*out));
	if (size == 0 || rounded < size) {
		fake_os_count_violation(f, "dma_alloc of a bad size");
		return VGPU_E_INVALID;
	}
	if (!acquire(f))
		return VGPU_E_NO_MEMORY;
	d = calloc(1, sizeof(*d));
	if (!d)
		return VGPU_E_NO_MEMORY;
	d->mem = aligned_alloc(PAGE, rounded);
	if (!d->mem) {
		free(d);
		return VGPU_E_NO_MEMORY;
	}
	memset(d->mem, 0, rounded);
	d->region.pa = (uint64_t)(uintptr_t)d->mem;
	d->region.len = size;
	region_add(f, &d->region);
	adjust(f, &f->live_dma, 1);
	out->va = d->mem;
	out->pa = d->region.pa;
	out->size = size;
	out->os_priv = d;
	return 0;
}

static void os_dma_free(void *ctx, struct vgpu_dma *dma)
{
	struct fake_os *f = to_fake(ctx);
	struct fake_dma *d = dma ? dma->os_priv : NULL;

	if (!d || d->mem != dma->va) {
		fake_os_count_violation(f, "dma_free of an unknown block");
		return;
	}
	region_remove(f, &d->region);
	adjust(f, &f->live_dma, -1);
	free(d->mem);
	free(d);
	dma->os_priv = NULL;
}

/* ---- resource backing ---- */

static uint64_t extent_unit_pages(uint64_t pages)
{
	if (pages <= BACKING_SMALL_PAGES)
		return 1;
	return pages / BACKING_TARGET_EXTENTS;
}

/* Extent i is (i % 3 + 1) units long: lengths vary and never line up. */
static uint32_t count_extents(uint64_t pages)
{
	uint64_t unit = extent_unit_pages(pages);
	uint64_t done = 0;
	uint32_t n = 0;

	while (done < pages) {
		done += unit * (n % 3 + 1);
		n++;
	}
	return n;
}

static void backing_release(struct fake_os *f, struct fake_backing *b)
{
	for (uint32_t i = 0; b->regions && i < b->pub.nents; i++)
		region_remove(f, &b->regions[i]);
	if (b->view)
		munmap(b->view, b->view_len);
	if (b->fd >= 0)
		close(b->fd);
	free(b->regions);
	free(b->pub.ents);
	free(b);
}

/* Map every extent of the file into the device view, one gap page apart. */
static int backing_place_extents(struct fake_os *f, struct fake_backing *b, uint64_t size)
{
	uint64_t unit = extent_unit_pages(b->file_len / PAGE) * PAGE;
	uint64_t file_off = 0;

	for (uint32_t i = 0; i < b->pub.nents; i++) {
		uint64_t len = b->pub.nents == 1 ? b->file_len : unit * (i % 3 + 1);
		char *at = (char *)b->view + file_off + (uint64_t)i * PAGE;

		if (len > b->file_len - file_off)
			len = b->file_len - file_off;
		if (mmap(at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, b->fd,
			 (off_t)file_off) == MAP_FAILED)
			return VGPU_E_NO_MEMORY;
		b->pub.ents[i].pa = (uint64_t)(uintptr_t)at;
		b->pub.ents[i].len = file_off + len > size ? size - file_off : len;
		b->regions[i].pa = b->pub.ents[i].pa;
		b->regions[i].len = b->pub.ents[i].len;
		file_off += len;
	}
	for (uint32_t i = 0; i < b->pub.nents; i++)
		region_add(f, &b->regions[i]);
	return 0;
}

static int backing_create(struct fake_os *f, uint64_t size, bool contiguous, struct fake_backing *b)
{
	uint64_t pages = (size + PAGE - 1) / PAGE;

	b->pub.size = size;
	b->pub.nents = contiguous ? 1 : count_extents(pages);
	b->file_len = pages * PAGE;
	b->view_len = b->file_len + (size_t)b->pub.nents * PAGE;
	b->pub.ents = calloc(b->pub.nents, sizeof(*b->pub.ents));
	b->regions = calloc(b->pub.nents, sizeof(*b->regions));
	if (!b->pub.ents || !b->regions)
		return VGPU_E_NO_MEMORY;
	b->fd = memfd_create("vgpu-backing", MFD_CLOEXEC);
	if (b->fd < 0 || ftruncate(b->fd, (off_t)b->file_len) != 0)
		return VGPU_E_NO_MEMORY;
	b->view = mmap(NULL, b->view_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->view == MAP_FAILED) {
		b->view = NULL;
		return VGPU_E_NO_MEMORY;
	}
	return backing_place_extents(f, b, size);
}

static int backing_alloc(void *ctx, uint64_t size, bool contiguous, struct vgpu_backing **out)
{
	struct fake_os *f = to_fake(ctx);
	struct fake_backing *b;
	int err;

	*out = NULL;
	if (size == 0 || size > (1ull << 40)) {
		fake_os_count_violation(f, "backing_alloc of a bad size");
		return VGPU_E_INVALID;
	}
	if (!acquire(f))
		return VGPU_E_NO_MEMORY;
	b = calloc(1, sizeof(*b));
	if (!b)
		return VGPU_E_NO_MEMORY;
	b->fd = -1;
	err = backing_create(f, size, contiguous, b);
	if (err) {
		backing_release(f, b);
		return err;
	}
	b->pub.os_priv = b;
	pthread_mutex_lock(&f->mutex);
	f->live_backings++;
	f->backing_bytes += size;
	pthread_mutex_unlock(&f->mutex);
	*out = &b->pub;
	return 0;
}

static int os_backing_alloc(void *ctx, uint64_t size, struct vgpu_backing **out)
{
	return backing_alloc(ctx, size, false, out);
}

static int os_backing_alloc_contig(void *ctx, uint64_t size, struct vgpu_backing **out)
{
	return backing_alloc(ctx, size, true, out);
}

static void os_backing_free(void *ctx, struct vgpu_backing *backing)
{
	struct fake_os *f = to_fake(ctx);
	struct fake_backing *b = backing ? backing->os_priv : NULL;

	if (!b || &b->pub != backing) {
		fake_os_count_violation(f, "backing_free of an unknown backing");
		return;
	}
	if (b->maps)
		fake_os_count_violation(f, "backing freed while mapped in user mode");
	pthread_mutex_lock(&f->mutex);
	f->live_backings--;
	f->backing_bytes -= backing->size;
	pthread_mutex_unlock(&f->mutex);
	backing_release(f, b);
}

static int os_map_user(void *ctx, void *file_ctx, struct vgpu_backing *backing, uint64_t *address,
		       void **mapping)
{
	struct fake_os *f = to_fake(ctx);
	struct fake_backing *b = backing ? backing->os_priv : NULL;
	struct fake_map *m;

	if (!b || &b->pub != backing) {
		fake_os_count_violation(f, "map_user of an unknown backing");
		return VGPU_E_INVALID;
	}
	if (!acquire(f))
		return VGPU_E_NO_MEMORY;
	m = calloc(1, sizeof(*m));
	if (!m)
		return VGPU_E_NO_MEMORY;
	m->va = mmap(NULL, b->file_len, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
	if (m->va == MAP_FAILED) {
		free(m);
		return VGPU_E_NO_MEMORY;
	}
	m->len = b->file_len;
	m->file_ctx = file_ctx;
	m->backing = b;
	pthread_mutex_lock(&f->mutex);
	b->maps++;
	f->live_maps++;
	pthread_mutex_unlock(&f->mutex);
	*address = (uint64_t)(uintptr_t)m->va;
	*mapping = m;
	return 0;
}

/* ---- device memory ---- */

void fake_os_set_device_memory(struct fake_os *f, uint64_t pa, uint64_t len, void *va)
{
	pthread_mutex_lock(&f->mutex);
	f->device_pa = pa;
	f->device_len = len;
	f->device_va = va;
	pthread_mutex_unlock(&f->mutex);
}

/* Is [pa, pa + size) whole pages of the window that no live mapping covers?  Under the mutex. */
static const char *device_range_problem(struct fake_os *f, uint64_t pa, uint64_t size)
{
	if (!size || size % PAGE || pa % PAGE)
		return "map_device_user of a range not in whole pages";
	if (pa < f->device_pa || pa - f->device_pa > f->device_len ||
	    size > f->device_len - (pa - f->device_pa))
		return "map_device_user outside the device's memory";
	for (const struct fake_map *m = f->device_maps; m; m = m->next_device) {
		if (pa < m->device_pa + m->len && m->device_pa < pa + size)
			return "map_device_user of a range already mapped";
	}
	return NULL;
}

static int os_map_device_user(void *ctx, void *file_ctx, uint64_t pa, uint64_t size,
			      enum vgpu_cache_type cache, uint64_t *address, void **mapping)
{
	struct fake_os *f = to_fake(ctx);
	const char *problem;
	struct fake_map *m;

	if (cache != VGPU_CACHE_CACHED && cache != VGPU_CACHE_UNCACHED &&
	    cache != VGPU_CACHE_WRITE_COMBINED) {
		fake_os_count_violation(f, "map_device_user with an unknown cache type");
		return VGPU_E_INVALID;
	}
	pthread_mutex_lock(&f->mutex);
	problem = device_range_problem(f, pa, size);
	pthread_mutex_unlock(&f->mutex);
	if (problem) {
		fake_os_count_violation(f, problem);
		return VGPU_E_INVALID;
	}
	if (f->device_map_refusal)
		return f->device_map_refusal;
	if (!acquire(f))
		return VGPU_E_NO_MEMORY;
	m = calloc(1, sizeof(*m));
	if (!m)
		return VGPU_E_NO_MEMORY;
	m->file_ctx = file_ctx;
	m->len = size;
	m->device_pa = pa;
	pthread_mutex_lock(&f->mutex);
	m->va = f->device_va ? f->device_va + (pa - f->device_pa) : (void *)(uintptr_t)pa;
	m->next_device = f->device_maps;
	f->device_maps = m;
	f->live_maps++;
	f->live_device_maps++;
	f->last_device_cache = cache;
	pthread_mutex_unlock(&f->mutex);
	*address = (uint64_t)(uintptr_t)m->va;
	*mapping = m;
	return 0;
}

static void forget_device_map(struct fake_os *f, struct fake_map *m)
{
	for (struct fake_map **p = &f->device_maps; *p; p = &(*p)->next_device) {
		if (*p == m) {
			*p = m->next_device;
			break;
		}
	}
	f->live_device_maps--;
}

static void os_unmap_user(void *ctx, void *file_ctx, void *mapping)
{
	struct fake_os *f = to_fake(ctx);
	struct fake_map *m = mapping;

	if (!m) {
		fake_os_count_violation(f, "unmap_user of no mapping");
		return;
	}
	if (m->file_ctx != file_ctx)
		fake_os_count_violation(f, "unmap_user with another file's cookie");
	pthread_mutex_lock(&f->mutex);
	if (m->backing)
		m->backing->maps--;
	else
		forget_device_map(f, m);
	f->live_maps--;
	pthread_mutex_unlock(&f->mutex);
	if (m->backing)
		munmap(m->va, m->len);
	free(m);
}

static bool os_call_interrupted(void *ctx, void *call)
{
	struct fake_os *f = to_fake(ctx);

	__atomic_fetch_add(&f->interrupt_checks, 1, __ATOMIC_RELAXED);
	return call && __atomic_load_n(&f->interrupted_call, __ATOMIC_ACQUIRE) == call;
}

static void os_log(void *ctx, enum vgpu_log_level level, const char *msg, uint64_t a, uint64_t b)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	struct fake_os *f = to_fake(ctx);

	__atomic_fetch_add(&f->log_lines, 1, __ATOMIC_RELAXED);
	if (!verbose)
		return;
	fprintf(stderr, "[vgpu %s] %s (%llu, %llu)\n", (unsigned)level < 4 ? names[level] : "?",
		msg ? msg : "(null)", (unsigned long long)a, (unsigned long long)b);
}

/* ---- the table ---- */

int fake_os_init(struct fake_os *f)
{
	memset(f, 0, sizeof(*f));
	if (pthread_mutex_init(&f->mutex, NULL) != 0)
		return -1;
	verbose = getenv("VGPU_TEST_VERBOSE") != NULL;
	f->fail_index = -1;
	f->os = (struct vgpu_os){
		.ctx = f,
		.alloc = os_alloc,
		.free = os_free,
		.dma_alloc = os_dma_alloc,
		.dma_free = os_dma_free,
		.backing_alloc = os_backing_alloc,
		.backing_alloc_contig = os_backing_alloc_contig,
		.backing_free = os_backing_free,
		.map_user = os_map_user,
		.unmap_user = os_unmap_user,
		.map_device_user = os_map_device_user,
		.call_interrupted = os_call_interrupted,
		.log = os_log,
	};
	fake_os_sync_table(&f->os);
	return 0;
}

void fake_os_fini(struct fake_os *f)
{
	if (fake_os_live(f))
		fprintf(stderr, "fake_os: %lld objects still live at fini\n",
			(long long)fake_os_live(f));
	pthread_mutex_destroy(&f->mutex);
}

int64_t fake_os_live(struct fake_os *f)
{
	int64_t n;

	pthread_mutex_lock(&f->mutex);
	n = f->live_allocs + f->live_dma + f->live_backings + f->live_maps + f->live_locks +
	    f->live_events + f->live_timers;
	pthread_mutex_unlock(&f->mutex);
	return n;
}

static void fail_from(struct fake_os *f, int64_t n, bool onward)
{
	pthread_mutex_lock(&f->mutex);
	f->fail_index = n < 0 ? -1 : (int64_t)f->acquisitions + n;
	f->fail_onward = onward;
	pthread_mutex_unlock(&f->mutex);
}

void fake_os_fail_at(struct fake_os *f, int64_t n)
{
	fail_from(f, n, false);
}

void fake_os_fail_onward(struct fake_os *f, int64_t n)
{
	fail_from(f, n, true);
}

uint64_t fake_os_acquisitions(struct fake_os *f)
{
	uint64_t n;

	pthread_mutex_lock(&f->mutex);
	n = f->acquisitions;
	pthread_mutex_unlock(&f->mutex);
	return n;
}
