/* SPDX-License-Identifier: MIT */
/*
 * An opened device handle from open to close.  Closing destroys what the
 * file still owns, so this sits above resource.c; the handle table and the
 * timeline, which resources use, sit below it (handles.c, timeline.c).
 */
#include "file.h"

#include "device.h"
#include "gpu/commands.h"
#include "resource.h"
#include "timeline.h"
#include "vgpu_core.h"

int vgpu_file_lock(struct vgpu_file *file, void *call)
{
	return vgpu_sleeplock_acquire(file->dev, &file->lock, call);
}

void vgpu_file_unlock(struct vgpu_file *file)
{
	vgpu_sleeplock_release(file->dev, &file->lock);
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

void vgpu_file_set_owner(struct vgpu_file *file, uint64_t owner)
{
	vgpu_dev_lock(file->dev);
	file->owner = owner;
	vgpu_dev_unlock(file->dev);
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
	(void)vgpu_file_lock(file, NULL);
	if (file->last_signal &&
	    vgpu_timeline_wait(file, file->last_signal, dev->command_timeout_ns, NULL,
			       &completed) == VGPU_E_TIMEOUT)
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
