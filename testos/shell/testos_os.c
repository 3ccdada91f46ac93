/* SPDX-License-Identifier: MIT */
#include "testos_os.h"

#include <stdbool.h>
#include <string.h>

#include "vgpu_core.h"
#include "../kernel/clock.h"
#include "../kernel/cpu.h"
#include "heap.h"
#include "../kernel/kprint.h"
#include "../kernel/machine.h"
#include "../kernel/pages.h"
#include "../kernel/paging.h"

struct testos_lock {
	bool held;
};

struct testos_event {
	bool signalled;
};

struct testos_mapping {
	uint32_t va;
	uint32_t pages;
};

static uint32_t pages_for(uint64_t bytes)
{
	return (uint32_t)((bytes + PAGE_SIZE - 1) / PAGE_SIZE);
}

static void *os_alloc(void *ctx, size_t size)
{
	return heap_alloc(size);
}

static void os_free(void *ctx, void *ptr)
{
	heap_free(ptr);
}

static int os_dma_alloc(void *ctx, size_t size, struct vgpu_dma *out)
{
	struct testos_env *env = ctx;
	uint32_t pages = pages_for(size), pa;

	if (!out || size == 0 || size > PAGES_MAX_RAM)
		return VGPU_E_INVALID;
	pa = pages_alloc_contiguous(pages);
	if (!pa)
		return VGPU_E_NO_MEMORY;
	memset((void *)(uintptr_t)pa, 0, (size_t)pages * PAGE_SIZE);
	*out = (struct vgpu_dma){ .va = (void *)(uintptr_t)pa, .pa = pa, .size = size };
	env->dma_pages += pages;
	return VGPU_OK;
}

static void os_dma_free(void *ctx, struct vgpu_dma *dma)
{
	struct testos_env *env = ctx;
	uint32_t pages;

	if (!dma || !dma->va)
		return;
	pages = pages_for(dma->size);
	pages_free((uint32_t)dma->pa, pages);
	env->dma_pages -= pages;
	dma->va = NULL;
}

static void free_extents(struct vgpu_backing *b)
{
	uint32_t i;

	for (i = 0; i < b->nents; i++)
		pages_free((uint32_t)b->ents[i].pa, pages_for(b->ents[i].len));
}

/* Scattered on purpose: the pieces come from pages_alloc_scattered, top down, with holes. */
static int os_backing_alloc(void *ctx, uint64_t size, struct vgpu_backing **out)
{
	struct testos_env *env = ctx;
	uint32_t pages = pages_for(size), done = 0;
	struct vgpu_backing *b;

	if (!out || size == 0 || size > PAGES_MAX_RAM)
		return VGPU_E_INVALID;
	b = heap_alloc(sizeof(*b));
	if (!b)
		return VGPU_E_NO_MEMORY;
	b->ents = heap_alloc((size_t)pages * sizeof(*b->ents));
	if (!b->ents) {
		heap_free(b);
		return VGPU_E_NO_MEMORY;
	}
	while (done < pages) {
		uint32_t want = pages - done, pa, got;

		got = pages_alloc_scattered(
			want < TESTOS_BACKING_RUN_PAGES ? want : TESTOS_BACKING_RUN_PAGES, &pa);
		if (!got) {
			free_extents(b);
			heap_free(b->ents);
			heap_free(b);
			return VGPU_E_NO_MEMORY;
		}
		memset((void *)(uintptr_t)pa, 0, (size_t)got * PAGE_SIZE);
		b->ents[b->nents++] =
			(struct vgpu_extent){ .pa = pa, .len = (uint64_t)got * PAGE_SIZE };
		done += got;
	}
	b->size = (uint64_t)pages * PAGE_SIZE;
	env->backing_pages += pages;
	env->backings++;
	env->last_backing_extents = b->nents;
	*out = b;
	return VGPU_OK;
}

static void os_backing_free(void *ctx, struct vgpu_backing *b)
{
	struct testos_env *env = ctx;

	if (!b)
		return;
	free_extents(b);
	env->backing_pages -= pages_for(b->size);
	env->backings--;
	heap_free(b->ents);
	heap_free(b);
}

/* The guest has one address space: a "user" mapping is a contiguous view in the window. */
static int os_map_user(void *ctx, void *file_ctx, struct vgpu_backing *b, uint64_t *address,
		       void **mapping)
{
	struct testos_env *env = ctx;
	struct testos_mapping *m;
	uint32_t i, offset = 0;

	if (!b || !address || !mapping)
		return VGPU_E_INVALID;
	m = heap_alloc(sizeof(*m));
	if (!m)
		return VGPU_E_NO_MEMORY;
	m->pages = pages_for(b->size);
	m->va = window_reserve(m->pages);
	if (!m->va) {
		heap_free(m);
		return VGPU_E_NO_MEMORY;
	}
	for (i = 0; i < b->nents; i++) {
		uint64_t pa;

		for (pa = b->ents[i].pa; pa < b->ents[i].pa + b->ents[i].len; pa += PAGE_SIZE) {
			window_map_page(m->va + offset, (uint32_t)pa);
			offset += PAGE_SIZE;
		}
	}
	env->mappings++;
	*address = m->va;
	*mapping = m;
	return VGPU_OK;
}

static void os_unmap_user(void *ctx, void *file_ctx, void *mapping)
{
	struct testos_env *env = ctx;
	struct testos_mapping *m = mapping;

	if (!m)
		return;
	window_release(m->va, m->pages);
	heap_free(m);
	env->mappings--;
}

static void *os_lock_create(void *ctx)
{
	struct testos_env *env = ctx;
	void *lock = heap_alloc(sizeof(struct testos_lock));

	if (lock)
		env->locks_live++;
	return lock;
}

static void os_lock_destroy(void *ctx, void *lock)
{
	struct testos_env *env = ctx;

	if (!lock)
		return;
	heap_free(lock);
	env->locks_live--;
}

/*
 * One CPU and no interrupts: nothing can hold the lock while we try to take
 * it, so finding it held is a core bug (a lock taken twice), not contention.
 */
static void os_lock(void *ctx, void *lock)
{
	struct testos_lock *l = lock;

	if (l->held)
		machine_panic("lock taken while held");
	l->held = true;
}

static void os_unlock(void *ctx, void *lock)
{
	struct testos_lock *l = lock;

	if (!l->held)
		machine_panic("unlock of a free lock");
	l->held = false;
}

static void *os_event_create(void *ctx)
{
	struct testos_env *env = ctx;
	void *event = heap_alloc(sizeof(struct testos_event));

	if (event)
		env->events_live++;
	return event;
}

static void os_event_destroy(void *ctx, void *event)
{
	struct testos_env *env = ctx;

	if (!event)
		return;
	heap_free(event);
	env->events_live--;
}

static void os_event_signal(void *ctx, void *event)
{
	((struct testos_event *)event)->signalled = true;
}

/* Polled mode: waiting is consuming the used ring until the event fires or time runs out. */
static int os_event_wait(void *ctx, void *event, uint64_t timeout_ns)
{
	struct testos_env *env = ctx;
	struct testos_event *ev = event;
	uint64_t start = clock_now_ns();

	for (;;) {
		if (!ev->signalled && env->dev)
			vgpu_device_interrupt(env->dev);
		if (ev->signalled) {
			ev->signalled = false;
			return VGPU_OK;
		}
		if (clock_now_ns() - start >= timeout_ns)
			return VGPU_E_TIMEOUT;
		cpu_relax();
	}
}

static uint64_t os_now_ns(void *ctx)
{
	return clock_now_ns();
}

static void os_log(void *ctx, enum vgpu_log_level level, const char *msg, uint64_t a, uint64_t b)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	kprintf("# core %s: %s (%llu, %llu)\n", (uint32_t)level < 4 ? names[level] : "?", msg,
		(unsigned long long)a, (unsigned long long)b);
}

static uint32_t os_pci_cfg_read(void *ctx, uint32_t offset, uint32_t width)
{
	struct testos_env *env = ctx;

	return pci_cfg_read(&env->pci, offset, width);
}

static volatile void *os_bar_map(void *ctx, uint32_t bar, uint64_t offset, uint64_t len)
{
	struct testos_env *env = ctx;
	const struct pci_bar *b;

	if (bar >= PCI_BARS)
		return NULL;
	b = &env->pci.bars[bar];
	if (!b->usable || offset > b->size || len > b->size - offset ||
	    window_overlaps(b->base, b->size))
		return NULL;
	return (volatile void *)(uintptr_t)(b->base + offset);
}

static uint32_t os_mmio_read(void *ctx, volatile void *addr, uint32_t width)
{
	switch (width) {
	case 1:
		return *(volatile uint8_t *)addr;
	case 2:
		return *(volatile uint16_t *)addr;
	case 4:
		return *(volatile uint32_t *)addr;
	default:
		machine_panic("MMIO read of an unsupported width");
	}
}

static void os_mmio_write(void *ctx, volatile void *addr, uint32_t width, uint32_t value)
{
	switch (width) {
	case 1:
		*(volatile uint8_t *)addr = (uint8_t)value;
		break;
	case 2:
		*(volatile uint16_t *)addr = (uint16_t)value;
		break;
	case 4:
		*(volatile uint32_t *)addr = value;
		break;
	default:
		machine_panic("MMIO write of an unsupported width");
	}
}

void testos_os_init(struct testos_env *env)
{
	env->os = (struct vgpu_os){
		.ctx = env,
		.alloc = os_alloc,
		.free = os_free,
		.dma_alloc = os_dma_alloc,
		.dma_free = os_dma_free,
		.backing_alloc = os_backing_alloc,
		.backing_free = os_backing_free,
		.map_user = os_map_user,
		.unmap_user = os_unmap_user,
		.lock_create = os_lock_create,
		.lock_destroy = os_lock_destroy,
		.lock = os_lock,
		.unlock = os_unlock,
		.event_create = os_event_create,
		.event_destroy = os_event_destroy,
		.event_signal = os_event_signal,
		.event_wait = os_event_wait,
		.now_ns = os_now_ns,
		.log = os_log,
		.pci_cfg_read = os_pci_cfg_read,
		.bar_map = os_bar_map,
		.mmio_read = os_mmio_read,
		.mmio_write = os_mmio_write,
	};
}
