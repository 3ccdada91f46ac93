/* SPDX-License-Identifier: MIT */
/*
 * The reference scene (triangle_scene.h) rendered through libvgpu, as a
 * driver-level client does it: a VIRGL2 context, a render target and a
 * vertex buffer with mapped guest backing, the vertices sent with a
 * transfer, the scene as one submit, and the image read back into the
 * render target's mapping with a fenced transfer.  Used by vgpu-demo and
 * the integration tests.
 */
#ifndef VGPU_TOOLS_SCENE_CLIENT_H
#define VGPU_TOOLS_SCENE_CLIENT_H

#include <stdint.h>
#include <stdio.h>

#include "libvgpu.h"

/* How long one wait for the device may take before we call it stuck. */
#define SCENE_CLIENT_WAIT_NS (10ull * 1000000000ull)

struct scene_client {
	struct vgpu_dev *dev;
	uint32_t rt, vb;               /* libvgpu handles */
	uint32_t rt_res_id, vb_res_id; /* device resource ids, for the command stream */
	uint8_t *rt_pixels;            /* mapped backing of the render target (B8G8R8A8) */
	uint8_t *vb_data;              /* mapped backing of the vertex buffer */
	uint64_t last_fence;           /* timeline value of the last read-back */
	const char *failed_step;       /* the call that failed last, for messages */
};

/*
 * Create the scene's resources on an opened device that has its context,
 * and map both.  On failure, failed_step names the call; the caller still
 * owns `dev` and calls scene_client_release.
 */
int scene_client_attach(struct scene_client *c, struct vgpu_dev *dev);

/*
 * Open the device (VGPU_SOCKET, else the platform's), create a VIRGL2
 * context and attach as above.  On failure, scene_client_close cleans up.
 */
int scene_client_open(struct scene_client *c, const char *debug_name);

/* Upload the vertices, submit the scene, read the image back and wait. */
int scene_client_render(struct scene_client *c);

/* Read the render target back into rt_pixels (fenced transfer + wait). */
int scene_client_read_back(struct scene_client *c);

/* triangle_scene_check on the mapped image; returns the failed probes. */
int scene_client_check(const struct scene_client *c, FILE *log, const char *prefix);

/* Destroy what setup created (the device stays open). */
void scene_client_release(struct scene_client *c);

/* Release, then close the device. */
void scene_client_close(struct scene_client *c);

#endif /* VGPU_TOOLS_SCENE_CLIENT_H */
