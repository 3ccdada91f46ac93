/* SPDX-License-Identifier: MIT */
/*
 * Bounded waits on conditions guarded by dev->lock, and the sleeping lock
 * built from them.  Every wait has a deadline: a device that stops
 * answering costs a caller a timeout, never a hang.
 */
#ifndef VGPU_KMD_WAIT_H
#define VGPU_KMD_WAIT_H

#include <stdbool.h>
#include <stdint.h>

struct vgpu_device;

/*
 * Wait until cond(arg) is true; cond is evaluated with dev->lock held and
 * may change state guarded by it (e.g. to take ownership of something).
 * Returns VGPU_OK, VGPU_E_TIMEOUT or VGPU_E_NO_MEMORY.  PASSIVE.
 */
int vgpu_wait_until(struct vgpu_device *dev, bool (*cond)(void *arg), void *arg,
		    uint64_t timeout_ns);

/* The same with an event the caller created (so that the wait itself cannot fail). */
int vgpu_wait_until_event(struct vgpu_device *dev, bool (*cond)(void *arg), void *arg,
			  uint64_t timeout_ns, void *event);

/* Wake every waiter so that it re-evaluates its condition.  Caller holds dev->lock. */
void vgpu_wake_all(struct vgpu_device *dev);

/* A lock that may be held across waits (PASSIVE only), with bounded acquisition. */
struct vgpu_sleeplock {
	bool held;
};

int vgpu_sleeplock_acquire(struct vgpu_device *dev, struct vgpu_sleeplock *lock);
void vgpu_sleeplock_release(struct vgpu_device *dev, struct vgpu_sleeplock *lock);

#endif /* VGPU_KMD_WAIT_H */
