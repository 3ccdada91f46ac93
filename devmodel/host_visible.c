/* SPDX-License-Identifier: MIT */
/*
 * The host-visible region and the blobs placed in it (host_visible.h).
 * Placing a blob replaces the pages of the renderer's buffer with the
 * region's pages at the blob's offset (MAP_FIXED over the same addresses,
 * after copying what they held), so that the renderer and the guest work
 * on one memory.  Taking it back does the reverse with fresh private pages
 * swapped in atomically (mremap), so the renderer's buffer stays valid for
 * it to free.  Only whole pages can be shared: the renderer's mapping must
 * start on a page and span whole pages (llvmpipe page-aligns persistent
 * buffers; the guest makes their size a page multiple).
 */
#include "host_visible.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_gpu.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static uint64_t page_size(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

static bool page_aligned(uint64_t v)
{
	return (v & (page_size() - 1)) == 0;
}

int host_visible_init(struct host_visible *hv, uint64_t size, uint64_t gpa_base)
{
	memset(hv, 0, sizeof(*hv));
	hv->fd = -1;
	hv->gpa_base = gpa_base;
	if (size == 0)
		return 0;
	if (!page_aligned(size))
		return -EINVAL;
	hv->fd = memfd_create("vgpu-devmodel-host-visible", MFD_CLOEXEC);
	if (hv->fd < 0)
		return -errno;
	/* Sparse: pages exist only where blobs are placed. */
	if (ftruncate(hv->fd, (off_t)size) != 0) {
		int err = -errno;

		close(hv->fd);
		hv->fd = -1;
		return err;
	}
	hv->size = size;
	return 0;
}

void host_visible_fini(struct host_visible *hv)
{
	if (hv->fd >= 0)
		close(hv->fd);
	hv->fd = -1;
}

static struct hv_mapping *find(const struct host_visible *hv, uint32_t res_id)
{
	for (struct hv_mapping *m = hv->maps; m; m = m->next)
		if (m->res_id == res_id)
			return m;
	return NULL;
}

bool host_visible_is_mapped(const struct host_visible *hv, uint32_t res_id)
{
	return find(hv, res_id) != NULL;
}

static bool overlaps(const struct host_visible *hv, uint64_t offset, uint64_t size)
{
	for (const struct hv_mapping *m = hv->maps; m; m = m->next)
		if (offset < m->offset + m->size && m->offset < offset + size)
			return true;
	return false;
}

bool host_visible_find_space(const struct host_visible *hv, uint64_t size, uint64_t *offset)
{
	uint64_t candidate = 0;
	bool moved = true;

	if (hv->fd < 0 || size == 0 || size > hv->size)
		return false;
	/* Bump past every mapping in the way until the candidate fits. */
	while (moved) {
		moved = false;
		for (const struct hv_mapping *m = hv->maps; m; m = m->next) {
			if (candidate < m->offset + m->size && m->offset < candidate + size) {
				candidate = m->offset + m->size;
				moved = true;
			}
		}
		if (candidate > hv->size - size)
			return false;
	}
	*offset = candidate;
	return true;
}

static bool placement_ok(const struct host_visible *hv, uint64_t offset, void *ptr, uint64_t size)
{
	return hv->fd >= 0 && size && page_aligned(offset) && page_aligned(size) &&
	       page_aligned((uint64_t)(uintptr_t)ptr) && size <= hv->size &&
	       offset <= hv->size - size && !overlaps(hv, offset, size);
}

uint32_t host_visible_map(struct host_visible *hv, uint32_t res_id, uint64_t offset, void *ptr,
			  uint64_t size)
{
	struct hv_mapping *m;
	void *shared;

	if (!placement_ok(hv, offset, ptr, size) || find(hv, res_id))
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	m = calloc(1, sizeof(*m));
	if (!m)
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	if (pwrite(hv->fd, ptr, size, (off_t)offset) != (ssize_t)size) {
		free(m);
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	}
	shared = mmap(ptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, hv->fd,
		      (off_t)offset);
	if (shared != ptr) {
		/* MAP_FIXED failing leaves the old pages in place. */
		free(m);
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	}
	*m = (struct hv_mapping){ .res_id = res_id,
				  .offset = offset,
				  .size = size,
				  .renderer_ptr = ptr,
				  .next = hv->maps };
	hv->maps = m;
	return VIRTIO_GPU_RESP_OK_NODATA;
}

/* Private pages with the region's current bytes, swapped in at the renderer's address. */
static bool restore_private(struct hv_mapping *m)
{
	void *fresh =
		mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (fresh == MAP_FAILED)
		return false;
	memcpy(fresh, m->renderer_ptr, m->size);
	if (mremap(fresh, m->size, m->size, MREMAP_MAYMOVE | MREMAP_FIXED, m->renderer_ptr) !=
	    m->renderer_ptr) {
		munmap(fresh, m->size);
		return false;
	}
	return true;
}

uint32_t host_visible_unmap(struct host_visible *hv, uint32_t res_id)
{
	struct hv_mapping **pp = &hv->maps;
	struct hv_mapping *m;

	while (*pp && (*pp)->res_id != res_id)
		pp = &(*pp)->next;
	m = *pp;
	if (!m)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (!restore_private(m))
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	/* The range is free again, and a later blob must not see these bytes. */
	fallocate(hv->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)m->offset,
		  (off_t)m->size);
	*pp = m->next;
	free(m);
	return VIRTIO_GPU_RESP_OK_NODATA;
}
