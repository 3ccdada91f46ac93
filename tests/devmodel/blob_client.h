/* SPDX-License-Identifier: MIT */
/*
 * Making a HOST3D blob as a client of the device model's personality must:
 * standard devices need the virgl object first (PIPE_RESOURCE_CREATE with
 * the blob id, submitted on the client's context); Mvisor's
 * (VGPU_FEATURE_BLOB_DESC) create it themselves from the call's description.
 */
#ifndef VGPU_TESTS_DEVMODEL_BLOB_CLIENT_H
#define VGPU_TESTS_DEVMODEL_BLOB_CLIENT_H

#include <stdint.h>

#include "libvgpu.h"

/*
 * A vertex buffer blob of `bytes` (a multiple of 4 KiB) with `blob_flags`,
 * on `dev` (which has a context); *b gets the request and its handle/res_id.
 */
int blob_client_create(struct vgpu_dev *dev, uint32_t blob_id, uint32_t blob_flags, uint32_t bytes,
		       struct vgpu_resource_create_blob *b);

#endif /* VGPU_TESTS_DEVMODEL_BLOB_CLIENT_H */
