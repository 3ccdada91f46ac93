/* SPDX-License-Identifier: MIT */
#include "blob_client.h"

#include <string.h>

#include "virgl_stream.h"

/* virgl protocol facts (virgl_protocol.h, virgl_hw.h). */
#define CCMD_PIPE_RESOURCE_CREATE 48u
#define PIPE_RESOURCE_CREATE_DWORDS 11u
#define RESOURCE_FLAG_MAP_PERSISTENT (1u << 1)
#define RESOURCE_FLAG_MAP_COHERENT (1u << 2)

/* The host maps only objects made persistent and coherent. */
static int submit_pipe_resource(struct vgpu_dev *dev, uint32_t blob_id, uint32_t bytes)
{
	const uint32_t cmd[1 + PIPE_RESOURCE_CREATE_DWORDS] = {
		CCMD_PIPE_RESOURCE_CREATE | PIPE_RESOURCE_CREATE_DWORDS << 16,
		VSTREAM_TARGET_BUFFER,
		VSTREAM_FORMAT_R8_UNORM,
		VSTREAM_BIND_VERTEX_BUFFER,
		bytes,
		1,
		1,
		1,
		0,
		0,
		RESOURCE_FLAG_MAP_PERSISTENT | RESOURCE_FLAG_MAP_COHERENT,
		blob_id,
	};

	return vgpu_submit(dev, cmd, sizeof(cmd), NULL, 0, NULL);
}

void blob_client_request(uint32_t blob_id, uint32_t blob_flags, uint32_t bytes,
			 struct vgpu_resource_create_blob *b)
{
	memset(b, 0, sizeof(*b));
	b->blob_mem = VGPU_BLOB_MEM_HOST3D;
	b->blob_flags = blob_flags;
	b->blob_id = blob_id;
	b->size = bytes;
	b->desc = (struct vgpu_resource_create){
		.target = VSTREAM_TARGET_BUFFER,
		.format = VSTREAM_FORMAT_R8_UNORM,
		.bind = VSTREAM_BIND_VERTEX_BUFFER,
		.width = bytes,
		.height = 1,
		.depth = 1,
		.array_size = 1,
	};
}

int blob_client_create(struct vgpu_dev *dev, uint32_t blob_id, uint32_t blob_flags, uint32_t bytes,
		       struct vgpu_resource_create_blob *b)
{
	int status;

	blob_client_request(blob_id, blob_flags, bytes, b);
	if (!(vgpu_info(dev)->features & VGPU_FEATURE_BLOB_DESC)) {
		status = submit_pipe_resource(dev, blob_id, bytes);
		if (status != VGPU_OK)
			return status;
	}
	return vgpu_resource_create_blob(dev, b);
}
