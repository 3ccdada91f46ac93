/* SPDX-License-Identifier: MIT */
#include "wait.h"

#include "ctrlq.h"
#include "device.h"

struct vgpu_waiter {
	struct vgpu_list node;
	void *event;
};

static int wait_loop(struct vgpu_device *dev, bool (*cond)(void *arg), void *arg,
		     uint64_t timeout_ns, void *event, void *call, bool nudge)
{
	const struct vgpu_os *os = dev->os;
	struct vgpu_waiter waiter = { .event = event };
	uint64_t start = os->now_ns(os->ctx);
	bool interruptible = call && os->call_interrupted;
	/* The OS's timer, where there is one, nudges for every fence waiter; else each does. */
	bool by_timer = nudge && dev->nudge_timer;
	bool self_nudge = nudge && !dev->nudge_timer;
	int ret = VGPU_OK;

	vgpu_dev_lock(dev);
	/*
	 * Registered before the condition is checked and before dev->lock is
	 * dropped: a wake in between leaves the auto-reset event signalled.
	 */
	vgpu_list_add_tail(&dev->waiters, &waiter.node);
	if (by_timer && dev->fence_waiters++ == 0)
		os->timer_start(os->ctx, dev->nudge_timer, VGPU_FENCE_NUDGE_NS);
	while (!cond(arg)) {
		uint64_t elapsed = os->now_ns(os->ctx) - start, slice;

		if (elapsed >= timeout_ns) {
			ret = VGPU_E_TIMEOUT;
			break;
		}
		slice = timeout_ns - elapsed;
		if (interruptible && slice > VGPU_CALL_POLL_NS)
			slice = VGPU_CALL_POLL_NS;
		if (self_nudge && slice > VGPU_FENCE_NUDGE_NS)
			slice = VGPU_FENCE_NUDGE_NS;
		vgpu_dev_unlock(dev);
		os->event_wait(os->ctx, event, slice);
		if (self_nudge)
			vgpu_ctrlq_nudge(dev);
		if (interruptible && os->call_interrupted(os->ctx, call)) {
			vgpu_dev_lock(dev);
			ret = VGPU_E_CANCELLED;
			break;
		}
		vgpu_dev_lock(dev);
	}
	vgpu_list_del(&waiter.node);
	if (by_timer && --dev->fence_waiters == 0)
		os->timer_stop(os->ctx, dev->nudge_timer);
	vgpu_dev_unlock(dev);
	return ret;
}

int vgpu_wait_until_event(struct vgpu_device *dev, bool (*cond)(void *arg), void *arg,
			  uint64_t timeout_ns, void *event)
{
	return wait_loop(dev, cond, arg, timeout_ns, event, NULL, false);
}

static int wait_with_own_event(struct vgpu_device *dev, bool (*cond)(void *arg), void *arg,
			       uint64_t timeout_ns, void *call, bool nudge)
{
	const struct vgpu_os *os = dev->os;
	void *event;
	bool met;
	int ret;

	vgpu_dev_lock(dev);
	met = cond(arg);
	vgpu_dev_unlock(dev);
	if (met)
		return VGPU_OK;

	event = os->event_create(os->ctx);
	if (!event)
		return VGPU_E_NO_MEMORY;
	ret = wait_loop(dev, cond, arg, timeout_ns, event, call, nudge);
	os->event_destroy(os->ctx, event);
	return ret;
}

int vgpu_wait_until_call(struct vgpu_device *dev, bool (*cond)(void *arg), void *arg,
			 uint64_t timeout_ns, void *call)
{
	return wait_with_own_event(dev, cond, arg, timeout_ns, call, false);
}

int vgpu_wait_fences(struct vgpu_device *dev, bool (*cond)(void *arg), void *arg,
		     uint64_t timeout_ns, void *call)
{
	return wait_with_own_event(dev, cond, arg, timeout_ns, call, true);
}

int vgpu_wait_until(struct vgpu_device *dev, bool (*cond)(void *arg), void *arg,
		    uint64_t timeout_ns)
{
	return vgpu_wait_until_call(dev, cond, arg, timeout_ns, NULL);
}

void vgpu_wake_all(struct vgpu_device *dev)
{
	struct vgpu_list *pos, *tmp;

	vgpu_list_for_each_safe(pos, tmp, &dev->waiters)
	{
		struct vgpu_waiter *w = vgpu_container_of(pos, struct vgpu_waiter, node);

		dev->os->event_signal(dev->os->ctx, w->event);
	}
}

static bool take_sleeplock(void *arg)
{
	struct vgpu_sleeplock *lock = arg;

	if (lock->held)
		return false;
	lock->held = true;
	return true;
}

int vgpu_sleeplock_acquire(struct vgpu_device *dev, struct vgpu_sleeplock *lock, void *call)
{
	/*
	 * A holder waits for the device at most one command timeout per step
	 * (at the fence id wrap, longer while the device keeps completing work).
	 */
	return vgpu_wait_until_call(dev, take_sleeplock, lock, 4 * dev->command_timeout_ns, call);
}

void vgpu_sleeplock_release(struct vgpu_device *dev, struct vgpu_sleeplock *lock)
{
	vgpu_dev_lock(dev);
	lock->held = false;
	vgpu_wake_all(dev);
	vgpu_dev_unlock(dev);
}
