/* SPDX-License-Identifier: MIT */
/*
 * The winsys object: opening the device and its context, caps, the
 * renderer string, error reporting and waits (vgpu_winsys.h).
 */
#include "vgpu_winsys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/u_atomic.h"
#include "util/u_process.h"

bool virgl_vgpu_ws_ok(struct virgl_vgpu_winsys *ws, int status, const char *what)
{
	uint32_t bit;

	if (status == VGPU_OK)
		return true;
	/* once the device is gone, everything fails: that was said already */
	if (p_atomic_read(&ws->lost))
		return false;
	if (status == VGPU_E_DEVICE_LOST || status == VGPU_E_TRANSPORT)
		p_atomic_set(&ws->lost, 1);
	bit = 1u << ((uint32_t)-status & 31u);
	if (!(__atomic_fetch_or(&ws->logged_codes, bit, __ATOMIC_RELAXED) & bit))
		fprintf(stderr, "vgpu: %s failed: %s%s\n", what, vgpu_status_str(status),
			p_atomic_read(&ws->lost) ? " (the device is gone: rendering stops)" : "");
	return false;
}

void virgl_vgpu_ws_fence_issued(struct virgl_vgpu_winsys *ws, uint64_t value)
{
	mtx_lock(&ws->fence_lock);
	if (value > ws->last_fence)
		ws->last_fence = value;
	mtx_unlock(&ws->fence_lock);
}

uint64_t virgl_vgpu_ws_last_fence(struct virgl_vgpu_winsys *ws)
{
	uint64_t value;

	mtx_lock(&ws->fence_lock);
	value = ws->last_fence;
	mtx_unlock(&ws->fence_lock);
	return value;
}

typedef int (*virgl_vgpu_wait_fn)(struct vgpu_dev *dev, uint64_t what, uint64_t timeout_ns);

static int wait_fence_call(struct vgpu_dev *dev, uint64_t value, uint64_t timeout_ns)
{
	return vgpu_wait_fence(dev, value, timeout_ns);
}

static int wait_resource_call(struct vgpu_dev *dev, uint64_t handle, uint64_t timeout_ns)
{
	return vgpu_wait_resource(dev, (uint32_t)handle, timeout_ns);
}

/*
 * libvgpu caps one wait at VGPU_MAX_WAIT_NS; "forever" waits again until
 * done.  A failure other than "not yet" means there is nothing left that
 * could complete: report done rather than block on it.
 */
static bool wait_until(struct virgl_vgpu_winsys *ws, virgl_vgpu_wait_fn fn, uint64_t what,
		       uint64_t timeout_ns, const char *name)
{
	bool forever = timeout_ns == PIPE_TIMEOUT_INFINITE;
	int status;

	for (;;) {
		if (p_atomic_read(&ws->lost))
			return true;
		status = fn(ws->dev, what, forever ? VGPU_MAX_WAIT_NS : timeout_ns);
		if (status == VGPU_OK)
			return true;
		if (status != VGPU_E_BUSY && status != VGPU_E_TIMEOUT) {
			virgl_vgpu_ws_ok(ws, status, name);
			return true;
		}
		if (!forever)
			return false;
	}
}

bool virgl_vgpu_ws_wait_fence(struct virgl_vgpu_winsys *ws, uint64_t value, uint64_t timeout_ns)
{
	if (!value)
		return true;
	return wait_until(ws, wait_fence_call, value, timeout_ns, "waiting for a fence");
}

bool virgl_vgpu_ws_wait_resource(struct virgl_vgpu_winsys *ws, struct virgl_hw_res *res,
				 uint64_t timeout_ns)
{
	if (!res)
		return true;
	return wait_until(ws, wait_resource_call, res->handle, timeout_ns,
			  "waiting for a resource");
}

/* VIRGL2 when the device offers it (more caps, the host's renderer name). */
static uint32_t pick_capset(const struct vgpu_get_info *info)
{
	if (info->capset_mask & (1u << VGPU_CAPSET_VIRGL2))
		return VGPU_CAPSET_VIRGL2;
	if (info->capset_mask & (1u << VGPU_CAPSET_VIRGL))
		return VGPU_CAPSET_VIRGL;
	return 0;
}

/*
 * The host's renderer becomes "vgpu on HOST"; Mesa's virgl driver then
 * shows "virgl (vgpu on HOST)" as GL_RENDERER.
 */
static void name_renderer(struct virgl_drm_caps *caps)
{
	char host[sizeof(caps->caps.v2.renderer)];

	memcpy(host, caps->caps.v2.renderer, sizeof(host));
	host[sizeof(host) - 1] = '\0';
	snprintf(caps->caps.v2.renderer, sizeof(caps->caps.v2.renderer), "vgpu on %s",
		 host[0] ? host : "an unnamed host");
}

static int virgl_vgpu_get_caps(struct virgl_winsys *vws, struct virgl_drm_caps *caps)
{
	struct virgl_vgpu_winsys *ws = virgl_vgpu_winsys(vws);
	uint32_t capset = pick_capset(vgpu_info(ws->dev));
	uint32_t size = 0;
	void *bytes;
	int status;

	if (!caps)
		return -1;
	memset(caps, 0, sizeof(*caps));
	virgl_ws_fill_new_caps_defaults(caps);
	bytes = calloc(1, VGPU_MAX_CAPSET_BYTES);
	if (!bytes)
		return -1;
	status = capset ? vgpu_get_capset(ws->dev, capset, 0, bytes, VGPU_MAX_CAPSET_BYTES, &size)
			: VGPU_E_UNSUPPORTED;
	if (virgl_vgpu_ws_ok(ws, status, "reading the host's virgl caps")) {
		/* the host may know fewer fields than we do: the rest keep their defaults */
		memcpy(&caps->caps, bytes, MIN2(size, sizeof(caps->caps)));
		if (capset == VGPU_CAPSET_VIRGL2 && caps->caps.v2.host_feature_check_version >= 5)
			name_renderer(caps);
	}
	free(bytes);
	return status == VGPU_OK ? 0 : -1;
}

static void virgl_vgpu_destroy(struct virgl_winsys *vws)
{
	struct virgl_vgpu_winsys *ws = virgl_vgpu_winsys(vws);

	if (!ws)
		return;
	virgl_vgpu_presenter_stop(ws);
	virgl_vgpu_stats_report(ws);
	virgl_resource_cache_flush(&ws->cache);
	vgpu_close(ws->dev);
	mtx_destroy(&ws->cache_lock);
	mtx_destroy(&ws->fence_lock);
	free(ws);
}

/* The device handle and its context; false (after saying why) if there is no device. */
static bool open_device(struct virgl_vgpu_winsys *ws)
{
	const char *name = util_get_process_name();
	uint32_t capset;
	int status;

	status = vgpu_open(&ws->dev);
	if (status != VGPU_OK) {
		fprintf(stderr, "vgpu: cannot open the device: %s\n", vgpu_open_error());
		return false;
	}
	capset = pick_capset(vgpu_info(ws->dev));
	if (!capset) {
		fprintf(stderr, "vgpu: the device offers no virgl capset\n");
		return false;
	}
	status = vgpu_context_create(ws->dev, capset, name ? name : "mesa");
	return virgl_vgpu_ws_ok(ws, status, "creating the rendering context");
}

struct virgl_winsys *virgl_vgpu_winsys_wrap(struct sw_winsys *sws);

struct virgl_winsys *virgl_vgpu_winsys_wrap(struct sw_winsys *sws)
{
	struct virgl_vgpu_winsys *ws;

	if (!sws)
		return NULL;
	ws = calloc(1, sizeof(*ws));
	if (!ws)
		return NULL;
	ws->sws = sws;
	mtx_init(&ws->cache_lock, mtx_plain);
	mtx_init(&ws->fence_lock, mtx_plain);
	ws->base.destroy = virgl_vgpu_destroy;
	ws->base.get_caps = virgl_vgpu_get_caps;
	/*
	 * Encoded transfers: the device reads guest backing attached to the
	 * resource.  They are also what lets the driver use copy transfers
	 * (COPY_TRANSFER3D from its staging buffers) whenever the host's caps
	 * offer VIRGL_CAP_COPY_TRANSFER: busy buffers it may discard, and
	 * textures (both directions with COPY_TRANSFER_BOTH_DIRECTIONS).  That
	 * is what a device asking for copy transfers (VGPU_FEATURE_STAGING,
	 * Mvisor's "staging") wants, and nothing else is needed for it here:
	 * the request is honoured whenever its host can do them.
	 */
	ws->base.supports_encoded_transfers = 1;
	virgl_vgpu_ws_init_resources(ws);
	virgl_vgpu_ws_init_cmdbufs(ws);
	virgl_vgpu_ws_init_fences(ws);
	virgl_vgpu_ws_init_present(ws);
	if (!open_device(ws)) {
		virgl_vgpu_destroy(&ws->base);
		return NULL;
	}
	/* persistent and coherent buffers (GL_ARB_buffer_storage) as blobs: vgpu_blob.c */
	ws->base.supports_coherent = virgl_vgpu_blob_usable(vgpu_info(ws->dev));
	ws->blob_desc = vgpu_info(ws->dev)->features & VGPU_FEATURE_BLOB_DESC;
	virgl_vgpu_stats_init(ws);
	virgl_vgpu_presenter_start(ws);
	return &ws->base;
}
