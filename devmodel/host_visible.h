/* SPDX-License-Identifier: MIT */
/*
 * Host-visible memory of the TEST device model (see the README, "Blob and
 * host-visible memory").  A VMM maps a blob's host memory into the guest's
 * physical address space; here the "guest" is the front-end and its
 * clients, other processes, so the region is a shared file (memfd) handed
 * to the front-end, and each mapped blob's pages in the renderer (the
 * buffer llvmpipe allocated) are replaced by the region's pages at the
 * blob's offset: renderer and guest then share the very same memory, with
 * nothing copied later, which is what GL's coherent mappings need.
 */
#ifndef VGPU_DEVMODEL_HOST_VISIBLE_H
#define VGPU_DEVMODEL_HOST_VISIBLE_H

#include <stdbool.h>
#include <stdint.h>

struct hv_mapping {
	struct hv_mapping *next;
	uint32_t res_id;
	uint64_t offset;
	uint64_t size;
	void *renderer_ptr; /* the renderer's mapping, now backed by the region */
};

struct host_visible {
	int fd; /* -1: no region */
	uint64_t size;
	uint64_t gpa_base; /* guest address of offset 0 where the device chooses (Mvisor) */
	struct hv_mapping *maps;
};

/* A region of `size` bytes (page multiple; 0: none).  0 or -errno. */
int host_visible_init(struct host_visible *hv, uint64_t size, uint64_t gpa_base);
/* The renderer's mappings must have been given back first (host_visible_unmap). */
void host_visible_fini(struct host_visible *hv);

/*
 * Share the renderer's mapping [ptr, ptr + size) of resource `res_id` with
 * the region at `offset`.  Returns a VIRTIO_GPU_RESP_* type: OK_NODATA, or
 * ERR_INVALID_PARAMETER (no region, misaligned, outside, overlapping, not
 * whole pages) or ERR_UNSPEC (the system refused).
 */
uint32_t host_visible_map(struct host_visible *hv, uint32_t res_id, uint64_t offset, void *ptr,
			  uint64_t size);

/* A free, page-aligned offset for `size` bytes (first fit); false if none. */
bool host_visible_find_space(const struct host_visible *hv, uint64_t size, uint64_t *offset);

/*
 * Give the renderer private memory again (with the current contents) and
 * free the region's range.  Returns OK_NODATA, ERR_INVALID_RESOURCE_ID
 * (not mapped) or ERR_UNSPEC.
 */
uint32_t host_visible_unmap(struct host_visible *hv, uint32_t res_id);

bool host_visible_is_mapped(const struct host_visible *hv, uint32_t res_id);

#endif /* VGPU_DEVMODEL_HOST_VISIBLE_H */
