/* SPDX-License-Identifier: MIT */
/*
 * Captures recorded in the sim (docs/replay.md) replayed through vgpu.sys:
 * the shared engine (lib/replay) drives a program of the guest that uses
 * libvgpu, unchanged, so every call is the DeviceIoControl the user-mode
 * driver would send, and every backing is reached through the user
 * mapping vgpu.sys makes.  Each capture gets a fresh core (the resource ids
 * the streams name start from 1 again) by a PnP stop and start, as a
 * rebalance would do it.
 */
#include <stdarg.h>

#include "libvgpu.h"
#include "replay.h"
#include "scenario.h"

/* The program's handle on the device; the engine's `client`. */
struct lib_client {
	struct vgpu_dev *dev;
};

static int open_client(void *client)
{
	struct lib_client *c = client;
	int ret = vgpu_open(&c->dev);

	if (ret != VGPU_OK) {
		con_printf("# vgpu_open: %s (%s)\n", vgpu_status_str(ret), vgpu_open_error());
		c->dev = NULL;
	}
	return ret;
}

static void close_client(void *client)
{
	struct lib_client *c = client;

	vgpu_close(c->dev);
	c->dev = NULL;
}

static struct vgpu_dev *dev_of(void *client)
{
	return ((struct lib_client *)client)->dev;
}

static int context_create(void *client, struct vgpu_context_create *cc)
{
	char name[VGPU_MAX_DEBUG_NAME];

	/* The capture's name need not end in a NUL. */
	memcpy(name, cc->debug_name, sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	return vgpu_context_create(dev_of(client), cc->capset_id, name);
}

static int resource_create(void *client, struct vgpu_resource_create *desc)
{
	return vgpu_resource_create(dev_of(client), desc);
}

static int resource_destroy(void *client, uint32_t handle)
{
	return vgpu_resource_destroy(dev_of(client), handle);
}

static int transfer(void *client, bool to_host, const struct vgpu_transfer *t, uint64_t *fence)
{
	return to_host ? vgpu_transfer_to_host(dev_of(client), t, fence)
		       : vgpu_transfer_from_host(dev_of(client), t, fence);
}

static int submit(void *client, const struct vgpu_submit *s, const uint8_t *payload,
		  uint64_t *fence)
{
	/* The engine's payload comes from malloc: the handles at its start are aligned. */
	const uint32_t *handles = (const uint32_t *)payload;

	return vgpu_submit(dev_of(client), payload + 4u * s->num_handles, s->size,
			   s->num_handles ? handles : NULL, s->num_handles, fence);
}

static int wait(void *client, const struct vgpu_wait *w)
{
	switch (w->kind) {
	case VGPU_WAIT_FENCE:
		return vgpu_wait_fence(dev_of(client), w->value, w->timeout_ns);
	case VGPU_WAIT_RESOURCE:
		return vgpu_wait_resource(dev_of(client), w->handle, w->timeout_ns);
	default:
		return VGPU_E_INVALID;
	}
}

static int map(void *client, uint32_t handle, uint8_t **bytes, uint64_t *size)
{
	void *ptr = NULL;
	int ret = vgpu_resource_map(dev_of(client), handle, &ptr, size);

	*bytes = ptr;
	return ret;
}

static int unmap(void *client, uint32_t handle)
{
	return vgpu_resource_unmap(dev_of(client), handle);
}

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	con_vprintf(fmt, ap);
	va_end(ap);
}

static void report(bool passed, const char *fmt, ...)
{
	char name[96];
	va_list ap;

	va_start(ap, fmt);
	str_vformat(name, sizeof(name), fmt, ap);
	va_end(ap);
	check_case(name, passed);
}

static const struct replay_ops libvgpu_ops = {
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
	.alloc = malloc,
	.free = free,
	.print = say,
	.report = report,
};

/* The program: its capture file read into its own memory, then replayed. */
static void replay_app(void *arg)
{
	const struct capture_module *capture = arg;
	struct lib_client client = { 0 };
	uint8_t *bytes = malloc(capture->len ? capture->len : 1);

	if (!bytes) {
		con_printf("# replay %s: no user memory for %zu bytes of capture\n", capture->label,
			   capture->len);
		report(false, "replay.%s.capture", capture->label);
		return;
	}
	memcpy(bytes, capture->bytes, capture->len);
	replay_capture(&libvgpu_ops, &client, capture->label, bytes, capture->len);
	free(bytes);
}

static bool restart_device(void)
{
	return pnp_send(world.gpu, IRP_MN_QUERY_STOP_DEVICE) == STATUS_SUCCESS &&
	       pnp_send(world.gpu, IRP_MN_STOP_DEVICE) == STATUS_SUCCESS &&
	       pnp_send(world.gpu, IRP_MN_START_DEVICE) == STATUS_SUCCESS;
}

/* The counts a replay must leave as it found them; the reader's own handle is the one open. */
static bool same_counts(const struct vgpu_get_stats *before, const struct vgpu_get_stats *after)
{
	return before->open_files == 1 && after->open_files == 1 &&
	       after->contexts == before->contexts && after->resources == before->resources &&
	       after->requests_in_flight == before->requests_in_flight &&
	       after->backing_bytes == before->backing_bytes;
}

void replay_module(const struct capture_module *capture)
{
	struct vgpu_get_stats before, after;
	bool started = world.gpu && restart_device();

	report(started, "replay.%s.device_start", capture->label);
	if (!started)
		return;
	memset(&before, 0xff, sizeof(before));
	memset(&after, 0xff, sizeof(after));
	run_app("stats", app_read_stats, &before);
	run_app("replay", replay_app, (void *)capture);
	run_app("stats", app_read_stats, &after);
	con_printf("# replay %s: after it %u files, %u contexts, %u resources, %llu backing bytes, "
		   "%llu user mappings\n",
		   capture->label, after.open_files, after.contexts, after.resources,
		   (unsigned long long)after.backing_bytes,
		   (unsigned long long)nt_mm_mapped_views());
	report(same_counts(&before, &after) && nt_mm_mapped_views() == 0,
	       "replay.%s.nothing_leaked", capture->label);
}
