/* SPDX-License-Identifier: MIT */
/*
 * vgpu-demo: the smallest end-to-end proof of the driver stack, without
 * OpenGL.  It speaks to the device through libvgpu like a driver does,
 * with a virgl command stream we encode by hand: a 256x256 render target
 * cleared and crossed by a shaded triangle, read back, checked pixel by
 * pixel and written as a PNG.
 *
 *   vgpu-demo [OUTPUT.png]      (default: vgpu-demo.png; device: VGPU_SOCKET)
 *
 * Exit status: 0 rendered and checked, 1 the device failed, 2 pixels wrong.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libvgpu.h"
#include "png.h"
#include "scene_client.h"
#include "triangle_scene.h"
#include "virgl_caps.h"

#define DEFAULT_OUTPUT "vgpu-demo.png"

static void print_renderer_host(struct vgpu_dev *dev)
{
	static uint8_t caps[VGPU_MAX_CAPSET_BYTES];
	struct virgl_caps_info info;
	uint32_t size = 0;
	int ret;

	ret = vgpu_get_capset(dev, VGPU_CAPSET_VIRGL2, 0, caps, sizeof(caps), &size);
	if (ret != VGPU_OK) {
		printf("renderer host:  unknown (VIRGL2 capset: %s)\n", vgpu_status_str(ret));
		return;
	}
	if (virgl_caps_parse(VGPU_CAPSET_VIRGL2, caps, size, &info) == 0 && info.renderer[0])
		printf("renderer host:  %s (virglrenderer, from the VIRGL2 capset)\n",
		       info.renderer);
	else
		printf("renderer host:  not named in the VIRGL2 capset (%u bytes)\n", size);
}

static int write_image(const struct scene_client *c, const char *path)
{
	static uint8_t rgba[TRIANGLE_SCENE_WIDTH * TRIANGLE_SCENE_HEIGHT * 4];
	char shown[PATH_MAX];
	int ret;

	triangle_scene_bgra_to_rgba(c->rt_pixels, TRIANGLE_SCENE_STRIDE, TRIANGLE_SCENE_WIDTH,
				    TRIANGLE_SCENE_HEIGHT, rgba);
	ret = png_write_rgba(path, rgba, TRIANGLE_SCENE_WIDTH, TRIANGLE_SCENE_HEIGHT,
			     TRIANGLE_SCENE_WIDTH * 4);
	if (ret) {
		fprintf(stderr, "vgpu-demo: cannot write %s: %s\n", path, strerror(-ret));
		return ret;
	}
	printf("image:          %s\n", realpath(path, shown) ? shown : path);
	return 0;
}

static int fail(struct scene_client *c, int status)
{
	fprintf(stderr, "vgpu-demo: %s failed: %s\n", c->failed_step ? c->failed_step : "?",
		vgpu_status_str(status));
	if (c->failed_step && strcmp(c->failed_step, "vgpu_open") == 0 && vgpu_open_error()[0])
		fprintf(stderr, "vgpu-demo: %s\n", vgpu_open_error());
	scene_client_close(c);
	return 1;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : DEFAULT_OUTPUT;
	struct scene_client c;
	int ret, failures;

	printf("vgpu-demo: driver-level demo: virgl commands encoded by hand, no OpenGL\n");
	ret = scene_client_open(&c, "vgpu-demo");
	if (ret)
		return fail(&c, ret);
	print_renderer_host(c.dev);
	printf("resources:      render target %ux%u B8G8R8A8 (device resource %u), "
	       "vertex buffer %u bytes (device resource %u), both mapped\n",
	       TRIANGLE_SCENE_WIDTH, TRIANGLE_SCENE_HEIGHT, c.rt_res_id, TRIANGLE_SCENE_VB_BYTES,
	       c.vb_res_id);
	ret = scene_client_render(&c);
	if (ret)
		return fail(&c, ret);
	printf("rendered:       vertices sent by TRANSFER_TO_HOST, clear + triangle in one "
	       "SUBMIT, image read back by TRANSFER_FROM_HOST (fence %llu)\n",
	       (unsigned long long)c.last_fence);
	printf("pixel probes:\n");
	failures = scene_client_check(&c, stdout, "  ");
	printf("pixel checks:   %s (%d failed)\n", failures ? "FAILED" : "passed", failures);
	ret = write_image(&c, path);
	scene_client_close(&c);
	if (ret)
		return 1;
	return failures ? 2 : 0;
}
