/* SPDX-License-Identifier: MIT */
#include "timeline.h"

#include "device.h"
#include "vgpu_core.h"

/* Completion of a fenced command: advance the timeline over what is done, in order. */
static void timeline_done(struct vgpu_device *dev, struct vgpu_request *req)
{
	struct vgpu_file *file = req->owner;

	while (!vgpu_list_empty(&file->pending)) {
		struct vgpu_request *head =
			vgpu_list_first(&file->pending, struct vgpu_request, user_node);

		if (!head->done)
			break;
		vgpu_list_del(&head->user_node);
		/* Work a lost device dropped never completes: WAIT reports the loss. */
		if (head->status != VGPU_E_DEVICE_LOST && head->signal > file->completed) {
			file->completed = head->signal;
			dev->stats.fences_completed++;
		}
		vgpu_req_free_locked(dev, head);
	}
}

int vgpu_timeline_target(struct vgpu_file *file, uint64_t signal, struct vgpu_fence_target *target)
{
	if (signal <= file->last_signal)
		return VGPU_E_INVALID;
	target->done = timeline_done;
	target->owner = file;
	target->signal = signal;
	target->order = &file->pending;
	return VGPU_OK;
}

void vgpu_timeline_sent(struct vgpu_file *file, uint64_t signal)
{
	vgpu_dev_lock(file->dev);
	file->last_signal = signal;
	vgpu_dev_unlock(file->dev);
}

struct timeline_goal {
	struct vgpu_file *file;
	uint64_t value;
	bool cancellable;
};

static bool timeline_reached(void *arg)
{
	struct timeline_goal *goal = arg;

	return goal->file->completed >= goal->value || goal->file->dev->lost ||
	       (goal->cancellable && goal->file->cancelled);
}

int vgpu_timeline_wait(struct vgpu_file *file, uint64_t value, uint64_t timeout_ns,
		       const struct vgpu_ioctl_bufs *user, uint64_t *completed)
{
	struct vgpu_device *dev = file->dev;
	struct timeline_goal goal = { file, value, user != NULL };
	int ret = VGPU_OK;

	vgpu_dev_lock(dev);
	if (value > file->last_signal && value > file->completed)
		ret = VGPU_E_INVALID;
	else if (timeout_ns == 0 && !timeline_reached(&goal))
		ret = VGPU_E_BUSY;
	vgpu_dev_unlock(dev);

	if (ret == VGPU_OK && timeout_ns)
		ret = vgpu_wait_fences(dev, timeline_reached, &goal, timeout_ns,
				       user ? user->call : NULL);

	vgpu_dev_lock(dev);
	*completed = file->completed;
	if (ret == VGPU_OK && file->completed < value)
		ret = dev->lost ? VGPU_E_DEVICE_LOST : VGPU_E_CANCELLED;
	vgpu_dev_unlock(dev);
	return ret;
}
