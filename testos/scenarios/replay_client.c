/* SPDX-License-Identifier: MIT */
/*
 * The engine's calls (lib/replay) over one struct client: each the very
 * vgpu_file_ioctl call the Windows shell would make, with the capture's
 * timeline values sent as recorded (a fresh file's timeline starts where
 * the recorded connection's did).
 */
#include "replay_client.h"

#include "check.h"
#include "client.h"
#include "replay.h"
#include "heap.h"
#include "../kernel/kprint.h"

/* The engine's `client` is a struct client whose gpu is set. */
static int open_client(void *client)
{
	struct client *c = client;

	return client_open(c, c->gpu);
}

static void close_client(void *client)
{
	client_close(client);
}

static int context_create(void *client, struct vgpu_context_create *cc)
{
	return client_call(client, VGPU_IOCTL_CONTEXT_CREATE, cc, sizeof(*cc));
}

static int resource_create(void *client, struct vgpu_resource_create *desc)
{
	return client_resource(client, desc);
}

static int resource_destroy(void *client, uint32_t handle)
{
	return client_destroy(client, handle);
}

static int transfer(void *client, bool to_host, const struct vgpu_transfer *t, uint64_t *fence)
{
	struct vgpu_transfer xfer = *t;

	*fence = t->signal;
	return client_call(client,
			   to_host ? VGPU_IOCTL_TRANSFER_TO_HOST : VGPU_IOCTL_TRANSFER_FROM_HOST,
			   &xfer, sizeof(xfer));
}

static int submit(void *client, const struct vgpu_submit *s, const uint8_t *payload,
		  uint64_t *fence)
{
	*fence = s->signal;
	/* IN_DIRECT: the core only reads the payload. */
	return client_call_direct(client, VGPU_IOCTL_SUBMIT, s, sizeof(*s), (void *)payload,
				  s->num_handles * 4u + s->size, NULL);
}

static int wait(void *client, const struct vgpu_wait *w)
{
	struct vgpu_wait call = *w;

	return client_call(client, VGPU_IOCTL_WAIT, &call, sizeof(call));
}

static int map(void *client, uint32_t handle, uint8_t **bytes, uint64_t *size)
{
	void *ptr;
	int ret = client_map(client, handle, &ptr, size);

	*bytes = ptr;
	return ret;
}

static int unmap(void *client, uint32_t handle)
{
	struct vgpu_resource_map m = { .handle = handle };

	return client_call(client, VGPU_IOCTL_RESOURCE_UNMAP, &m, sizeof(m));
}

static const struct replay_ops client_ops = {
	.open = open_client,
	.close = close_client,
	.context_create = context_create,
	.resource_create = resource_create,
	.resource_destroy = resource_destroy,
	.transfer = transfer,
	.submit = submit,
	.wait = wait,
	.map = map,
	.unmap = unmap,
	.alloc = heap_alloc,
	.free = heap_free,
	.print = kprintf,
	.report = report_casef,
};

void replay_client_capture(struct testos_gpu *gpu, const char *label, const void *bytes,
			   uint32_t len)
{
	struct client c = { .gpu = gpu };

	replay_capture(&client_ops, &c, label, bytes, len);
}
