/* SPDX-License-Identifier: MIT */
/*
 * One function per virtio-gpu command the core sends.  Each builds its
 * request, runs it and checks the answer's shape; callers have already
 * validated their arguments against what the device accepts.
 */
#ifndef VGPU_KMD_GPU_COMMANDS_H
#define VGPU_KMD_GPU_COMMANDS_H

#include <stdbool.h>
#include <stdint.h>

#include "../ctrlq.h"
#include "vgpu/vgpu_abi.h"

struct vgpu_device;
struct vgpu_backing;
struct wire_resource_create_blob;

struct vgpu_capset_info {
	uint32_t id;
	uint32_t max_version;
	uint32_t max_size;
};

/*
 * Copy a gallium description into a command that carries one
 * (RESOURCE_CREATE_3D, Mvisor's CREATE_BLOB).  A macro because the
 * commands share the field names but not their order.  Gallium's 1 sample
 * is the device's 0: any other count means multisampled.
 */
#define VGPU_CMD_SET_DESC(cmd, desc)                                                               \
	do {                                                                                       \
		(cmd)->target = (desc)->target;                                                    \
		(cmd)->format = (desc)->format;                                                    \
		(cmd)->bind = (desc)->bind;                                                        \
		(cmd)->width = (desc)->width;                                                      \
		(cmd)->height = (desc)->height;                                                    \
		(cmd)->depth = (desc)->depth;                                                      \
		(cmd)->array_size = (desc)->array_size;                                            \
		(cmd)->last_level = (desc)->last_level;                                            \
		(cmd)->nr_samples = (desc)->nr_samples > 1 ? (desc)->nr_samples : 0;               \
		(cmd)->flags = (desc)->flags;                                                      \
	} while (0)

/* A request for a `cmd_len`-byte command that begins with a header of this type. */
int vgpu_cmd_start(struct vgpu_device *dev, uint32_t type, uint32_t ctx_id, uint32_t cmd_len,
		   uint32_t resp_len, struct vgpu_request **out);
/* Run a request whose answer is OK_NODATA, and free it. */
int vgpu_cmd_run_nodata(struct vgpu_device *dev, struct vgpu_request *req);

/*
 * Commands whose answer is only success, sent together and waited for
 * together: one round trip for several.  A builder given a batch adds its
 * request instead of running it; a builder that fails marks the batch, and
 * then nothing of it is sent.
 */
#define VGPU_CMD_BATCH_MAX 4u
struct vgpu_cmd_batch {
	struct vgpu_request *reqs[VGPU_CMD_BATCH_MAX];
	uint32_t n;
	int error; /* the first failure while building */
};
/* Run `req` now (batch NULL), or add it to the batch. */
int vgpu_cmd_run_or_add(struct vgpu_device *dev, struct vgpu_request *req,
			struct vgpu_cmd_batch *batch);
/* A builder failed before its request existed: the batch will not be sent.  Returns ret. */
int vgpu_cmd_batch_fail(struct vgpu_cmd_batch *batch, int ret);
/*
 * Send the batch and wait for it: statuses[i] (VGPU_CMD_BATCH_MAX of them)
 * says how its i-th command ended (all of them the building failure when
 * nothing was sent); returns the first failure.
 */
int vgpu_cmd_batch_run(struct vgpu_device *dev, struct vgpu_cmd_batch *batch, int *statuses);

int vgpu_cmd_get_capset_info(struct vgpu_device *dev, uint32_t index,
			     struct vgpu_capset_info *info);
/* Reads the capset into buf (exactly `size` bytes, as GET_CAPSET_INFO announced). */
int vgpu_cmd_get_capset(struct vgpu_device *dev, uint32_t id, uint32_t version, void *buf,
			uint32_t size);

int vgpu_cmd_ctx_create(struct vgpu_device *dev, uint32_t ctx_id, uint32_t context_init,
			const char *name, uint32_t name_len);
/*
 * CTX_DESTROY, UNMAP_BLOB, and UNREF and CTX_DETACH_RESOURCE run now: these
 * make the device let go of memory, and go out even when memory runs short
 * (vgpu_req_take_kept).  In a batch, they fail with it.
 */
int vgpu_cmd_ctx_destroy(struct vgpu_device *dev, uint32_t ctx_id);

/* These take a batch to join (NULL: run now). */
int vgpu_cmd_resource_create_3d(struct vgpu_device *dev, uint32_t res_id,
				const struct vgpu_resource_create *desc,
				struct vgpu_cmd_batch *batch);
int vgpu_cmd_resource_unref(struct vgpu_device *dev, uint32_t res_id, struct vgpu_cmd_batch *batch);
int vgpu_cmd_attach_backing(struct vgpu_device *dev, uint32_t res_id,
			    const struct vgpu_backing *backing, struct vgpu_cmd_batch *batch);
int vgpu_cmd_ctx_attach_resource(struct vgpu_device *dev, uint32_t ctx_id, uint32_t res_id,
				 struct vgpu_cmd_batch *batch);
int vgpu_cmd_ctx_detach_resource(struct vgpu_device *dev, uint32_t ctx_id, uint32_t res_id,
				 struct vgpu_cmd_batch *batch);

/* The standard fields of CREATE_BLOB for a HOST3D blob without entries (header set apart). */
void vgpu_cmd_fill_create_blob(struct wire_resource_create_blob *cmd, uint32_t res_id,
			       const struct vgpu_resource_create_blob *blob);
int vgpu_cmd_resource_create_blob(struct vgpu_device *dev, uint32_t ctx_id, uint32_t res_id,
				  const struct vgpu_resource_create_blob *blob);
/*
 * MAP_BLOB at `offset`; its OK_MAP_INFO answer, `len` bytes (the personalities
 * answer differently), is copied into `answer`.  *refused says whether the
 * device answered an error (and so mapped nothing) rather than something
 * malformed: VGPU_E_NO_MEMORY if it was out of memory, else VGPU_E_DEVICE.
 */
int vgpu_cmd_map_blob(struct vgpu_device *dev, uint32_t res_id, uint64_t offset, void *answer,
		      uint32_t len, bool *refused);
int vgpu_cmd_unmap_blob(struct vgpu_device *dev, uint32_t res_id);

/* Fenced: the target hears when the device has finished (see vgpu_req_send_fenced). */
int vgpu_cmd_transfer_3d(struct vgpu_device *dev, uint32_t ctx_id, uint32_t res_id,
			 const struct vgpu_transfer *xfer, bool to_host,
			 const struct vgpu_fence_target *target);
int vgpu_cmd_submit_3d(struct vgpu_device *dev, uint32_t ctx_id, const void *cmds, uint32_t size,
		       const struct vgpu_fence_target *target);

#endif /* VGPU_KMD_GPU_COMMANDS_H */
