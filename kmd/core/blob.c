/* SPDX-License-Identifier: MIT */
#include "blob.h"

#include "device.h"
#include "gpu/commands.h"
#include "gpu/personality_cmds.h"
#include "gpu/wire.h"
#include "personality.h"
#include "vgpu_core.h"

/*
 * The cache type a MAP_BLOB answer asks for.  NONE states none: QEMU (9.2
 * to 10 at least, with virglrenderer 1.1) answers so for virgl's buffers,
 * which the host maps write-back, and Linux's driver then maps with its
 * default, cached; so do we where the guest placed the blob (QEMU's way).
 * A device that places blobs itself (Mvisor) always names a type.
 */
static bool cache_type(const struct vgpu_device *dev, uint32_t map_info,
		       enum vgpu_cache_type *cache)
{
	switch (map_info & WIRE_MAP_CACHE_MASK) {
	case WIRE_MAP_CACHE_NONE:
		if (vgpu_personality_device_places_blobs(dev))
			return false;
		*cache = VGPU_CACHE_CACHED;
		return true;
	case WIRE_MAP_CACHE_CACHED:
		*cache = VGPU_CACHE_CACHED;
		return true;
	case WIRE_MAP_CACHE_UNCACHED:
		*cache = VGPU_CACHE_UNCACHED;
		return true;
	case WIRE_MAP_CACHE_WC:
		*cache = VGPU_CACHE_WRITE_COMBINED;
		return true;
	default:
		return false; /* a type the spec does not define: not mappable */
	}
}

/*
 * The device's answer to MAP_BLOB, checked before anything is mapped: a
 * cache type we know and, where the device chose the place, a page-aligned
 * range inside the window, covering the blob, overlapping no other blob
 * (recorded in *range).  INVALID or NO_MEMORY.
 */
static int check_answer(struct vgpu_device *dev, struct vgpu_resource *res,
			const struct vgpu_blob_map *m, struct vgpu_hv_range **range)
{
	int ret;

	if (!cache_type(dev, m->map_info, &res->cache))
		return VGPU_E_INVALID;
	if (!vgpu_personality_device_places_blobs(dev))
		return VGPU_OK;
	if (m->size < res->desc.size)
		return VGPU_E_INVALID;
	ret = vgpu_hv_claim(dev, &dev->hv, m->gpa, res->desc.size, range);
	if (ret == VGPU_OK)
		(*range)->res_id = res->res_id;
	return ret;
}

/*
 * The device's last word on a range it mapped (or may have) was `ret`, to
 * UNMAP_BLOB or to a MAP_BLOB it never answered: only a clean unmap frees
 * the range; otherwise the host may still write it.
 */
static void release_range(struct vgpu_file *file, struct vgpu_hv_range *range, int ret)
{
	struct vgpu_device *dev = file->dev;

	if (ret == VGPU_E_TIMEOUT)
		file->unresponsive = true;
	if (!range)
		return;
	if (ret == VGPU_OK)
		vgpu_hv_free(dev, range);
	else
		vgpu_hv_reserve(dev, range);
}

static int map_on_device(struct vgpu_file *file, struct vgpu_resource *res)
{
	struct vgpu_device *dev = file->dev;
	struct vgpu_hv_range *range = NULL;
	struct vgpu_blob_map m;
	int ret;

	if (!vgpu_personality_device_places_blobs(dev)) {
		ret = vgpu_hv_alloc(dev, &dev->hv, res->desc.size, &range);
		if (ret != VGPU_OK)
			return ret;
		range->res_id = res->res_id;
	}
	ret = vgpu_personality_map_blob(dev, res->res_id, range ? range->offset : 0, &m);
	if (ret == VGPU_E_TIMEOUT || ret == VGPU_E_DEVICE_LOST) {
		release_range(file, range, ret);
		return ret;
	}
	if (ret != VGPU_OK && (ret != VGPU_E_DEVICE || m.refused)) {
		/* Never sent, or refused: the device mapped nothing. */
		if (range)
			vgpu_hv_free(dev, range);
		return ret;
	}
	if (ret == VGPU_OK)
		ret = check_answer(dev, res, &m, &range);
	if (ret == VGPU_OK) {
		res->hv_range = range;
		return VGPU_OK;
	}
	/* The device mapped the blob, or may have: take it out before the range is reused. */
	vgpu_dev_log(dev, VGPU_LOG_WARN, "device answered MAP_BLOB wrongly", res->res_id,
		     m.map_info);
	release_range(file, range, vgpu_cmd_unmap_blob(dev, res->res_id));
	return ret == VGPU_E_NO_MEMORY ? ret : VGPU_E_DEVICE;
}

/* A map starts: counted, unless the blobs were given back (the range is the device's no more). */
static int begin_map(struct vgpu_device *dev)
{
	int ret = VGPU_OK;

	vgpu_dev_lock(dev);
	if (dev->blobs_given_back)
		ret = VGPU_E_DEVICE_LOST;
	else
		dev->maps_in_progress++;
	vgpu_dev_unlock(dev);
	return ret;
}

static void end_map(struct vgpu_device *dev)
{
	vgpu_dev_lock(dev);
	dev->maps_in_progress--;
	vgpu_wake_all(dev);
	vgpu_dev_unlock(dev);
}

int vgpu_blob_map(struct vgpu_file *file, struct vgpu_resource *res)
{
	struct vgpu_device *dev = file->dev;
	const struct vgpu_os *os = dev->os;
	int ret;

	if (!(res->blob_flags & VGPU_BLOB_FLAG_MAPPABLE))
		return VGPU_E_INVALID;
	ret = begin_map(dev);
	if (ret != VGPU_OK)
		return ret;
	if (res->mapping) {
		end_map(dev);
		return VGPU_OK;
	}
	if (!res->hv_range)
		ret = map_on_device(file, res);
	end_map(dev);
	if (ret != VGPU_OK)
		return ret;
	/* Blobs exist only where host-visible memory does, and with it map_device_user. */
	ret = os->map_device_user(os->ctx, file->file_ctx, dev->hv.pa + res->hv_range->offset,
				  res->desc.size, res->cache, &res->map_address, &res->mapping);
	if (ret != VGPU_OK) {
		res->mapping = NULL;
		/* The OS may know why (a window it refuses to map, a missing routine, a lost device). */
		if (ret != VGPU_E_DEVICE && ret != VGPU_E_UNSUPPORTED && ret != VGPU_E_DEVICE_LOST)
			ret = VGPU_E_NO_MEMORY;
	}
	return ret;
}

void vgpu_blob_unmap_device(struct vgpu_file *file, struct vgpu_resource *res)
{
	int ret;

	if (!res->hv_range)
		return;
	ret = file->unresponsive ? VGPU_E_TIMEOUT : vgpu_cmd_unmap_blob(file->dev, res->res_id);
	release_range(file, res->hv_range, ret);
	res->hv_range = NULL;
}

static bool no_map_in_progress(void *arg)
{
	const struct vgpu_device *dev = arg;

	return dev->maps_in_progress == 0;
}

/* The next blob the device maps that was not given back; 0: none.  dev->lock. */
static uint32_t next_to_give_back(struct vgpu_device *dev)
{
	struct vgpu_list *pos;

	for (pos = dev->hv.used.next; pos != &dev->hv.used; pos = pos->next) {
		struct vgpu_hv_range *r = vgpu_container_of(pos, struct vgpu_hv_range, node);

		if (r->res_id && !r->given_back) {
			r->given_back = true;
			return r->res_id;
		}
	}
	return 0;
}

void vgpu_device_give_back_blobs(struct vgpu_device *dev)
{
	uint32_t res_id;
	int ret;

	if (!dev->hv.size)
		return;
	vgpu_dev_lock(dev);
	dev->blobs_given_back = true;
	vgpu_dev_unlock(dev);
	/* A map the device never answers is not waited for past the command timeout. */
	vgpu_wait_until(dev, no_map_in_progress, dev, dev->command_timeout_ns);
	do {
		vgpu_dev_lock(dev);
		res_id = next_to_give_back(dev);
		vgpu_dev_unlock(dev);
		if (!res_id)
			return;
		/*
		 * The range stays with its resource, whose own unmap later fails
		 * (an error answer, or the lost device) and keeps it until the core goes.
		 */
		ret = vgpu_cmd_unmap_blob(dev, res_id);
		/* A device that stopped answering would make each of the rest wait as long. */
	} while (ret != VGPU_E_TIMEOUT && ret != VGPU_E_DEVICE_LOST);
}
