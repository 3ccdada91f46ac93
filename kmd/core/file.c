/* SPDX-License-Identifier: MIT */
#include "file.h"

#include "device.h"
#include "gpu/commands.h"
#include "resource.h"
#include "vgpu_core.h"

int vgpu_file_lock(struct vgpu_file *file)
{
	return vgpu_sleeplock_acquire(file->dev, &file->lock);
}

void vgpu_file_unlock(struct vgpu_file *file)
{
	vgpu_sleeplock_release(file->dev, &file->lock);
}

static uint32_t handle_index(uint32_t handle)
{
	return (handle & VGPU_MAX_HANDLES) - 1u;
}

struct vgpu_resource *vgpu_file_lookup(struct vgpu_file *file, uint32_t handle)
{
	uint32_t index = handle_index(handle);
	const struct vgpu_handle_slot *slot;

	if ((handle & VGPU_MAX_HANDLES) == 0 || index >= file->nslots)
		return NULL;
	slot = &file->slots[index];
	if (!slot->res || slot->gen != (handle >> VGPU_HANDLE_INDEX_BITS))
		return NULL;
	return slot->res;
}

static int grow_slots(struct vgpu_file *file)
{
	struct vgpu_device *dev = file->dev;
	uint32_t n = file->nslots ? file->nslots * 2 : 64;
	struct vgpu_handle_slot *slots;

	if (file->nslots >= VGPU_MAX_HANDLES)
		return VGPU_E_NO_MEMORY;
	if (n > VGPU_MAX_HANDLES)
		n = VGPU_MAX_HANDLES;
	slots = vgpu_dev_alloc(dev, (size_t)n * sizeof(*slots));
	if (!slots)
		return VGPU_E_NO_MEMORY;
	if (file->slots)
		vgpu_copy(slots, file->slots, (size_t)file->nslots * sizeof(*slots));
	vgpu_dev_free(dev, file->slots);
	file->slots = slots;
	file->nslots = n;
	return VGPU_OK;
}

int vgpu_file_install(struct vgpu_file *file, struct vgpu_resource *res)
{
	uint32_t i;
	int ret;

	if (file->nresources == file->nslots) {
		ret = grow_slots(file);
		if (ret != VGPU_OK)
			return ret;
	}
	for (i = 0; i < file->nslots; i++) {
		struct vgpu_handle_slot *slot = &file->slots[i];

		if (slot->res)
			continue;
		/* A new generation per use, so that a stale handle never names a new object. */
		slot->gen = (uint16_t)((slot->gen + 1u) & ((1u << (32u - VGPU_HANDLE_INDEX_BITS)) - 1u));
		if (slot->gen == 0)
			slot->gen = 1;
		slot->res = res;
		res->handle = ((uint32_t)slot->gen << VGPU_HANDLE_INDEX_BITS) | (i + 1u);
		file->nresources++;
		return VGPU_OK;
	}
	return VGPU_E_NO_MEMORY;
}

void vgpu_file_uninstall(struct vgpu_file *file, struct vgpu_resource *res)
{
	file->slots[handle_index(res->handle)].res = NULL;
	file->nresources--;
}

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

int vgpu_timeline_target(struct vgpu_file *file, uint64_t signal,
			 struct vgpu_fence_target *target)
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
		       bool cancellable, uint64_t *completed)
{
	struct vgpu_device *dev = file->dev;
	struct timeline_goal goal = { file, value, cancellable };
	int ret = VGPU_OK;

	vgpu_dev_lock(dev);
	if (value > file->last_signal && value > file->completed)
		ret = VGPU_E_INVALID;
	else if (timeout_ns == 0 && !timeline_reached(&goal))
		ret = VGPU_E_BUSY;
	vgpu_dev_unlock(dev);

	if (ret == VGPU_OK && timeout_ns)
		ret = vgpu_wait_until(dev, timeline_reached, &goal, timeout_ns);

	vgpu_dev_lock(dev);
	*completed = file->completed;
	if (ret == VGPU_OK && file->completed < value)
		ret = dev->lost ? VGPU_E_DEVICE_LOST : VGPU_E_CANCELLED;
	vgpu_dev_unlock(dev);
	return ret;
}

void vgpu_file_cancel(struct vgpu_file *file)
{
	struct vgpu_device *dev = file->dev;

	vgpu_dev_lock(dev);
	file->cancelled = true;
	vgpu_wake_all(dev);
	vgpu_dev_unlock(dev);
}

int vgpu_file_open(struct vgpu_device *dev, void *file_ctx, struct vgpu_file **out)
{
	struct vgpu_file *file = vgpu_dev_alloc(dev, sizeof(*file));

	if (!file)
		return VGPU_E_NO_MEMORY;
	file->dev = dev;
	file->file_ctx = file_ctx;
	vgpu_list_init(&file->pending);
	vgpu_dev_lock(dev);
	vgpu_list_add_tail(&dev->files, &file->node);
	dev->stats.open_files++;
	vgpu_dev_unlock(dev);
	*out = file;
	return VGPU_OK;
}

/* The device never finished: its late completions must not reach the freed file. */
static void abandon_pending(struct vgpu_file *file)
{
	struct vgpu_device *dev = file->dev;
	struct vgpu_list *pos, *tmp;

	vgpu_dev_lock(dev);
	vgpu_list_for_each_safe(pos, tmp, &file->pending)
	{
		struct vgpu_request *req = vgpu_container_of(pos, struct vgpu_request, user_node);

		vgpu_list_del(&req->user_node);
		req->on_done = NULL;
		vgpu_req_free_locked(dev, req);
	}
	vgpu_dev_unlock(dev);
}

void vgpu_file_close(struct vgpu_file *file)
{
	struct vgpu_device *dev = file->dev;
	uint64_t completed;
	uint32_t i;

	/* Close must finish: a call stuck on the device holds the lock at most a few timeouts. */
	(void)vgpu_file_lock(file);
	if (file->last_signal &&
	    vgpu_timeline_wait(file, file->last_signal, dev->command_timeout_ns, false,
			       &completed) ==
		    VGPU_E_TIMEOUT)
		file->unfinished = true;

	for (i = 0; i < file->nslots && file->nresources; i++)
		if (file->slots[i].res)
			vgpu_res_destroy(file, file->slots[i].res);
	if (file->ctx_id) {
		if (!file->unresponsive)
			vgpu_cmd_ctx_destroy(dev, file->ctx_id);
		vgpu_dev_lock(dev);
		dev->stats.contexts--;
		vgpu_dev_unlock(dev);
	}
	abandon_pending(file);

	vgpu_dev_lock(dev);
	vgpu_list_del(&file->node);
	dev->stats.open_files--;
	vgpu_dev_unlock(dev);
	vgpu_dev_free(dev, file->slots);
	vgpu_dev_free(dev, file);
}
