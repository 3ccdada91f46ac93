/* SPDX-License-Identifier: MIT */
/*
 * What the blob cases share: a device with host-visible memory in either
 * personality, one open file F with a context, and where a mapping lies in
 * that memory.  Include after session.h.
 */
#ifndef VGPU_TESTS_CORE_BLOB_SESSION_H
#define VGPU_TESTS_CORE_BLOB_SESSION_H

#include "session.h"

#define PAGE 4096u
#define SECOND 1000000000ull

/* A device offering blobs with `region` bytes of host-visible memory. */
static inline struct fake_gpu_config blob_config(bool mvisor, uint64_t region)
{
	struct fake_gpu_config cfg = fake_gpu_default_config();

	cfg.mvisor = mvisor;
	cfg.host_visible_size = region;
	if (mvisor)
		cfg.features &= ~(1ull << VIRTIO_GPU_FEAT_VIRGL);
	else
		cfg.features |= (1ull << VIRTIO_GPU_FEAT_RESOURCE_BLOB) |
				(1ull << VIRTIO_GPU_FEAT_CONTEXT_INIT);
	return cfg;
}

/* H on `cfg`, and F with a context (or without, if asked); false, all torn down, if not. */
static inline bool blob_up_with(const struct fake_gpu_config *cfg, bool with_context)
{
	int ret;

	CHECK_EQ(harness_up(&H, cfg), VGPU_OK);
	F = H.dev ? harness_open(&H, &H) : NULL;
	ret = !F ? VGPU_E_NO_MEMORY : with_context ? make_context(F) : VGPU_OK;
	CHECK_EQ(ret, VGPU_OK);
	if (ret == VGPU_OK)
		return true;
	down();
	return false;
}

static inline bool blob_up(bool mvisor, uint64_t region)
{
	struct fake_gpu_config cfg = blob_config(mvisor, region);

	return blob_up_with(&cfg, true);
}

/* Where a user mapping lies in the device's host-visible memory. */
static inline uint64_t region_offset(const struct vgpu_resource_map *m)
{
	return m->address - H.gpu.hv_pa;
}

/* Map a blob and return its offset in host-visible memory (UINT64_MAX if the map failed). */
static inline uint64_t map_offset(struct vgpu_file *f, uint32_t handle)
{
	struct vgpu_resource_map m;

	if (map_handle(f, handle, &m) != VGPU_OK)
		return UINT64_MAX;
	return region_offset(&m);
}

static inline struct vgpu_get_info get_info(struct vgpu_file *f)
{
	struct vgpu_get_info info = { .abi_major = VGPU_ABI_VERSION_MAJOR };

	CHECK_EQ(call(f, VGPU_IOCTL_GET_INFO, &info, sizeof(info)), VGPU_OK);
	return info;
}

#endif /* VGPU_TESTS_CORE_BLOB_SESSION_H */
