/* SPDX-License-Identifier: MIT */
#include "host_visible.h"

#include "device.h"

void vgpu_hv_init(struct vgpu_host_visible *hv, uint64_t pa, uint64_t size)
{
	hv->pa = pa;
	hv->size = size;
	vgpu_list_init(&hv->used);
}

void vgpu_hv_fini(struct vgpu_device *dev, struct vgpu_host_visible *hv)
{
	struct vgpu_list *pos, *tmp;

	vgpu_list_for_each_safe(pos, tmp, &hv->used)
	{
		vgpu_list_del(pos);
		vgpu_dev_free(dev, vgpu_container_of(pos, struct vgpu_hv_range, node));
	}
}

static struct vgpu_hv_range *new_range(struct vgpu_device *dev, uint64_t size)
{
	struct vgpu_hv_range *range = vgpu_dev_alloc(dev, sizeof(*range));

	if (range) {
		vgpu_list_init(&range->node);
		range->size = size;
	}
	return range;
}

/* Where a range of `size` bytes first fits: before the returned node (the list head: last). */
static struct vgpu_list *first_fit(struct vgpu_host_visible *hv, uint64_t size, uint64_t *offset)
{
	uint64_t start = 0;
	struct vgpu_list *pos;

	for (pos = hv->used.next; pos != &hv->used; pos = pos->next) {
		const struct vgpu_hv_range *r = vgpu_container_of(pos, struct vgpu_hv_range, node);

		if (r->offset - start >= size)
			break;
		start = r->offset + r->size;
	}
	if (pos == &hv->used && hv->size - start < size)
		return NULL;
	*offset = start;
	return pos;
}

int vgpu_hv_alloc(struct vgpu_device *dev, struct vgpu_host_visible *hv, uint64_t size,
		  struct vgpu_hv_range **out)
{
	struct vgpu_hv_range *range;
	struct vgpu_list *next;

	if (!size || size % VGPU_PAGE_SIZE)
		return VGPU_E_INVALID;
	range = new_range(dev, size);
	if (!range)
		return VGPU_E_NO_MEMORY;
	vgpu_dev_lock(dev);
	next = first_fit(hv, size, &range->offset);
	if (next)
		vgpu_list_add_tail(next, &range->node);
	vgpu_dev_unlock(dev);
	if (!next) {
		vgpu_dev_free(dev, range);
		return VGPU_E_NO_MEMORY;
	}
	*out = range;
	return VGPU_OK;
}

/* The used range after which [offset, offset + size) would go, if nothing overlaps it. */
static struct vgpu_list *free_spot(struct vgpu_host_visible *hv, uint64_t offset, uint64_t size)
{
	struct vgpu_list *pos;

	for (pos = hv->used.next; pos != &hv->used; pos = pos->next) {
		const struct vgpu_hv_range *r = vgpu_container_of(pos, struct vgpu_hv_range, node);

		if (r->offset + r->size <= offset)
			continue;
		return r->offset >= offset && r->offset - offset >= size ? pos : NULL;
	}
	return pos;
}

int vgpu_hv_claim(struct vgpu_device *dev, struct vgpu_host_visible *hv, uint64_t pa, uint64_t size,
		  struct vgpu_hv_range **out)
{
	uint64_t offset = pa - hv->pa;
	struct vgpu_hv_range *range;
	struct vgpu_list *next;

	if (!size || size % VGPU_PAGE_SIZE || pa % VGPU_PAGE_SIZE || pa < hv->pa ||
	    offset > hv->size || size > hv->size - offset)
		return VGPU_E_INVALID;
	range = new_range(dev, size);
	if (!range)
		return VGPU_E_NO_MEMORY;
	range->offset = offset;
	vgpu_dev_lock(dev);
	next = free_spot(hv, offset, size);
	if (next)
		vgpu_list_add_tail(next, &range->node);
	vgpu_dev_unlock(dev);
	if (!next) {
		vgpu_dev_free(dev, range);
		return VGPU_E_INVALID;
	}
	*out = range;
	return VGPU_OK;
}

void vgpu_hv_free(struct vgpu_device *dev, struct vgpu_hv_range *range)
{
	vgpu_dev_lock(dev);
	vgpu_list_del(&range->node);
	vgpu_dev_unlock(dev);
	vgpu_dev_free(dev, range);
}

/* The range simply stays on the used list: vgpu_hv_fini, after the reset, frees it. */
void vgpu_hv_reserve(struct vgpu_device *dev, const struct vgpu_hv_range *range)
{
	vgpu_dev_log(dev, VGPU_LOG_WARN, "keeping host-visible memory the device may still use",
		     range->offset, range->size);
}
