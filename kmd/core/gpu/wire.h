/* SPDX-License-Identifier: MIT */
/*
 * The virtio-gpu wire format (virtio spec, "GPU Device"), as far as vgpu
 * uses it.  All fields are little-endian; the core only runs on
 * little-endian machines (checked below), so they are plain integers.
 */
#ifndef VGPU_KMD_GPU_WIRE_H
#define VGPU_KMD_GPU_WIRE_H

#include <stdint.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "vgpu's kmd core assumes a little-endian CPU"
#endif

#define VGPU_WIRE_ASSERT_SIZE(type, size) _Static_assert(sizeof(type) == (size), #type)

/* Device feature bits. */
#define VIRTIO_GPU_FEAT_VIRGL 0
#define VIRTIO_GPU_FEAT_EDID 1
#define VIRTIO_GPU_FEAT_RESOURCE_UUID 2
#define VIRTIO_GPU_FEAT_RESOURCE_BLOB 3
#define VIRTIO_GPU_FEAT_CONTEXT_INIT 4

/* Queues. */
#define VIRTIO_GPU_QUEUE_CONTROL 0
#define VIRTIO_GPU_QUEUE_CURSOR 1

enum vgpu_wire_cmd {
	/* 2D */
	WIRE_CMD_GET_DISPLAY_INFO = 0x0100,
	WIRE_CMD_RESOURCE_CREATE_2D,
	WIRE_CMD_RESOURCE_UNREF,
	WIRE_CMD_SET_SCANOUT,
	WIRE_CMD_RESOURCE_FLUSH,
	WIRE_CMD_TRANSFER_TO_HOST_2D,
	WIRE_CMD_RESOURCE_ATTACH_BACKING,
	WIRE_CMD_RESOURCE_DETACH_BACKING,
	WIRE_CMD_GET_CAPSET_INFO,
	WIRE_CMD_GET_CAPSET,
	WIRE_CMD_GET_EDID,
	WIRE_CMD_RESOURCE_ASSIGN_UUID,
	WIRE_CMD_RESOURCE_CREATE_BLOB,
	WIRE_CMD_SET_SCANOUT_BLOB,
	/* 3D */
	WIRE_CMD_CTX_CREATE = 0x0200,
	WIRE_CMD_CTX_DESTROY,
	WIRE_CMD_CTX_ATTACH_RESOURCE,
	WIRE_CMD_CTX_DETACH_RESOURCE,
	WIRE_CMD_RESOURCE_CREATE_3D,
	WIRE_CMD_TRANSFER_TO_HOST_3D,
	WIRE_CMD_TRANSFER_FROM_HOST_3D,
	WIRE_CMD_SUBMIT_3D,
	WIRE_CMD_RESOURCE_MAP_BLOB,
	WIRE_CMD_RESOURCE_UNMAP_BLOB,
	/* responses */
	WIRE_RESP_OK_NODATA = 0x1100,
	WIRE_RESP_OK_DISPLAY_INFO,
	WIRE_RESP_OK_CAPSET_INFO,
	WIRE_RESP_OK_CAPSET,
	WIRE_RESP_OK_EDID,
	WIRE_RESP_OK_RESOURCE_UUID,
	WIRE_RESP_OK_MAP_INFO,
	WIRE_RESP_ERR_UNSPEC = 0x1200,
	WIRE_RESP_ERR_OUT_OF_MEMORY,
	WIRE_RESP_ERR_INVALID_SCANOUT_ID,
	WIRE_RESP_ERR_INVALID_RESOURCE_ID,
	WIRE_RESP_ERR_INVALID_CONTEXT_ID,
	WIRE_RESP_ERR_INVALID_PARAMETER,
};

#define WIRE_FLAG_FENCE (1u << 0)
#define WIRE_FLAG_INFO_RING_IDX (1u << 1)

struct wire_hdr {
	uint32_t type;
	uint32_t flags;
	uint64_t fence_id;
	uint32_t ctx_id;
	uint8_t ring_idx;
	uint8_t pad[3];
};
VGPU_WIRE_ASSERT_SIZE(struct wire_hdr, 24);

struct wire_config {
	uint32_t events_read;
	uint32_t events_clear;
	uint32_t num_scanouts;
	uint32_t num_capsets;
};
VGPU_WIRE_ASSERT_SIZE(struct wire_config, 16);

struct wire_mem_entry {
	uint64_t addr;
	uint32_t length;
	uint32_t pad;
};
VGPU_WIRE_ASSERT_SIZE(struct wire_mem_entry, 16);

struct wire_resource_unref {
	struct wire_hdr hdr;
	uint32_t resource_id;
	uint32_t pad;
};
VGPU_WIRE_ASSERT_SIZE(struct wire_resource_unref, 32);

/* Followed by nr_entries struct wire_mem_entry. */
struct wire_attach_backing {
	struct wire_hdr hdr;
	uint32_t resource_id;
	uint32_t nr_entries;
};
VGPU_WIRE_ASSERT_SIZE(struct wire_attach_backing, 32);

struct wire_detach_backing {
	struct wire_hdr hdr;
	uint32_t resource_id;
	uint32_t pad;
};
VGPU_WIRE_ASSERT_SIZE(struct wire_detach_backing, 32);

struct wire_get_capset_info {
	struct wire_hdr hdr;
	uint32_t capset_index;
	uint32_t pad;
};
VGPU_WIRE_ASSERT_SIZE(struct wire_get_capset_info, 32);

struct wire_resp_capset_info {
	struct wire_hdr hdr;
	uint32_t capset_id;
	uint32_t capset_max_version;
	uint32_t capset_max_size;
	uint32_t pad;
};
VGPU_WIRE_ASSERT_SIZE(struct wire_resp_capset_info, 40);

/* The response is a wire_hdr followed by the capset bytes. */
struct wire_get_capset {
	struct wire_hdr hdr;
	uint32_t capset_id;
	uint32_t capset_version;
};
VGPU_WIRE_ASSERT_SIZE(struct wire_get_capset, 32);

struct wire_box {
	uint32_t x, y, z;
	uint32_t w, h, d;
};
VGPU_WIRE_ASSERT_SIZE(struct wire_box, 24);

struct wire_transfer_3d {
	struct wire_hdr hdr;
	struct wire_box box;
	uint64_t offset;
	uint32_t resource_id;
	uint32_t level;
	uint32_t stride;
	uint32_t layer_stride;
};
VGPU_WIRE_ASSERT_SIZE(struct wire_transfer_3d, 72);

struct wire_resource_create_3d {
	struct wire_hdr hdr;
	uint32_t resource_id;
	uint32_t target;
	uint32_t format;
	uint32_t bind;
	uint32_t width;
	uint32_t height;
	uint32_t depth;
	uint32_t array_size;
	uint32_t last_level;
	uint32_t nr_samples;
	uint32_t flags;
	uint32_t pad;
};
VGPU_WIRE_ASSERT_SIZE(struct wire_resource_create_3d, 72);

#define WIRE_CONTEXT_INIT_CAPSET_ID_MASK 0xffu
struct wire_ctx_create {
	struct wire_hdr hdr;
	uint32_t nlen;
	uint32_t context_init;
	char debug_name[64];
};
VGPU_WIRE_ASSERT_SIZE(struct wire_ctx_create, 96);

struct wire_ctx_resource {
	struct wire_hdr hdr;
	uint32_t resource_id;
	uint32_t pad;
};
VGPU_WIRE_ASSERT_SIZE(struct wire_ctx_resource, 32);

/* Followed by `size` bytes of command stream. */
struct wire_submit_3d {
	struct wire_hdr hdr;
	uint32_t size;
	uint32_t pad;
};
VGPU_WIRE_ASSERT_SIZE(struct wire_submit_3d, 32);

/* RESOURCE_CREATE_BLOB: where the blob's memory lives, and what it may be used for. */
#define WIRE_BLOB_MEM_GUEST 1u
#define WIRE_BLOB_MEM_HOST3D 2u
#define WIRE_BLOB_MEM_HOST3D_GUEST 3u
#define WIRE_BLOB_FLAG_USE_MAPPABLE (1u << 0)
#define WIRE_BLOB_FLAG_USE_SHAREABLE (1u << 1)
#define WIRE_BLOB_FLAG_USE_CROSS_DEVICE (1u << 2)

/* Followed by nr_entries struct wire_mem_entry (none for HOST3D). */
struct wire_resource_create_blob {
	struct wire_hdr hdr;
	uint32_t resource_id;
	uint32_t blob_mem;
	uint32_t blob_flags;
	uint32_t nr_entries;
	uint64_t blob_id;
	uint64_t size;
};
VGPU_WIRE_ASSERT_SIZE(struct wire_resource_create_blob, 56);

/* Map a blob at `offset` of the host-visible memory region (shared memory id 1). */
struct wire_resource_map_blob {
	struct wire_hdr hdr;
	uint32_t resource_id;
	uint32_t pad;
	uint64_t offset;
};
VGPU_WIRE_ASSERT_SIZE(struct wire_resource_map_blob, 40);

/* OK_MAP_INFO: how the guest may cache the mapping (map_info & WIRE_MAP_CACHE_MASK). */
#define WIRE_MAP_CACHE_MASK 0x0fu
#define WIRE_MAP_CACHE_NONE 0u
#define WIRE_MAP_CACHE_CACHED 1u
#define WIRE_MAP_CACHE_UNCACHED 2u
#define WIRE_MAP_CACHE_WC 3u
struct wire_resp_map_info {
	struct wire_hdr hdr;
	uint32_t map_info;
	uint32_t pad;
};
VGPU_WIRE_ASSERT_SIZE(struct wire_resp_map_info, 32);

struct wire_resource_unmap_blob {
	struct wire_hdr hdr;
	uint32_t resource_id;
	uint32_t pad;
};
VGPU_WIRE_ASSERT_SIZE(struct wire_resource_unmap_blob, 32);

#endif /* VGPU_KMD_GPU_WIRE_H */
