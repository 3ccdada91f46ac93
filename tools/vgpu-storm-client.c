/* SPDX-License-Identifier: MIT */
/*
 * vgpu-storm-client: a client that renders until it is killed, for
 * scripts/storm-kill.sh, or for a given time, for scripts/soak.sh.  Every
 * round opens the device and creates a context and the reference scene's
 * resources, then renders frames, each with a texture created, written,
 * sent to the host and destroyed on the way, and closes again: a SIGKILL
 * at any moment finds it in the middle of a create, a transfer, a submit,
 * a wait or a destroy.  Every frame's pixels are checked, on an image
 * cleared before the frame, so that a frame the device did not draw or
 * read back fails.  It never stops on its own unless a call fails, and
 * then exits 1 naming the call, which the storm counts as a violation.
 * Given SECONDS, it also stops at the end of the first round after that
 * long, prints "frames N" and exits 0.
 *
 *   vgpu-storm-client [SECONDS]  (device: VGPU_SOCKET)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scene_client.h"
#include "triangle_scene.h"
#include "virgl_stream.h"

#define FRAMES_PER_ROUND 8
/* Big enough that its transfer takes a while, so kills land inside it too. */
#define TEXTURE_SIDE 128u
#define TEXTURE_BYTES (TEXTURE_SIDE * TEXTURE_SIDE * 4u)

static int fail(struct scene_client *c, const char *step, int status)
{
	fprintf(stderr, "vgpu-storm-client: %s%s%s\n", step, status ? ": " : "",
		status ? vgpu_status_str(status) : "");
	scene_client_close(c);
	return 1;
}

static int texture_round_trip(struct scene_client *c, uint32_t frame)
{
	struct vgpu_resource_create req = {
		.target = VSTREAM_TARGET_TEXTURE_2D,
		.format = TRIANGLE_SCENE_FORMAT,
		.bind = VSTREAM_BIND_SAMPLER_VIEW,
		.width = TEXTURE_SIDE,
		.height = TEXTURE_SIDE,
		.depth = 1,
		.array_size = 1,
		.size = TEXTURE_BYTES,
	};
	struct vgpu_transfer t = {
		.box = { .w = TEXTURE_SIDE, .h = TEXTURE_SIDE, .d = 1 },
		.stride = TEXTURE_SIDE * 4u,
	};
	uint64_t size = 0, fence = 0;
	void *ptr = NULL;
	int ret;

	ret = vgpu_resource_create(c->dev, &req);
	if (ret) {
		c->failed_step = "vgpu_resource_create (texture)";
		return ret;
	}
	t.handle = req.handle;
	ret = vgpu_resource_map(c->dev, req.handle, &ptr, &size);
	if (!ret)
		memset(ptr, (int)frame, TEXTURE_BYTES);
	if (!ret)
		ret = vgpu_transfer_to_host(c->dev, &t, &fence);
	if (!ret)
		ret = vgpu_wait_fence(c->dev, fence, SCENE_CLIENT_WAIT_NS);
	if (ret)
		c->failed_step = "texture map, transfer or wait";
	/* Destroyed on success and failure alike: a failure must not leak it. */
	if (vgpu_resource_destroy(c->dev, req.handle) && !ret) {
		c->failed_step = "vgpu_resource_destroy (texture)";
		ret = VGPU_E_INVALID;
	}
	return ret;
}

static double seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct scene_client c;
	uint32_t frame = 0;
	double seconds = argc > 1 ? strtod(argv[1], NULL) : 0;
	double end = seconds_now() + seconds;

	if (argc > 2 || seconds < 0) {
		fprintf(stderr, "usage: vgpu-storm-client [SECONDS]\n");
		return 2;
	}
	for (;;) {
		int ret = scene_client_open(&c, "vgpu-storm-client");
		int i;

		if (ret)
			return fail(&c, c.failed_step, ret);
		for (i = 0; i < FRAMES_PER_ROUND; i++, frame++) {
			ret = texture_round_trip(&c, frame);
			memset(c.rt_pixels, 0, TRIANGLE_SCENE_RT_BYTES);
			if (!ret)
				ret = scene_client_render(&c);
			if (ret)
				return fail(&c, c.failed_step, ret);
			if (scene_client_check(&c, NULL, ""))
				return fail(&c, "scene_client_check (wrong pixels)", VGPU_OK);
		}
		scene_client_close(&c);
		if (seconds > 0 && seconds_now() >= end) {
			printf("frames %u\n", frame);
			return 0;
		}
	}
}
