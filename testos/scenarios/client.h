/* SPDX-License-Identifier: MIT */
/*
 * One opened device handle as a test program sees it: every call goes
 * through vgpu_file_ioctl with the buffers the Windows shell would pass
 * (buffered calls: one struct in and out; direct calls: a payload).
 */
#ifndef TESTOS_SCENARIOS_CLIENT_H
#define TESTOS_SCENARIOS_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "vgpu/vgpu_abi.h"

struct testos_gpu;
struct vgpu_file;

/* A WAIT long enough for anything the device does here, short enough to end a hung run. */
#define CLIENT_WAIT_NS (10ull * 1000000000ull)

struct client {
	struct testos_gpu *gpu;
	struct vgpu_file *file;
	uint32_t ctx_id;      /* the device's context id, once CONTEXT_CREATE succeeded */
	uint64_t last_signal; /* the timeline value of this handle's latest submit/transfer */
};

int client_open(struct client *c, struct testos_gpu *gpu);
void client_close(struct client *c);

/* A buffered call: `args` is both the input and the output struct. */
int client_call(struct client *c, uint32_t code, void *args, uint32_t size);
/* A direct call: `args` in, `payload` read (IN_DIRECT) or written (OUT_DIRECT). */
int client_call_direct(struct client *c, uint32_t code, const void *args, uint32_t size,
		       void *payload, uint32_t payload_size, uint32_t *payload_written);

int client_context(struct client *c, uint32_t capset_id, const char *name);
/* Fills desc->handle and desc->res_id. */
int client_resource(struct client *c, struct vgpu_resource_create *desc);
int client_map(struct client *c, uint32_t handle, void **ptr, uint64_t *size);
int client_destroy(struct client *c, uint32_t handle);
/* Sends with signal = last_signal + 1 (the caller's t->signal is ignored). */
int client_transfer(struct client *c, bool to_host, const struct vgpu_transfer *t);
int client_submit(struct client *c, const void *cmds, uint32_t bytes, const uint32_t *handles,
		  uint32_t num_handles);
int client_wait(struct client *c, uint64_t value, uint64_t timeout_ns, uint64_t *completed);
/* Wait (CLIENT_WAIT_NS) for everything this handle sent. */
int client_finish(struct client *c);
int client_stats(struct client *c, struct vgpu_get_stats *st);

#endif /* TESTOS_SCENARIOS_CLIENT_H */
