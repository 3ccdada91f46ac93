/* SPDX-License-Identifier: MIT */
/*
 * The one table through which the portable kmd core reaches its OS.
 *
 * Each shell (Windows WDM, the Linux sim, the freestanding test guest)
 * fills a struct vgpu_os and passes it to vgpu_device_create().  The core
 * calls nothing else of its environment.  Members marked "optional" may be
 * NULL when the shell supplies its own transport (the sim does).
 *
 * Execution levels (named after Windows IRQLs, which are the strictest):
 *  - PASSIVE: may block; every ioctl and file open/close runs here;
 *  - DISPATCH: may not block; vgpu_device_interrupt() may be called here,
 *    so locks, events' signal and now_ns must work at this level.
 */
#ifndef VGPU_KMD_OS_H
#define VGPU_KMD_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Physically contiguous memory the device can reach. */
struct vgpu_dma {
	void *va;
	uint64_t pa;
	size_t size;
	void *os_priv;
};

/* One physically contiguous piece of a resource's backing. */
struct vgpu_extent {
	uint64_t pa;
	uint64_t len;
};

/*
 * Scatter-gather backing memory of one resource, owned by the OS that
 * allocated it.  Its pages are zeroed (they are handed to user mode) and
 * stay resident until backing_free.
 */
struct vgpu_backing {
	uint64_t size;
	uint32_t nents;
	struct vgpu_extent *ents;
	void *os_priv;
};

/* How user mode may cache a mapping of device memory (the device's map_info). */
enum vgpu_cache_type {
	VGPU_CACHE_CACHED = 1,
	VGPU_CACHE_UNCACHED = 2,
	VGPU_CACHE_WRITE_COMBINED = 3,
};

enum vgpu_log_level {
	VGPU_LOG_ERROR = 0,
	VGPU_LOG_WARN = 1,
	VGPU_LOG_INFO = 2,
	VGPU_LOG_DEBUG = 3,
};

struct vgpu_os {
	void *ctx; /* passed back as the first argument of every call */

	/* Non-paged kernel memory, zero-filled; NULL when exhausted.  Any level. */
	void *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *ptr);

	/* Contiguous DMA memory for rings and command buffers. PASSIVE. */
	int (*dma_alloc)(void *ctx, size_t size, struct vgpu_dma *out);
	void (*dma_free)(void *ctx, struct vgpu_dma *dma);

	/* Resource backing: zeroed, any number of extents. PASSIVE. */
	int (*backing_alloc)(void *ctx, uint64_t size, struct vgpu_backing **out);
	void (*backing_free)(void *ctx, struct vgpu_backing *backing);
	/*
	 * Backing in ONE physically contiguous extent, freed with backing_free
	 * (optional: only a device whose ATTACH_BACKING takes a single range,
	 * Mvisor's, needs it).  PASSIVE.
	 */
	int (*backing_alloc_contig)(void *ctx, uint64_t size, struct vgpu_backing **out);

	/*
	 * Map a backing into the address space of the process that opened
	 * `file_ctx` (the shell's per-open cookie given to vgpu_file_open),
	 * returning the user address; unmap undoes it.  Called in the context
	 * of that process (an ioctl), or from file close.  PASSIVE.
	 */
	int (*map_user)(void *ctx, void *file_ctx, struct vgpu_backing *backing, uint64_t *address,
			void **mapping);
	void (*unmap_user)(void *ctx, void *file_ctx, void *mapping);
	/*
	 * Map `size` bytes of device memory at guest-physical `pa` (page-aligned,
	 * inside a host-visible region the transport reported, see
	 * transport.h shm_region) into the same process, with that cache type;
	 * unmap_user undoes it (optional: without it blobs cannot be mapped).
	 * DEVICE_LOST once the OS took the device's memory back from the file's
	 * mappings (the device went away or lost its state); DEVICE or
	 * UNSUPPORTED when it will not map that memory; other failures mean
	 * no memory.  PASSIVE.
	 */
	int (*map_device_user)(void *ctx, void *file_ctx, uint64_t pa, uint64_t size,
			       enum vgpu_cache_type cache, uint64_t *address, void **mapping);

	/* A lock that may be taken at DISPATCH (a spin lock on Windows). */
	void *(*lock_create)(void *ctx);
	void (*lock_destroy)(void *ctx, void *lock);
	void (*lock)(void *ctx, void *lock);
	void (*unlock)(void *ctx, void *lock);

	/*
	 * A one-waiter auto-reset event: signal (any level) wakes the thread in
	 * event_wait (PASSIVE) or makes its next wait return at once.
	 * event_wait returns 0 when signalled, VGPU_E_TIMEOUT otherwise.
	 */
	void *(*event_create)(void *ctx);
	void (*event_destroy)(void *ctx, void *event);
	void (*event_signal)(void *ctx, void *event);
	int (*event_wait)(void *ctx, void *event, uint64_t timeout_ns);

	/*
	 * Whether the call `call` (what the shell put in vgpu_ioctl_bufs.call)
	 * should end now: the application cancelled it, or its thread is being
	 * terminated.  The waits a call may end early (WAIT, the file's lock)
	 * ask at least every VGPU_CALL_POLL_NS and end with VGPU_E_CANCELLED.
	 * NULL: calls are never interrupted.  PASSIVE.
	 */
	bool (*call_interrupted)(void *ctx, void *call);

	/*
	 * A periodic timer (optional), for an OS whose timed waits end only at
	 * its clock's tick (Windows: every 15.6 ms unless a program asks for
	 * more), too coarse for the fence nudge (kmd/core/wait.h).  fn(arg)
	 * runs every period_ns from timer_start to timer_stop, at a level where
	 * lock() may be taken.  timer_create returns NULL when it cannot;
	 * timer_start and timer_stop may be called holding a lock and must not
	 * wait for fn; timer_destroy (PASSIVE) waits for a call of fn in
	 * progress.  NULL: the waiters nudge between slices of event_wait.
	 */
	void *(*timer_create)(void *ctx, void (*fn)(void *arg), void *arg);
	void (*timer_destroy)(void *ctx, void *timer);
	void (*timer_start)(void *ctx, void *timer, uint64_t period_ns);
	void (*timer_stop)(void *ctx, void *timer);

	/* Monotonic clock, nanoseconds. Any level. */
	uint64_t (*now_ns)(void *ctx);

	/* A fixed message and up to two numbers; the shell formats. Any level. */
	void (*log)(void *ctx, enum vgpu_log_level level, const char *msg, uint64_t a, uint64_t b);

	/*
	 * PCI access for the virtio-pci transport (optional).  cfg_read reads
	 * `width` (1, 2, 4) bytes of config space; bar_map returns a pointer to
	 * `len` bytes at `offset` of BAR `bar` (NULL if the BAR cannot hold it);
	 * mmio_* access such a pointer.
	 */
	uint32_t (*pci_cfg_read)(void *ctx, uint32_t offset, uint32_t width);
	volatile void *(*bar_map)(void *ctx, uint32_t bar, uint64_t offset, uint64_t len);
	uint32_t (*mmio_read)(void *ctx, volatile void *addr, uint32_t width);
	void (*mmio_write)(void *ctx, volatile void *addr, uint32_t width, uint32_t value);
};

#endif /* VGPU_KMD_OS_H */
