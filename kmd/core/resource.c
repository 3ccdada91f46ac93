/* SPDX-License-Identifier: MIT */
#include "resource.h"

#include "blob.h"
#include "device.h"
#include "gpu/commands.h"
#include "gpu/personality_cmds.h"
#include "handles.h"
#include "personality.h"
#include "timeline.h"

/* What a resource pins: its backing, whole pages. */
static uint64_t backing_bytes(const struct vgpu_resource_create *desc)
{
	return vgpu_align_up(desc->size, VGPU_PAGE_SIZE);
}

static void count_resource(struct vgpu_device *dev, int sign)
{
	vgpu_dev_lock(dev);
	dev->stats.resources += sign;
	vgpu_dev_unlock(dev);
}

uint64_t vgpu_res_owner_pinned(const struct vgpu_file *file)
{
	struct vgpu_list *pos, *tmp;
	uint64_t bytes = 0;

	if (!file->owner)
		return file->pinned_bytes;
	vgpu_list_for_each_safe(pos, tmp, &file->dev->files)
	{
		const struct vgpu_file *f = vgpu_container_of(pos, struct vgpu_file, node);

		if (f->owner == file->owner)
			bytes += f->pinned_bytes;
	}
	return bytes;
}

static bool passes(uint64_t limit, uint64_t now, uint64_t more)
{
	return limit && (now > limit || more > limit - now);
}

/*
 * Backing pins guest pages: a file reserves them before it allocates, so
 * that creates in parallel cannot pass a limit together.
 */
static int reserve_pinned(struct vgpu_file *file, uint64_t bytes)
{
	struct vgpu_device *dev = file->dev;
	uint64_t owned;
	int ret = VGPU_OK;

	vgpu_dev_lock(dev);
	/* The owner's files are summed only where there is a limit to hold them to. */
	owned = dev->pin_limit_owner ? vgpu_res_owner_pinned(file) : 0;
	if (passes(dev->pin_limit_device, dev->stats.backing_bytes, bytes)) {
		vgpu_dev_log(dev, VGPU_LOG_WARN, "pinned memory: the device-wide limit is reached",
			     dev->stats.backing_bytes, dev->pin_limit_device);
		ret = VGPU_E_NO_MEMORY;
	} else if (passes(dev->pin_limit_owner, owned, bytes)) {
		vgpu_dev_log(dev, VGPU_LOG_WARN, "pinned memory: a process reached its limit",
			     owned, dev->pin_limit_owner);
		ret = VGPU_E_NO_MEMORY;
	} else {
		dev->stats.backing_bytes += bytes;
		file->pinned_bytes += bytes;
	}
	vgpu_dev_unlock(dev);
	return ret;
}

static void unreserve_pinned(struct vgpu_file *file, uint64_t bytes)
{
	vgpu_dev_lock(file->dev);
	file->dev->stats.backing_bytes -= bytes;
	file->pinned_bytes -= bytes;
	vgpu_dev_unlock(file->dev);
}

static bool device_silent(int ret)
{
	return ret == VGPU_E_TIMEOUT || ret == VGPU_E_DEVICE_LOST;
}

/*
 * After remove_from_device said `ret`: whether the device may still hold
 * the resource.  It does when it was not told (no memory even for the kept
 * request) or did not answer.  An answer, an error included, comes after
 * the resource's work; a lost device is reset or gone.
 */
static bool device_may_hold(int ret)
{
	return ret != VGPU_OK && ret != VGPU_E_DEVICE && ret != VGPU_E_DEVICE_LOST;
}

/*
 * Out of the file's context (if it is in it) and off the device, in one
 * round trip; when memory runs short, one command at a time, each sure to
 * go out.  VGPU_E_NO_MEMORY: the device was not told.
 */
static int remove_from_device(struct vgpu_file *file, struct vgpu_resource *res, bool attached)
{
	struct vgpu_device *dev = file->dev;
	struct vgpu_cmd_batch batch = { .n = 0 };
	int statuses[VGPU_CMD_BATCH_MAX];
	int ret;

	if (attached)
		vgpu_cmd_ctx_detach_resource(dev, file->ctx_id, res->res_id, &batch);
	vgpu_cmd_resource_unref(dev, res->res_id, &batch);
	ret = vgpu_cmd_batch_run(dev, &batch, statuses);
	if (ret != VGPU_E_NO_MEMORY)
		return ret;
	if (attached) {
		ret = vgpu_cmd_ctx_detach_resource(dev, file->ctx_id, res->res_id, NULL);
		if (device_silent(ret))
			return ret;
	}
	return vgpu_cmd_resource_unref(dev, res->res_id, NULL);
}

/*
 * Make the device object, give it its memory (a blob has the host's) and
 * attach it to the file's context: virglrenderer resolves the resource ids
 * of a context's command streams among the resources attached to it, blobs
 * included.  Once the object exists, the rest goes out together (the
 * device answers in order): one round trip.
 */
static int create_on_device(struct vgpu_file *file, struct vgpu_resource *res,
			    const struct vgpu_resource_create_blob *blob, bool *device_may_use)
{
	struct vgpu_device *dev = file->dev;
	struct vgpu_cmd_batch batch = { .n = 0 };
	int statuses[VGPU_CMD_BATCH_MAX];
	int ret = blob ? vgpu_personality_create_blob(dev, file->ctx_id, res->res_id, blob)
		       : vgpu_cmd_resource_create_3d(dev, res->res_id, &res->desc, NULL);

	*device_may_use = ret == VGPU_E_TIMEOUT;
	if (ret != VGPU_OK)
		return ret;
	if (!blob)
		vgpu_personality_attach_backing(dev, res->res_id, res->backing, &batch);
	vgpu_cmd_ctx_attach_resource(dev, file->ctx_id, res->res_id, &batch);
	ret = vgpu_cmd_batch_run(dev, &batch, statuses);
	/* A silent or lost device is not asked again: its objects die with it. */
	*device_may_use = ret == VGPU_E_TIMEOUT;
	if (ret != VGPU_OK && !device_silent(ret))
		*device_may_use = device_may_hold(
			remove_from_device(file, res, statuses[blob ? 0 : 1] == VGPU_OK));
	return ret;
}

/* A resource object with a handle of the file, not yet on the device. */
static int new_resource(struct vgpu_file *file, const struct vgpu_resource_create *desc,
			struct vgpu_resource **out)
{
	struct vgpu_device *dev = file->dev;
	struct vgpu_resource *res = vgpu_dev_alloc(dev, sizeof(*res));
	int ret;

	if (!res)
		return VGPU_E_NO_MEMORY;
	res->desc = *desc;
	ret = vgpu_file_install(file, res);
	if (ret != VGPU_OK) {
		vgpu_dev_free(dev, res);
		return ret;
	}
	*out = res;
	return VGPU_OK;
}

/* Free the backing, or keep it until the reset if the device may still use it (NULL: none). */
static void release_backing(struct vgpu_device *dev, struct vgpu_resource *res, bool device_may_use)
{
	if (!res->backing)
		return;
	if (device_may_use) {
		vgpu_dev_orphan_backing(dev, res->orphan, res->backing);
		res->orphan = NULL;
	} else {
		dev->os->backing_free(dev->os->ctx, res->backing);
	}
	res->backing = NULL;
}

static void drop_resource(struct vgpu_file *file, struct vgpu_resource *res)
{
	vgpu_file_uninstall(file, res);
	vgpu_dev_free(file->dev, res->orphan);
	vgpu_dev_free(file->dev, res);
}

int vgpu_res_create(struct vgpu_file *file, const struct vgpu_resource_create *desc,
		    struct vgpu_resource **out)
{
	struct vgpu_device *dev = file->dev;
	const struct vgpu_os *os = dev->os;
	uint64_t backing_size = backing_bytes(desc);
	struct vgpu_resource *res;
	bool device_may_use;
	int ret = new_resource(file, desc, &res);

	if (ret != VGPU_OK)
		return ret;
	res->orphan = vgpu_dev_orphan_alloc(dev);
	if (!res->orphan) {
		drop_resource(file, res);
		return VGPU_E_NO_MEMORY;
	}
	ret = reserve_pinned(file, backing_size);
	if (ret != VGPU_OK) {
		drop_resource(file, res);
		return ret;
	}
	ret = vgpu_personality_contiguous_backing(dev)
		      ? os->backing_alloc_contig(os->ctx, backing_size, &res->backing)
		      : os->backing_alloc(os->ctx, backing_size, &res->backing);
	if (ret != VGPU_OK) {
		unreserve_pinned(file, backing_size);
		drop_resource(file, res);
		return VGPU_E_NO_MEMORY;
	}
	res->res_id = vgpu_dev_new_res_id(dev);
	ret = create_on_device(file, res, NULL, &device_may_use);
	if (ret != VGPU_OK) {
		release_backing(dev, res, device_may_use);
		unreserve_pinned(file, backing_size);
		drop_resource(file, res);
		return ret;
	}
	count_resource(dev, +1);
	*out = res;
	return VGPU_OK;
}

int vgpu_res_create_blob(struct vgpu_file *file, const struct vgpu_resource_create_blob *blob,
			 struct vgpu_resource **out)
{
	struct vgpu_resource_create desc = blob->desc;
	struct vgpu_resource *res;
	bool device_may_use; /* a blob's memory is the host's: nothing of the guest's to keep */
	int ret;

	desc.size = blob->size;
	ret = new_resource(file, &desc, &res);
	if (ret != VGPU_OK)
		return ret;
	res->blob_flags = blob->blob_flags;
	res->res_id = vgpu_dev_new_res_id(file->dev);
	ret = create_on_device(file, res, blob, &device_may_use);
	if (ret != VGPU_OK) {
		drop_resource(file, res);
		return ret;
	}
	count_resource(file->dev, +1);
	*out = res;
	return VGPU_OK;
}

/*
 * A device that stopped answering is not asked again for this file: each
 * command would cost a full timeout, and the objects die with the device.
 */
/* Whether the device may still use the resource's memory (device_may_hold). */
static bool release_on_device(struct vgpu_file *file, struct vgpu_resource *res)
{
	int ret;

	if (file->unresponsive)
		return true;
	ret = remove_from_device(file, res, true);
	if (ret == VGPU_E_TIMEOUT)
		file->unresponsive = true;
	return device_may_hold(ret);
}

/*
 * No wait for the work that used the resource: the device answers its
 * control queue in order, so once it has answered the UNREF that follows
 * that work it uses the backing no more (as Linux's virtio-gpu relies on).
 * A device that did not answer may still use it: it is kept until reset.
 */
void vgpu_res_destroy(struct vgpu_file *file, struct vgpu_resource *res)
{
	struct vgpu_device *dev = file->dev;
	bool device_may_use;

	vgpu_res_unmap(file, res);
	if (vgpu_res_is_blob(res))
		vgpu_blob_unmap_device(file, res);
	device_may_use = release_on_device(file, res) || file->unfinished;

	count_resource(dev, -1);
	if (res->backing)
		unreserve_pinned(file, backing_bytes(&res->desc));
	release_backing(dev, res, device_may_use);
	drop_resource(file, res);
}

int vgpu_res_map(struct vgpu_file *file, struct vgpu_resource *res)
{
	const struct vgpu_os *os = file->dev->os;

	if (vgpu_res_is_blob(res))
		return vgpu_blob_map(file, res);
	if (res->mapping)
		return VGPU_OK;
	if (!os->map_user)
		return VGPU_E_UNSUPPORTED;
	if (os->map_user(os->ctx, file->file_ctx, res->backing, &res->map_address, &res->mapping) !=
	    VGPU_OK) {
		res->mapping = NULL;
		return VGPU_E_NO_MEMORY;
	}
	return VGPU_OK;
}

void vgpu_res_unmap(struct vgpu_file *file, struct vgpu_resource *res)
{
	const struct vgpu_os *os = file->dev->os;

	if (!res->mapping)
		return;
	os->unmap_user(os->ctx, file->file_ctx, res->mapping);
	res->mapping = NULL;
	res->map_address = 0;
}
