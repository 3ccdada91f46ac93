/* SPDX-License-Identifier: MIT */
/*
 * The device's and the driver's life around open handles: a process that
 * dies with its objects and mappings alive, PnP stop and start, a system
 * sleep, surprise removal, and at the end remove and unload with nothing
 * left behind.  The destructive ones run last.
 */
#include "blob_client.h"
#include "libvgpu.h"
#include "scenario.h"
#include "../user/user.h"
#include "triangle_scene.h"

/* A process that ends without closing anything: a render target mapped, work queued. */
static void careless_app(void *arg)
{
	struct vgpu_resource_create rt =
		app_render_target(TRIANGLE_SCENE_WIDTH, TRIANGLE_SCENE_HEIGHT);
	struct vgpu_transfer down = {
		.box = { .w = TRIANGLE_SCENE_WIDTH, .h = TRIANGLE_SCENE_HEIGHT, .d = 1 },
		.stride = TRIANGLE_SCENE_STRIDE
	};
	struct vgpu_dev *dev = app_open_device();
	uint64_t size = 0, fence = 0;
	void *map = NULL;

	if (!dev)
		return;
	CHECK_EQ(vgpu_context_create(dev, VGPU_CAPSET_VIRGL2, "careless"), VGPU_OK);
	CHECK_EQ(vgpu_resource_create(dev, &rt), VGPU_OK);
	CHECK_EQ(vgpu_resource_map(dev, rt.handle, &map, &size), VGPU_OK);
	down.handle = rt.handle;
	CHECK_EQ(vgpu_transfer_from_host(dev, &down, &fence), VGPU_OK);
}

static void process_exit(void)
{
	struct vgpu_get_stats stats;

	if (!need_started_gpu())
		return;
	run_app("careless", careless_app, NULL);
	memset(&stats, 0xff, sizeof(stats));
	run_app("stats", app_read_stats, &stats);
	CHECK_EQ(stats.open_files, 1);
	CHECK_EQ(stats.contexts, 0);
	CHECK_EQ(stats.resources, 0);
	CHECK_EQ(stats.backing_bytes, 0);
	CHECK_EQ(nt_mm_mapped_views(), 0);
}

static void works_app(void *arg)
{
	struct vgpu_dev *dev = app_open_device();

	if (!dev)
		return;
	CHECK_EQ(vgpu_context_create(dev, VGPU_CAPSET_VIRGL2, "after"), VGPU_OK);
	vgpu_close(dev);
}

static void stop_start(void)
{
	if (!need_started_gpu())
		return;
	CHECK_EQ(pnp_send(world.gpu, IRP_MN_QUERY_STOP_DEVICE), STATUS_SUCCESS);
	CHECK_EQ(pnp_send(world.gpu, IRP_MN_STOP_DEVICE), STATUS_SUCCESS);
	CHECK_EQ(pnp_send(world.gpu, IRP_MN_START_DEVICE), STATUS_SUCCESS);
	run_app("after-restart", works_app, NULL);
}

static void sleep_s3(void)
{
	if (!need_started_gpu())
		return;
	CHECK_EQ(power_sleep(world.gpu, PowerSystemSleeping3), STATUS_SUCCESS);
	CHECK_EQ(power_wake(world.gpu), STATUS_SUCCESS);
	run_app("after-s3", works_app, NULL);
}

/*
 * A program holding the device, with objects and a mapping, while
 * something happens to it; where the device has host-visible memory, a
 * blob in it mapped too.
 */
static struct {
	bool opened, gone, done;
	int after;
} holder;

static void holder_app(void *arg)
{
	struct vgpu_dev *dev = app_open_device();
	struct vgpu_resource_create rt = app_render_target(64, 64);
	struct vgpu_resource_create_blob blob;
	uint64_t size = 0;
	void *map = NULL;

	if (dev) {
		CHECK_EQ(vgpu_context_create(dev, VGPU_CAPSET_VIRGL2, "holder"), VGPU_OK);
		CHECK_EQ(vgpu_resource_create(dev, &rt), VGPU_OK);
		CHECK_EQ(vgpu_resource_map(dev, rt.handle, &map, &size), VGPU_OK);
	}
	if (dev && world.host_visible_mib) {
		CHECK_EQ(blob_client_create(dev, 1, VGPU_BLOB_FLAG_MAPPABLE, 4096, &blob), VGPU_OK);
		CHECK_EQ(vgpu_resource_map(dev, blob.handle, &map, &size), VGPU_OK);
	}
	holder.opened = true;
	/*
	 * Idle, as programs are while the system sleeps: spinning here kept
	 * TCG from freeing QEMU's blob memory region, which delayed the
	 * device's answer to UNMAP_BLOB past the command timeout.
	 */
	while (!holder.gone)
		user_sleep_ms(1);
	if (dev) {
		holder.after = vgpu_context_create(dev, VGPU_CAPSET_VIRGL2, "after");
		vgpu_close(dev);
	}
	holder.done = true;
}

/* Start the holder in a process of its own; it holds the device once this returns. */
static struct nt_thread *start_holder(struct nt_process **proc)
{
	struct nt_thread *thread;

	memset(&holder, 0, sizeof(holder));
	*proc = nt_process_create("holder");
	thread = nt_thread_start(*proc, "holder", holder_app, NULL);
	while (!holder.opened && !nt_thread_finished(thread))
		nt_yield();
	return thread;
}

static void end_holder(struct nt_process *proc, struct nt_thread *thread)
{
	holder.gone = true;
	nt_join(thread);
	nt_process_terminate(proc);
}

/*
 * A system sleep while a program holds the device (issue 10, defect 5): the
 * device lost its state, so the old handle's calls fail with DEVICE_LOST;
 * a program started after the wake renders, before the old handle closes.
 * With host-visible memory the holder's blob is out of its process from
 * the sleep on, and the new program draws from a blob of its own, with
 * the same resource id and range (QEMU 10 aborted on that map when the
 * device had not unmapped the old blob before its reset).
 */
static void sleep_with_handle_open(SYSTEM_POWER_STATE state)
{
	struct nt_process *proc;
	struct nt_thread *thread;
	uint64_t views;

	if (!need_started_gpu())
		return;
	thread = start_holder(&proc);
	views = nt_mm_mapped_views();
	CHECK_EQ(power_sleep(world.gpu, state), STATUS_SUCCESS);
	CHECK_EQ(power_wake(world.gpu), STATUS_SUCCESS);
	/* its blob went with the device's state: a new program gets that memory next */
	CHECK_EQ(nt_mm_mapped_views(), world.host_visible_mib ? views - 1 : views);
	run_app_beside("after-wake",
		       world.host_visible_mib ? app_render_triangle_from_blob : app_render_triangle,
		       NULL);
	end_holder(proc, thread);
	CHECK_EQ(holder.after, VGPU_E_DEVICE_LOST);
	run_app("after-close", works_app, NULL);
	CHECK_EQ(nt_mm_mapped_views(), 0);
}

static void sleep_s3_with_handle_open(void)
{
	sleep_with_handle_open(PowerSystemSleeping3);
}

static void hibernate_with_handle_open(void)
{
	sleep_with_handle_open(PowerSystemHibernate);
}

/* Stop and start again with the interrupt `mode`: what the PnP manager does on a rebalance. */
static void restart_with(enum pnp_irq_mode mode)
{
	CHECK_EQ(pnp_send(world.gpu, IRP_MN_QUERY_STOP_DEVICE), STATUS_SUCCESS);
	CHECK_EQ(pnp_send(world.gpu, IRP_MN_STOP_DEVICE), STATUS_SUCCESS);
	pnp_set_irq_mode(world.gpu, mode);
	CHECK_EQ(pnp_send(world.gpu, IRP_MN_START_DEVICE), STATUS_SUCCESS);
}

/*
 * The line interrupt, shared: while the function sleeps in D3 another
 * device on its line interrupts.  vgpu's ISR must not claim it: the
 * function reads as all ones then, and claiming that would keep the line
 * asserted forever (issue 10, defect 7).
 */
static void line_shared_in_d3(void)
{
	if (!need_started_gpu())
		return;
	restart_with(PNP_IRQ_LINE);
	run_app("line", works_app, NULL);
	CHECK(pnp_shared_line_interrupt(world.gpu));
	CHECK_EQ(power_sleep(world.gpu, PowerSystemSleeping3), STATUS_SUCCESS);
	CHECK(pnp_shared_line_interrupt(world.gpu));
	CHECK_EQ(power_wake(world.gpu), STATUS_SUCCESS);
	restart_with(PNP_IRQ_MSIX);
	run_app("msix-again", works_app, NULL);
}

static void remove_device(void)
{
	if (!need_started_gpu())
		return;
	CHECK_EQ(pnp_send(world.gpu, IRP_MN_QUERY_REMOVE_DEVICE), STATUS_SUCCESS);
	CHECK_EQ(pnp_send(world.gpu, IRP_MN_REMOVE_DEVICE), STATUS_SUCCESS);
	world.gpu = NULL;
}

/* After a removal the PnP manager finds the function again: AddDevice, START. */
static void rescan(void)
{
	struct pnp_device *dev;

	CHECK_EQ(pnp_enumerate(), 1);
	dev = pnp_device(0);
	if (!dev)
		return;
	CHECK_EQ(pnp_send(dev, IRP_MN_START_DEVICE), STATUS_SUCCESS);
	if (!scenario_failing())
		world.gpu = dev;
	run_app("after-rescan", works_app, NULL);
}

/*
 * A bus whose PDO is not DO_POWER_PAGABLE sends power IRPs at
 * DISPATCH_LEVEL, where vgpu's power handling cannot wait; a driver must
 * not set the flag over a cleared one either.  vgpu.sys refuses such a
 * stack in AddDevice, saying why in the event log; on a usual bus the same
 * function is added and works.
 */
static void bus_not_power_pagable(void)
{
	unsigned logged;
	struct pnp_device *dev;

	if (!need_started_gpu())
		return;
	remove_device();
	pnp_set_bus_power_pagable(false);
	logged = io_error_log_written();
	CHECK_EQ(pnp_enumerate(), 1);
	pnp_set_bus_power_pagable(true);
	dev = pnp_device(0);
	CHECK(dev && !pnp_pdo(dev)->AttachedDevice);
	CHECK_EQ(io_error_log_written(), logged + 1);
	rescan();
}

/*
 * The device vanishes with a handle open, objects on it and a mapping
 * alive: SURPRISE_REMOVAL, calls fail with DEVICE_LOST, the last close
 * brings REMOVE; after it no register of the device may be touched, and
 * from SURPRISE_REMOVAL on no process may map the device's memory (the
 * holder's blob, where the device has host-visible memory).
 */
static void surprise_removal(void)
{
	struct nt_process *proc;
	struct nt_thread *thread;

	if (!need_started_gpu())
		return;
	thread = start_holder(&proc);
	CHECK_EQ(pnp_surprise_remove(world.gpu), STATUS_SUCCESS);
	end_holder(proc, thread);
	CHECK_EQ(holder.after, VGPU_E_DEVICE_LOST);
	world.gpu = NULL;
}

static void unload(void)
{
	if (world.gpu)
		remove_device();
	CHECK_EQ(io_driver_unload(), STATUS_SUCCESS);
}

const struct scenario scenarios_lifecycle[] = {
	{ "process.exit_with_objects", process_exit },
	{ "pnp.stop_start", stop_start },
	{ "power.s3", sleep_s3 },
	{ "power.s3_with_handle_open", sleep_s3_with_handle_open },
	{ "power.s4_with_handle_open", hibernate_with_handle_open },
	{ "irq.line_shared_in_d3", line_shared_in_d3 },
	{ "pnp.remove", remove_device },
	{ "pnp.rescan", rescan },
	{ "pnp.bus_not_power_pagable", bus_not_power_pagable },
	{ "pnp.surprise_removal", surprise_removal },
	{ "driver.unload", unload },
};
const unsigned scenarios_lifecycle_count =
	sizeof(scenarios_lifecycle) / sizeof(scenarios_lifecycle[0]);
