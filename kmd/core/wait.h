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

/*
 * The same for a wait on behalf of an application's call: it also ends,
 * with VGPU_E_CANCELLED, once os->call_interrupted says the call should
 * (checked every VGPU_CALL_POLL_NS).  call NULL: not interruptible.
 */
#define VGPU_CALL_POLL_NS 50000000ull
int vgpu_wait_until_call(struct vgpu_device *dev, bool (*cond)(void *arg), void *arg,
			 uint64_t timeout_ns, void *call);

/*
 * The same for a wait on the device's fences: while it waits, the control
 * queue is notified every VGPU_FENCE_NUDGE_NS (once for all waiters), with
 * nothing new on it.  QEMU's virtio-gpu-gl (7.2, and later versions without
 * an asynchronous fence callback) looks at its renderer's fences only when
 * the guest notifies the queue and on a 10 ms timer: a fence the host
 * completes after the notification that carried it would otherwise wait
 * for the timer, which made every glFinish of a short frame cost about
 * 10 ms there (testos and the NT harness measure it).  A device that needs
 * no nudge ignores an empty notification.  Where the OS offers a periodic
 * timer (os->timer_create: Windows, whose timed waits end only at its
 * clock's tick) that timer nudges, running while any thread waits here.
 */
#define VGPU_FENCE_NUDGE_NS 500000ull
int vgpu_wait_fences(struct vgpu_device *dev, bool (*cond)(void *arg), void *arg,
		     uint64_t timeout_ns, void *call);

/* The same with an event the caller created (so that the wait itself cannot fail). */
int vgpu_wait_until_event(struct vgpu_device *dev, bool (*cond)(void *arg), void *arg,
			  uint64_t timeout_ns, void *event);

/* Wake every waiter so that it re-evaluates its condition.  Caller holds dev->lock. */
void vgpu_wake_all(struct vgpu_device *dev);

/* A lock that may be held across waits (PASSIVE only), with bounded acquisition. */
struct vgpu_sleeplock {
	bool held;
};

/* call: the application's call that waits for the lock (NULL: none), as for vgpu_wait_until_call. */
int vgpu_sleeplock_acquire(struct vgpu_device *dev, struct vgpu_sleeplock *lock, void *call);
void vgpu_sleeplock_release(struct vgpu_device *dev, struct vgpu_sleeplock *lock);

#endif /* VGPU_KMD_WAIT_H */
