/* SPDX-License-Identifier: MIT */
/*
 * Bring-up as Windows does it: the driver loaded and its DriverEntry run,
 * PCI enumerated (AddDevice for each virtio-gpu function), the first
 * function started with its resources, and the device interface enabled.
 */
#include "scenario.h"
#include "vgpu/vgpu_windows.h"

static const GUID vgpu_interface = VGPU_DEVICE_INTERFACE_GUID_INIT;

bool need_started_gpu(void)
{
	if (world.gpu)
		return true;
	con_printf("# no started vgpu device (an earlier scenario failed)\n");
	CHECK(world.gpu);
	return false;
}

static void load(void)
{
	if (!world.sys) {
		con_printf("# no module with role=driver: run.sh passes vgpu.sys\n");
		CHECK(world.sys);
		return;
	}
	CHECK(world.symbols);
	CHECK_EQ(io_driver_load(world.sys, world.sys_len, world.symbols, world.symbols_len),
		 STATUS_SUCCESS);
	world.loaded = !scenario_failing();
}

static void start(void)
{
	const WCHAR *paths[2];
	struct pnp_device *dev;

	if (!world.loaded) {
		CHECK(world.loaded);
		return;
	}
	CHECK_EQ(pnp_enumerate(), 1);
	dev = pnp_device(0);
	if (!dev)
		return;
	CHECK_EQ(pnp_send(dev, IRP_MN_QUERY_CAPABILITIES), STATUS_SUCCESS);
	CHECK_EQ(pnp_send(dev, IRP_MN_START_DEVICE), STATUS_SUCCESS);
	CHECK_EQ(io_interfaces(&vgpu_interface, paths, 2), 1);
	if (!scenario_failing())
		world.gpu = dev;
}

const struct scenario scenarios_bringup[] = {
	{ "driver.load", load },
	{ "pnp.start", start },
};
const unsigned scenarios_bringup_count = sizeof(scenarios_bringup) / sizeof(scenarios_bringup[0]);
