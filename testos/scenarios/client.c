/* SPDX-License-Identifier: MIT */
#include "client.h"

#include <string.h>

#include "vgpu_core.h"
#include "heap.h"
#include "../shell/gpu.h"

int client_open(struct client *c, struct testos_gpu *gpu)
{
	*c = (struct client){ .gpu = gpu };
	/* The client itself is the per-open cookie the OS's map_user receives. */
	return vgpu_file_open(gpu->dev, c, &c->file);
}

void client_close(struct client *c)
{
	if (c->file)
		vgpu_file_close(c->file);
	c->file = NULL;
}

int client_call(struct client *c, uint32_t code, void *args, uint32_t size)
{
	struct vgpu_ioctl_bufs b = { .in = args, .in_size = size, .out = args, .out_size = size };

	return vgpu_file_ioctl(c->file, code, &b);
}

int client_call_direct(struct client *c, uint32_t code, const void *args, uint32_t size,
		       void *payload, uint32_t payload_size, uint32_t *payload_written)
{
	struct vgpu_ioctl_bufs b = {
		.in = args, .in_size = size, .payload = payload, .payload_size = payload_size
	};
	int ret = vgpu_file_ioctl(c->file, code, &b);

	if (payload_written)
		*payload_written = b.payload_written;
	return ret;
}

int client_context(struct client *c, uint32_t capset_id, const char *name)
{
	struct vgpu_context_create cc = { .capset_id = capset_id };
	size_t len = strlen(name);

	int ret;

	memcpy(cc.debug_name, name, len < sizeof(cc.debug_name) ? len : sizeof(cc.debug_name) - 1);
	ret = client_call(c, VGPU_IOCTL_CONTEXT_CREATE, &cc, sizeof(cc));
	if (ret == VGPU_OK)
		c->ctx_id = cc.ctx_id;
	return ret;
}

int client_resource(struct client *c, struct vgpu_resource_create *desc)
{
	return client_call(c, VGPU_IOCTL_RESOURCE_CREATE, desc, sizeof(*desc));
}

int client_map(struct client *c, uint32_t handle, void **ptr, uint64_t *size)
{
	struct vgpu_resource_map m = { .handle = handle };
	int ret = client_call(c, VGPU_IOCTL_RESOURCE_MAP, &m, sizeof(m));

	*ptr = ret == VGPU_OK ? (void *)(uintptr_t)m.address : NULL;
	*size = ret == VGPU_OK ? m.size : 0;
	return ret;
}

int client_destroy(struct client *c, uint32_t handle)
{
	struct vgpu_resource_destroy d = { .handle = handle };

	return client_call(c, VGPU_IOCTL_RESOURCE_DESTROY, &d, sizeof(d));
}

int client_transfer(struct client *c, bool to_host, const struct vgpu_transfer *t)
{
	struct vgpu_transfer xfer = *t;
	int ret;

	xfer.signal = c->last_signal + 1;
	ret = client_call(c, to_host ? VGPU_IOCTL_TRANSFER_TO_HOST : VGPU_IOCTL_TRANSFER_FROM_HOST,
			  &xfer, sizeof(xfer));
	if (ret == VGPU_OK)
		c->last_signal = xfer.signal;
	return ret;
}

int client_submit(struct client *c, const void *cmds, uint32_t bytes, const uint32_t *handles,
		  uint32_t num_handles)
{
	struct vgpu_submit s = { .size = bytes,
				 .num_handles = num_handles,
				 .signal = c->last_signal + 1 };
	uint32_t payload_size = num_handles * 4u + bytes;
	uint8_t *payload = heap_alloc(payload_size ? payload_size : 1);
	int ret;

	if (!payload)
		return VGPU_E_NO_MEMORY;
	memcpy(payload, handles, num_handles * 4u);
	memcpy(payload + num_handles * 4u, cmds, bytes);
	ret = client_call_direct(c, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, payload_size, NULL);
	heap_free(payload);
	if (ret == VGPU_OK)
		c->last_signal = s.signal;
	return ret;
}

int client_wait(struct client *c, uint64_t value, uint64_t timeout_ns, uint64_t *completed)
{
	struct vgpu_wait w = { .kind = VGPU_WAIT_FENCE, .value = value, .timeout_ns = timeout_ns };
	int ret = client_call(c, VGPU_IOCTL_WAIT, &w, sizeof(w));

	if (completed)
		*completed = w.completed;
	return ret;
}

int client_finish(struct client *c)
{
	return client_wait(c, c->last_signal, CLIENT_WAIT_NS, NULL);
}

int client_stats(struct client *c, struct vgpu_get_stats *st)
{
	*st = (struct vgpu_get_stats){ 0 };
	return client_call(c, VGPU_IOCTL_GET_STATS, st, sizeof(*st));
}
