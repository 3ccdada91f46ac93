/* SPDX-License-Identifier: MIT */
/*
 * Fences: a reference-counted point on the device handle's timeline (the
 * submits create them, vgpu_cmdbuf.c); waiting is libvgpu's WAIT.
 */
#include "vgpu_winsys.h"

#include <stdlib.h>

#include "util/u_inlines.h"

struct pipe_fence_handle *virgl_vgpu_fence_at(uint64_t value)
{
	struct pipe_fence_handle *fence = calloc(1, sizeof(*fence));

	if (!fence)
		return NULL;
	pipe_reference_init(&fence->reference, 1);
	fence->value = value;
	return fence;
}

/* Fences from sync-file fds are not offered (supports_fences = 0): the best is "all so far". */
static struct pipe_fence_handle *virgl_vgpu_cs_create_fence(struct virgl_winsys *vws, int fd)
{
	return virgl_vgpu_fence_at(virgl_vgpu_ws_last_fence(virgl_vgpu_winsys(vws)));
}

/* The one context runs its streams in order: waiting on our own fence is implied. */
static void virgl_vgpu_fence_server_sync(struct virgl_winsys *vws, struct virgl_cmd_buf *cbuf,
					 struct pipe_fence_handle *fence)
{
}

static bool virgl_vgpu_fence_wait(struct virgl_winsys *vws, struct pipe_fence_handle *fence,
				  uint64_t timeout)
{
	struct virgl_vgpu_winsys *ws = virgl_vgpu_winsys(vws);
	uint64_t start = virgl_vgpu_stats_start(ws);
	bool done;

	if (!fence)
		return true;
	/*
	 * A fence also covers the presents read back before it (see
	 * vgpu_presenter.c): glFinish leaves the window up to date.  Showing
	 * takes a copy and a blit, so only a query (timeout 0) does not wait.
	 */
	done = virgl_vgpu_ws_wait_fence(ws, fence->value, timeout) &&
	       virgl_vgpu_presenter_shown(ws, fence->value, timeout != 0);
	virgl_vgpu_stats_end(ws, VIRGL_VGPU_DRIVER_WAIT, start, 0);
	return done;
}

static void virgl_vgpu_fence_reference(struct virgl_winsys *vws, struct pipe_fence_handle **dst,
				       struct pipe_fence_handle *src)
{
	struct pipe_fence_handle *old = *dst;

	if (pipe_reference(old ? &old->reference : NULL, src ? &src->reference : NULL))
		free(old);
	*dst = src;
}

/* No sync-file fds here (supports_fences = 0). */
static int virgl_vgpu_fence_get_fd(struct virgl_winsys *vws, struct pipe_fence_handle *fence)
{
	return -1;
}

void virgl_vgpu_ws_init_fences(struct virgl_vgpu_winsys *ws)
{
	ws->base.fence_wait = virgl_vgpu_fence_wait;
	ws->base.fence_reference = virgl_vgpu_fence_reference;
	ws->base.fence_get_fd = virgl_vgpu_fence_get_fd;
	ws->base.cs_create_fence = virgl_vgpu_cs_create_fence;
	ws->base.fence_server_sync = virgl_vgpu_fence_server_sync;
}
