/* SPDX-License-Identifier: MIT */
/*
 * The kmd core and libvgpu against a misbehaving device: the TEST device
 * model (vgpu-devmodel, behind vgpu-sim --device model or model-mvisor, as
 * $VGPU_SIM_DEVICE says; model by default) is told through
 * $VGPU_DEVMODEL_FAULTS to answer a command with an error, never answer
 * it, answer it late, or die.  Each must end in a clean, bounded error for
 * the client that met it, nothing left behind, and (unless the device
 * died) a next client that renders correctly.  Each case runs its own sim.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blob_client.h"
#include "integration.h"

/* The core's synchronous command timeout is 5 s; a dropped answer must end well within this. */
#define DROP_BOUND_MS 15000
#define DELAY_MS 400

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool start_with_fault(const char *fault)
{
	printf("# device model fault: %s\n", fault);
	setenv("VGPU_DEVMODEL_FAULTS", fault, 1);
	return sim_start() == 0;
}

/* A client opens (context, two resources): returns its status, reporting the step. */
static int open_client(struct scene_client *c, const char *name)
{
	int status = scene_client_open(c, name);

	printf("# %s: open %s%s%s\n", name, vgpu_status_str(status),
	       status != VGPU_OK && c->failed_step ? " at " : "",
	       status != VGPU_OK && c->failed_step ? c->failed_step : "");
	return status;
}

/* After the failed client went: nothing of it is left on the device. */
static void check_nothing_left(void)
{
	const struct vgpu_get_stats empty = { .open_files = 1 }; /* the watcher alone */
	struct vgpu_get_stats st;
	struct vgpu_dev *watcher = NULL;

	CHECK_EQ(vgpu_open(&watcher), VGPU_OK);
	if (!watcher)
		return;
	CHECK(stats_settle(watcher, &empty, &st));
	vgpu_close(watcher);
}

/* A fresh client renders the spine's scene correctly. */
static void check_next_client_renders(void)
{
	struct scene_client c = { 0 };

	CHECK_CLIENT(&c, open_client(&c, "next client"));
	if (c.dev) {
		CHECK_CLIENT(&c, scene_client_render(&c));
		CHECK_EQ(scene_client_check(&c, NULL, NULL), 0);
	}
	scene_client_close(&c);
}

static void test_error_answer(void)
{
	struct scene_client c = { 0 };

	CHECK(start_with_fault("error,cmd=RESOURCE_CREATE_3D,nth=1,resp=ERR_OUT_OF_MEMORY"));
	CHECK_EQ(open_client(&c, "error client"), VGPU_E_DEVICE);
	scene_client_close(&c);
	check_nothing_left();
	check_next_client_renders();
	CHECK(sim_alive());
	CHECK_EQ(sim_stop(), 0);
}

/*
 * Fenced work answered with an error still completes its timeline value
 * (the ABI's WAIT contract): the client sees it in GET_STATS.device_errors
 * and in the image, which the failed submit never drew.
 */
static void test_error_answer_to_fenced_submit(void)
{
	struct scene_client c = { 0 };
	struct vgpu_get_stats st = { 0 };

	CHECK(start_with_fault("error,cmd=SUBMIT_3D,nth=1"));
	CHECK_CLIENT(&c, open_client(&c, "submit client"));
	if (c.dev) {
		CHECK_CLIENT(&c, scene_client_render(&c));
		CHECK(scene_client_check(&c, NULL, NULL) != 0);
		CHECK_EQ(vgpu_get_stats(c.dev, &st), VGPU_OK);
		CHECK_EQ(st.device_errors, 1);
	}
	scene_client_close(&c);
	check_nothing_left();
	check_next_client_renders();
	CHECK(sim_alive());
	CHECK_EQ(sim_stop(), 0);
}

/* The core keeps the lost command's memory (the device may still write it): no settle check. */
static void test_dropped_answer(void)
{
	struct scene_client c = { 0 };
	int64_t start;

	CHECK(start_with_fault("drop,cmd=RESOURCE_CREATE_3D,nth=1"));
	start = now_ms();
	CHECK_EQ(open_client(&c, "drop client"), VGPU_E_TIMEOUT);
	printf("# the dropped answer ended the call after %lld ms\n",
	       (long long)(now_ms() - start));
	CHECK(now_ms() - start < DROP_BOUND_MS);
	scene_client_close(&c);
	check_next_client_renders();
	CHECK(sim_alive());
	CHECK_EQ(sim_stop(), 0);
}

static void test_delayed_answer(void)
{
	struct scene_client c = { 0 };
	int64_t start;

	CHECK(start_with_fault("delay,cmd=CTX_CREATE,ms=400"));
	start = now_ms();
	CHECK_CLIENT(&c, open_client(&c, "delay client"));
	CHECK(now_ms() - start >= DELAY_MS);
	if (c.dev) {
		CHECK_CLIENT(&c, scene_client_render(&c));
		CHECK_EQ(scene_client_check(&c, NULL, NULL), 0);
	}
	scene_client_close(&c);
	check_nothing_left();
	CHECK(sim_alive());
	CHECK_EQ(sim_stop(), 0);
}

static void test_device_death(void)
{
	struct scene_client c = { 0 }, after = { 0 };

	CHECK(start_with_fault("die,cmd=SUBMIT_3D,nth=1"));
	CHECK_CLIENT(&c, open_client(&c, "dying device client"));
	if (c.dev)
		CHECK_EQ(scene_client_render(&c), VGPU_E_DEVICE_LOST);
	scene_client_close(&c);
	/* Everyone after learns the same at once. */
	CHECK(open_client(&after, "client after death") != VGPU_OK);
	scene_client_close(&after);
	CHECK(sim_alive());
	CHECK_EQ(sim_stop(), 0);
}

/* A client with a context and one mappable blob; false (reported) if that failed. */
static bool open_blob_client(struct vgpu_dev **dev, struct vgpu_resource_create_blob *b)
{
	CHECK_EQ(vgpu_open(dev), VGPU_OK);
	if (!*dev)
		return false;
	CHECK_EQ(vgpu_context_create(*dev, VGPU_CAPSET_VIRGL2, "blob fault client"), VGPU_OK);
	CHECK_EQ(blob_client_create(*dev, 1, VGPU_BLOB_FLAG_MAPPABLE, 4096, b), VGPU_OK);
	return b->handle != 0;
}

/* A blob of a fresh client maps, and its mapping is writable. */
static void check_next_client_maps_blob(void)
{
	struct vgpu_resource_create_blob b;
	struct vgpu_dev *dev = NULL;
	void *ptr = NULL;

	if (open_blob_client(&dev, &b)) {
		CHECK_EQ(vgpu_resource_map(dev, b.handle, &ptr, NULL), VGPU_OK);
		if (ptr)
			memset(ptr, 0x5a, 4096);
	}
	if (dev)
		vgpu_close(dev);
}

/* MAP_BLOB answered with an error: that map fails, the next one of the same blob works. */
static void test_blob_map_error_answer(void)
{
	struct vgpu_resource_create_blob b;
	struct vgpu_dev *dev = NULL;
	void *ptr = NULL;

	CHECK(start_with_fault("error,cmd=RESOURCE_MAP_BLOB,nth=1"));
	if (open_blob_client(&dev, &b)) {
		CHECK_EQ(vgpu_resource_map(dev, b.handle, &ptr, NULL), VGPU_E_DEVICE);
		CHECK(ptr == NULL);
		CHECK_EQ(vgpu_resource_map(dev, b.handle, &ptr, NULL), VGPU_OK);
		CHECK(ptr != NULL);
		CHECK_EQ(vgpu_resource_destroy(dev, b.handle), VGPU_OK);
	}
	if (dev)
		vgpu_close(dev);
	check_nothing_left();
	check_next_client_maps_blob();
	check_next_client_renders();
	CHECK(sim_alive());
	CHECK_EQ(sim_stop(), 0);
}

/*
 * MAP_BLOB never answered: a bounded TIMEOUT; the core keeps that range of
 * host-visible memory away from later blobs (no settle check), which still map.
 */
static void test_blob_map_dropped_answer(void)
{
	struct vgpu_resource_create_blob b;
	struct vgpu_dev *dev = NULL;
	void *ptr = NULL;
	int64_t start;

	CHECK(start_with_fault("drop,cmd=RESOURCE_MAP_BLOB,nth=1"));
	if (open_blob_client(&dev, &b)) {
		start = now_ms();
		CHECK_EQ(vgpu_resource_map(dev, b.handle, &ptr, NULL), VGPU_E_TIMEOUT);
		CHECK(now_ms() - start < DROP_BOUND_MS);
		CHECK(ptr == NULL);
	}
	if (dev)
		vgpu_close(dev);
	check_next_client_maps_blob();
	check_next_client_renders();
	CHECK(sim_alive());
	CHECK_EQ(sim_stop(), 0);
}

/* The device dies on CREATE_BLOB: that client and every later one hear it at once. */
static void test_blob_device_death(void)
{
	struct vgpu_resource_create_blob b;
	struct vgpu_dev *dev = NULL;
	struct scene_client after = { 0 };

	CHECK(start_with_fault("die,cmd=RESOURCE_CREATE_BLOB,nth=1"));
	CHECK_EQ(vgpu_open(&dev), VGPU_OK);
	if (dev) {
		CHECK_EQ(vgpu_context_create(dev, VGPU_CAPSET_VIRGL2, "dying blob client"),
			 VGPU_OK);
		CHECK_EQ(blob_client_create(dev, 1, VGPU_BLOB_FLAG_MAPPABLE, 4096, &b),
			 VGPU_E_DEVICE_LOST);
		vgpu_close(dev);
	}
	CHECK(open_client(&after, "client after death") != VGPU_OK);
	scene_client_close(&after);
	CHECK(sim_alive());
	CHECK_EQ(sim_stop(), 0);
}

int main(void)
{
	/* The standard personality unless the build runs this for another. */
	setenv("VGPU_SIM_DEVICE", "model", 0);
	RUN(test_error_answer);
	RUN(test_error_answer_to_fenced_submit);
	RUN(test_dropped_answer);
	RUN(test_delayed_answer);
	RUN(test_device_death);
	RUN(test_blob_map_error_answer);
	RUN(test_blob_map_dropped_answer);
	RUN(test_blob_device_death);
	return tap_done();
}
