/* SPDX-License-Identifier: MIT */
/*
 * The vgpu way (bench_vgpu.h): every operation is one libvgpu call.
 */
#include "bench_vgpu.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_core_channel.h"
#include "libvgpu.h"
#include "sim_harness.h"
#include "virgl_stream.h"

struct bench_vgpu {
	struct vgpu_dev *dev;
	bool own_sim;
	char error[200];
};

/* Record what failed; returns the status for the caller to pass on. */
static int vgpu_step(struct bench_vgpu *v, const char *call, int status)
{
	if (status != VGPU_OK && !v->error[0])
		snprintf(v->error, sizeof(v->error), "%s: %s", call, vgpu_status_str(status));
	return status;
}

static int vgpu_way_submit(void *priv, const void *cmds, uint32_t size, uint64_t *fence)
{
	struct bench_vgpu *v = priv;

	return vgpu_step(v, "vgpu_submit", vgpu_submit(v->dev, cmds, size, NULL, 0, fence));
}

static int vgpu_way_wait(void *priv, uint64_t fence)
{
	struct bench_vgpu *v = priv;

	return vgpu_step(v, "vgpu_wait_fence", vgpu_wait_fence(v->dev, fence, BENCH_WAIT_NS));
}

static int vgpu_way_texture_create(void *priv, uint32_t width, uint32_t height, uint32_t *handle)
{
	struct bench_vgpu *v = priv;
	struct vgpu_resource_create req = {
		.target = VSTREAM_TARGET_TEXTURE_2D,
		.format = VSTREAM_FORMAT_B8G8R8A8_UNORM,
		.bind = VSTREAM_BIND_RENDER_TARGET | VSTREAM_BIND_SAMPLER_VIEW,
		.width = width,
		.height = height,
		.depth = 1,
		.array_size = 1,
		.size = (uint64_t)width * height * BENCH_TEXTURE_BYTES_PER_PIXEL,
	};
	int ret = vgpu_step(v, "vgpu_resource_create", vgpu_resource_create(v->dev, &req));

	if (ret == VGPU_OK)
		*handle = req.handle;
	return ret;
}

static int vgpu_way_texture_destroy(void *priv, uint32_t handle)
{
	struct bench_vgpu *v = priv;

	return vgpu_step(v, "vgpu_resource_destroy", vgpu_resource_destroy(v->dev, handle));
}

static int vgpu_way_transfer(void *priv, uint32_t handle, uint32_t width, uint32_t height,
			     bool to_host, uint64_t *fence)
{
	struct bench_vgpu *v = priv;
	const struct vgpu_transfer t = {
		.handle = handle,
		.box = { .w = width, .h = height, .d = 1 },
		.stride = width * BENCH_TEXTURE_BYTES_PER_PIXEL,
	};

	if (to_host)
		return vgpu_step(v, "vgpu_transfer_to_host",
				 vgpu_transfer_to_host(v->dev, &t, fence));
	return vgpu_step(v, "vgpu_transfer_from_host", vgpu_transfer_from_host(v->dev, &t, fence));
}

static const char *vgpu_way_error(void *priv)
{
	return ((struct bench_vgpu *)priv)->error;
}

static void vgpu_way_close(void *priv)
{
	struct bench_vgpu *v = priv;

	if (v->dev)
		vgpu_close(v->dev);
	if (v->own_sim)
		sim_stop();
	free(v);
}

/* $VGPU_SIM if set; else vgpu-sim beside this program, or where a build tree keeps it. */
static int locate_sim(void)
{
	static const char *const beside_us[] = { "vgpu-sim", "../kmd/sim/vgpu-sim" };
	char self[PATH_MAX], candidate[PATH_MAX + 32];
	const char *dir;
	ssize_t n;

	if (getenv("VGPU_SIM") && getenv("VGPU_SIM")[0])
		return 0;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	dir = dirname(self);
	for (size_t i = 0; i < sizeof(beside_us) / sizeof(beside_us[0]); i++) {
		snprintf(candidate, sizeof(candidate), "%s/%s", dir, beside_us[i]);
		if (access(candidate, X_OK) == 0)
			return setenv("VGPU_SIM", candidate, 1);
	}
	return -1;
}

static int vgpu_reach_device(struct bench_vgpu *v, char *why, size_t why_cap)
{
	const char *socket = getenv("VGPU_SOCKET");

	if (socket && socket[0])
		return VGPU_OK;
	if (locate_sim() != 0) {
		snprintf(why, why_cap,
			 "no vgpu-sim beside this program; set VGPU_SIM or VGPU_SOCKET");
		return VGPU_E_TRANSPORT;
	}
	if (sim_start() != 0) {
		snprintf(why, why_cap, "%s did not start", getenv("VGPU_SIM"));
		return VGPU_E_TRANSPORT;
	}
	v->own_sim = true;
	return VGPU_OK;
}

static const struct bench_way_ops vgpu_ops = {
	.submit = vgpu_way_submit,
	.wait = vgpu_way_wait,
	.texture_create = vgpu_way_texture_create,
	.texture_destroy = vgpu_way_texture_destroy,
	.transfer = vgpu_way_transfer,
	.error = vgpu_way_error,
	.close = vgpu_way_close,
};

/* The sim's socket (started here unless VGPU_SOCKET names one). */
static int open_through_sim(struct bench_vgpu *v, char *why, size_t why_cap)
{
	int ret = vgpu_reach_device(v, why, why_cap);

	if (ret == VGPU_OK) {
		ret = vgpu_open(&v->dev);
		if (ret != VGPU_OK)
			snprintf(why, why_cap, "vgpu_open: %s", vgpu_open_error());
	}
	return ret;
}

/* The kmd core in this process. */
static int open_in_process(struct bench_vgpu *v, char *why, size_t why_cap)
{
	struct vgpu_channel *channel;
	int ret = bench_core_channel_open(&channel, why, why_cap);

	if (ret == VGPU_OK) {
		ret = vgpu_open_channel(channel, &v->dev);
		if (ret != VGPU_OK)
			snprintf(why, why_cap, "vgpu_open_channel: %s", vgpu_open_error());
	}
	return ret;
}

/* A libvgpu device opened by `open`, a context on it, and the way named `name`. */
static int open_way(const char *name, int (*open)(struct bench_vgpu *, char *, size_t),
		    struct bench_way *way, char *why, size_t why_cap)
{
	struct bench_vgpu *v;
	int ret;

	if (!way || !why || !why_cap)
		return VGPU_E_INVALID;
	v = calloc(1, sizeof(*v));
	if (!v) {
		snprintf(why, why_cap, "out of memory");
		return VGPU_E_NO_MEMORY;
	}
	ret = open(v, why, why_cap);
	if (ret == VGPU_OK) {
		ret = vgpu_step(v, "vgpu_context_create",
				vgpu_context_create(v->dev, VGPU_CAPSET_VIRGL2, "vgpu-bench"));
		if (ret != VGPU_OK)
			snprintf(why, why_cap, "%s", v->error);
	}
	if (ret != VGPU_OK) {
		vgpu_way_close(v);
		return ret;
	}
	*way = (struct bench_way){ .name = name, .ops = &vgpu_ops, .priv = v };
	return VGPU_OK;
}

int bench_vgpu_open(struct bench_way *way, char *why, size_t why_cap)
{
	return open_way("vgpu", open_through_sim, way, why, why_cap);
}

int bench_core_open(struct bench_way *way, char *why, size_t why_cap)
{
	return open_way("core", open_in_process, way, why, why_cap);
}
