/* SPDX-License-Identifier: MIT */
/*
 * The spine end to end: a client creates a context, a 256x256 render
 * target and a vertex buffer, submits our virgl stream (clear + triangle
 * with our TGSI shaders) through libvgpu, the core and the real
 * virtio-gpu device, reads the image back and checks its pixels.
 */
#include <string.h>

#include "integration.h"
#include "triangle_scene.h"

static struct scene_client client;

static void test_client_opens(void)
{
	CHECK_CLIENT(&client, scene_client_open(&client, "test_triangle"));
	CHECK(client.rt_res_id != 0);
	CHECK(client.vb_res_id != 0);
	CHECK(client.rt_res_id != client.vb_res_id);
}

static void test_scene_renders(void)
{
	CHECK_CLIENT(&client, scene_client_render(&client));
	CHECK_EQ(scene_client_check(&client, stdout, "# "), 0);
}

/* The image lives on the host: wiping our copy and reading again restores it. */
static void test_read_back_again(void)
{
	uint64_t first = client.last_fence;

	CHECK(client.rt_pixels != NULL);
	if (!client.rt_pixels)
		return;
	memset(client.rt_pixels, 0, TRIANGLE_SCENE_RT_BYTES);
	CHECK_CLIENT(&client, scene_client_read_back(&client));
	CHECK(client.last_fence > first);
	CHECK_EQ(scene_client_check(&client, NULL, NULL), 0);
	CHECK_EQ(vgpu_wait_resource(client.dev, client.rt, 0), VGPU_OK);
}

static void test_stats_count_the_client(void)
{
	struct vgpu_get_stats st;

	CHECK(client.dev != NULL);
	if (!client.dev)
		return;
	CHECK_EQ(vgpu_get_stats(client.dev, &st), VGPU_OK);
	CHECK(st.open_files >= 1);
	CHECK(st.contexts >= 1);
	CHECK(st.resources >= 2);
	CHECK(st.backing_bytes >= TRIANGLE_SCENE_RT_BYTES + TRIANGLE_SCENE_VB_BYTES);
	CHECK_EQ(st.device_errors, 0);
}

/* Closing the device handle releases the context, the resources and their memory. */
static void test_close_releases_everything(void)
{
	const struct vgpu_get_stats empty = { .open_files = 1 }; /* the watcher alone */
	struct vgpu_get_stats st;
	struct vgpu_dev *watcher = NULL;

	CHECK(client.dev != NULL);
	scene_client_close(&client);
	CHECK_EQ(vgpu_open(&watcher), VGPU_OK);
	if (!watcher)
		return;
	CHECK(stats_settle(watcher, &empty, &st));
	vgpu_close(watcher);
}

int main(void)
{
	RUN(test_sim_starts);
	RUN(test_client_opens);
	RUN(test_scene_renders);
	RUN(test_read_back_again);
	RUN(test_stats_count_the_client);
	RUN(test_close_releases_everything);
	RUN(test_sim_stops_cleanly);
	return tap_done();
}
