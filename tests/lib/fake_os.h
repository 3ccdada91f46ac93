/* SPDX-License-Identifier: MIT */
/*
 * A struct vgpu_os for hosted unit tests of the kmd core.
 *
 * Memory is the process's own: "physical" addresses are the virtual ones
 * (pa = (uint64_t)(uintptr_t)va), so an in-process fake device reaches what
 * the core hands it directly.  The fake OS remembers every region it gave
 * out, so the device can check that an address it is given is memory the
 * core really owns (fake_os_map_pa).
 *
 * Resource backing is a memfd seen twice: the "device" view places its
 * extents (1, 2, 3, 1, 2, 3... pages long) at addresses with a gap between
 * them, so that a core that assumed the backing contiguous would send the
 * device wrong addresses; map_user returns a contiguous view of the same
 * pages, so what user mode writes the device reads.
 *
 * Device memory (a blob's host-visible pages) is one window a fake device
 * declares (fake_os_set_device_memory); map_device_user checks each range
 * against it and against the ranges already mapped, and returns the
 * window's own memory, so user mode and device share the bytes.
 *
 * Every object handed out (allocation, DMA block, backing, user mapping,
 * lock, event, timer) is counted; tests compare fake_os_live() with a baseline to
 * prove that nothing leaked.  fake_os_fail_at() makes one future such
 * acquisition fail, to walk every allocation-failure path.
 */
#ifndef VGPU_TESTS_FAKE_OS_H
#define VGPU_TESTS_FAKE_OS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "os.h"
#include "vgpu/vgpu_abi.h"

struct fake_os_region;
struct fake_map;

struct fake_os {
	struct vgpu_os os; /* hand &fake->os to the core */

	pthread_mutex_t mutex;
	struct fake_os_region *regions; /* device-reachable memory */

	/* acquisitions of every kind, in order; the failure injection counts these */
	uint64_t acquisitions;
	int64_t fail_index; /* acquisition number that fails, -1 for none */
	bool fail_onward;   /* and every one after it */
	uint64_t injected_failures;

	/* live objects, by kind */
	int64_t live_allocs;
	int64_t live_dma;
	int64_t live_backings;
	int64_t live_maps;
	int64_t live_locks;
	int64_t live_events;
	int64_t live_timers;
	uint64_t backing_bytes;   /* live backing bytes */
	int64_t live_device_maps; /* of live_maps, those of device memory */
	enum vgpu_cache_type last_device_cache;
	int device_map_refusal; /* nonzero: map_device_user answers this status */

	/* the device memory window */
	uint64_t device_pa;
	uint64_t device_len;
	uint8_t *device_va; /* NULL: not memory; mappings return the address itself */
	struct fake_map *device_maps;

	/* the call os->call_interrupted says should end (NULL: none); atomic */
	void *interrupted_call;
	uint64_t interrupt_checks;

	/*
	 * The periodic timer of fake_os_offer_timer, and Windows' coarse waits:
	 * nonzero wait_tick_ns makes a timed event_wait last a whole number of
	 * it (a signal still ends it at once).  Counters are atomic.
	 */
	uint64_t wait_tick_ns;
	uint64_t timer_starts, timer_stops, timer_calls;

	/* misuse of the OS table: unknown or double frees, wrong file_ctx... */
	uint64_t violations;
	uint64_t log_lines;
};

/* Fill the table.  Returns 0, or -1 if the host cannot give a mutex. */
int fake_os_init(struct fake_os *f);
/* Release the fake's own state; the core's objects must be gone already. */
void fake_os_fini(struct fake_os *f);

/* Every live object the core holds, of any kind. */
int64_t fake_os_live(struct fake_os *f);

/*
 * Make acquisition number `n` from now fail (0 = the next one), -1 to stop
 * failing.  Allocations, DMA blocks, backings, user mappings, locks,
 * events and timers all count as acquisitions.
 */
void fake_os_fail_at(struct fake_os *f, int64_t n);
/* The same, and every acquisition after it too (memory stays short) until fake_os_fail_at(f, -1). */
void fake_os_fail_onward(struct fake_os *f, int64_t n);

/*
 * Offer os->timer_create and the rest (a thread per timer), and make timed
 * waits last whole multiples of `wait_tick_ns` (0: exact), as Windows'
 * waits end at its clock's tick.  Before the device is created.
 */
void fake_os_offer_timer(struct fake_os *f, uint64_t wait_tick_ns);

/* The device's memory window: `len` bytes at `pa`, at `va` in this process (or NULL). */
void fake_os_set_device_memory(struct fake_os *f, uint64_t pa, uint64_t len, void *va);

/* Acquisitions made so far (to learn how many a call makes). */
uint64_t fake_os_acquisitions(struct fake_os *f);

/*
 * The device's view of guest memory: a pointer to `len` bytes at `pa`, or
 * NULL when the range is not inside one live DMA block or backing extent.
 * Suits vring_dev_map_fn with ctx = the fake_os.
 */
void *fake_os_map_pa(void *fake_os, uint64_t pa, uint64_t len);

#endif /* VGPU_TESTS_FAKE_OS_H */
