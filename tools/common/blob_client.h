/* SPDX-License-Identifier: MIT */
/*
 * Making a HOST3D blob as a client of the device's personality must:
 * standard devices (QEMU's, the device model's) need the virgl object first
 * (PIPE_RESOURCE_CREATE with the blob id, submitted on the client's
 * context); Mvisor's (VGPU_FEATURE_BLOB_DESC) create it themselves from the
 * call's description.
 */
#ifndef VGPU_TOOLS_COMMON_BLOB_CLIENT_H
#define VGPU_TOOLS_COMMON_BLOB_CLIENT_H

#include <stdint.h>

#include "libvgpu.h"

/* The request for a vertex buffer blob of `bytes`, as blob_client_create makes it. */
void blob_client_request(uint32_t blob_id, uint32_t blob_flags, uint32_t bytes,
			 struct vgpu_resource_create_blob *b);

/*
 * A vertex buffer blob of `bytes` (a multiple of 4 KiB) with `blob_flags`,
 * on `dev` (which has a context); *b gets the request and its handle/res_id.
 */
int blob_client_create(struct vgpu_dev *dev, uint32_t blob_id, uint32_t blob_flags, uint32_t bytes,
		       struct vgpu_resource_create_blob *b);

#endif /* VGPU_TOOLS_COMMON_BLOB_CLIENT_H */
