/* SPDX-License-Identifier: MIT */
/*
 * The virtio-gpu 3D command set on virglrenderer, shared by both
 * personalities (each lists the ones it handles in its table), and the
 * blob helpers the Mvisor encodings reuse.
 */
#ifndef VGPU_DEVMODEL_GPU_COMMANDS_H
#define VGPU_DEVMODEL_GPU_COMMANDS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "gpu_device.h"

uint32_t gpu_cmd_ctx_create(struct gpu_device *dev, struct gpu_call *call);
uint32_t gpu_cmd_ctx_destroy(struct gpu_device *dev, struct gpu_call *call);
uint32_t gpu_cmd_ctx_attach_resource(struct gpu_device *dev, struct gpu_call *call);
uint32_t gpu_cmd_ctx_detach_resource(struct gpu_device *dev, struct gpu_call *call);
uint32_t gpu_cmd_resource_create_2d(struct gpu_device *dev, struct gpu_call *call);
uint32_t gpu_cmd_resource_create_3d(struct gpu_device *dev, struct gpu_call *call);
uint32_t gpu_cmd_resource_unref(struct gpu_device *dev, struct gpu_call *call);
uint32_t gpu_cmd_detach_backing(struct gpu_device *dev, struct gpu_call *call);
uint32_t gpu_cmd_transfer_to_host_2d(struct gpu_device *dev, struct gpu_call *call);
uint32_t gpu_cmd_transfer_to_host_3d(struct gpu_device *dev, struct gpu_call *call);
uint32_t gpu_cmd_transfer_from_host_3d(struct gpu_device *dev, struct gpu_call *call);
uint32_t gpu_cmd_submit_3d(struct gpu_device *dev, struct gpu_call *call);
uint32_t gpu_cmd_get_capset_info(struct gpu_device *dev, struct gpu_call *call);
uint32_t gpu_cmd_get_capset(struct gpu_device *dev, struct gpu_call *call);
uint32_t gpu_cmd_unmap_blob(struct gpu_device *dev, struct gpu_call *call);

/* Run `ndw` dwords of virgl command stream in context `ctx_id`. */
uint32_t gpu_submit_stream(uint32_t ctx_id, uint32_t *stream, uint32_t ndw);

/* How many capsets the device offers (VIRGL and VIRGL2). */
uint32_t gpu_num_capsets(void);

/*
 * Give resource `res_id` the guest memory ranges as its backing, or build
 * the iovec array for them (*iov, caller frees; NULL for n == 0).  Returns
 * a VIRTIO_GPU_RESP_* type.
 */
uint32_t gpu_backing_iov(struct gpu_device *dev, const uint64_t *addrs, const uint32_t *lens,
			 uint32_t n, struct iovec **iov);
uint32_t gpu_attach_iov(uint32_t res_id, struct iovec *iov, uint32_t n);

struct gpu_blob_args {
	uint32_t ctx_id;
	uint32_t res_id;
	uint32_t blob_mem;
	uint32_t blob_flags;
	uint64_t blob_id;
	uint64_t size;
	struct iovec *iov; /* owned by the resource once created */
	uint32_t niov;
};

uint32_t gpu_blob_create(struct gpu_device *dev, struct gpu_blob_args *args);

/*
 * Map blob `res_id` into the host-visible region at *offset, or where the
 * device finds room when `device_places` (Mvisor), storing that in *offset.
 * *map_info: the cache type; *size: the mapping's bytes.
 */
uint32_t gpu_blob_map(struct gpu_device *dev, uint32_t res_id, bool device_places, uint64_t *offset,
		      uint32_t *map_info, uint64_t *size);

#endif /* VGPU_DEVMODEL_GPU_COMMANDS_H */
