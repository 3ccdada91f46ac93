/* SPDX-License-Identifier: MIT */
/*
 * The core device's life inside a started PnP device: made and brought up
 * at start, declared lost (but kept, files may still name it) when the
 * device powers down or disappears, destroyed at stop/remove or when a
 * lost one is renewed.  A lost core with handles still open is retired
 * rather than destroyed: detached from the device, it lives on until the
 * last of them closes, while new handles get a new core.
 *
 * The DPC reads dev->core without a lock: the pointer is published before
 * the core starts (its bring-up needs completions) and withdrawn, then
 * every queued DPC flushed, before the core is destroyed.
 */
#include "vgpu_win.h"

static NTSTATUS start_status(int ret)
{
	switch (ret) {
	case VGPU_OK:
		return STATUS_SUCCESS;
	case VGPU_E_NO_MEMORY:
		return STATUS_INSUFFICIENT_RESOURCES;
	case VGPU_E_UNSUPPORTED:
		return STATUS_NOT_SUPPORTED;
	case VGPU_E_TIMEOUT:
		return STATUS_IO_TIMEOUT;
	default:
		return STATUS_DEVICE_CONFIGURATION_ERROR;
	}
}

/* Why the core could not start, in the words the event log shows. */
static const char *start_failure_text(int ret)
{
	switch (ret) {
	case VGPU_E_UNSUPPORTED:
		return "the device offers no virgl (3D); use a virgl-capable host "
		       "(virtio-gpu-gl-pci, or Mvisor's virtio-vgpu)";
	case VGPU_E_NO_MEMORY:
		return "out of memory while setting up the device queues";
	case VGPU_E_TIMEOUT:
		return "the device did not answer its first commands in time";
	default:
		return "the device refused the virtio setup (features, queues or capsets)";
	}
}

/* Physical memory the kernel manages, in bytes; 0 when this Windows cannot say. */
static uint64_t ram_bytes(void)
{
	PPHYSICAL_MEMORY_RANGE ranges, r;
	uint64_t total = 0;

	if (!win_routines.memory_ranges)
		return 0;
	ranges = win_routines.memory_ranges(NULL, 0);
	if (!ranges)
		return 0;
	/* The kernel ends its list with an all-zero entry. */
	for (r = ranges; r->BaseAddress.QuadPart || r->NumberOfBytes.QuadPart; r++)
		total += (uint64_t)r->NumberOfBytes.QuadPart;
	ExFreePool(ranges);
	return total;
}

/*
 * Resource backing is locked guest RAM that any process may ask for: half
 * of RAM for all processes together, three eighths for one (docs/windows.md).
 * Before Windows 10 2004 the kernel does not say how much RAM there is.
 */
static void set_pin_limits(struct vgpu_device *core)
{
	uint64_t ram = ram_bytes();
	uint64_t device = ram ? ram / 2 : WIN_PIN_LIMIT_UNKNOWN_RAM;

	vgpu_device_set_pin_limits(core, device, device / 4 * 3);
}

NTSTATUS win_core_start(struct win_device *dev)
{
	struct vgpu_device *core;
	int ret;

	ret = vgpu_device_create(&dev->os, &dev->transport, dev->personality, &core);
	if (ret != VGPU_OK) {
		win_event_log(dev, VGPU_MSG_START_FAILED, start_failure_text(ret));
		return start_status(ret);
	}
	set_pin_limits(core);
	InterlockedExchangePointer((PVOID volatile *)&dev->core, core);
	ret = vgpu_device_start(core);
	if (ret != VGPU_OK) {
		win_event_log(dev, VGPU_MSG_START_FAILED, start_failure_text(ret));
		win_core_destroy(dev);
		return start_status(ret);
	}
	dev->core_stale = FALSE;
	return STATUS_SUCCESS;
}

/*
 * Fail every call in flight and later, and stop the device's DMA; the core
 * stays.  The device unmaps its blobs first, while it still answers.
 */
void win_core_quiesce(struct win_device *dev)
{
	if (!dev->core)
		return;
	vgpu_device_give_back_blobs(dev->core);
	vgpu_device_mark_lost(dev->core);
	dev->transport.ops->reset(dev->transport.priv);
	dev->core_stale = TRUE;
}

/* No file may be open on it (PnP stop/remove, or a rebuild with none open). */
void win_core_destroy(struct win_device *dev)
{
	struct vgpu_device *core = InterlockedExchangePointer((PVOID volatile *)&dev->core, NULL);

	if (!core)
		return;
	KeFlushQueuedDpcs();
	vgpu_device_destroy(core);
}

/* A core lost by power-down whose handles are still open. */
struct win_retired_core {
	struct vgpu_device *core;
	LONG open_files;
	struct win_retired_core *next;
};

/* Move the lost core aside for its open handles; the device is free for a new one. */
static NTSTATUS retire_core(struct win_device *dev)
{
	struct win_retired_core *r = dev->os.alloc(dev, sizeof(*r));

	if (!r)
		return STATUS_INSUFFICIENT_RESOURCES;
	r->core = InterlockedExchangePointer((PVOID volatile *)&dev->core, NULL);
	/* No DPC may still be inside it once the transport is handed on. */
	KeFlushQueuedDpcs();
	/* The quiesce at power-down reset the device after marking the core lost. */
	vgpu_device_detach(r->core);
	r->open_files = dev->core_files;
	r->next = dev->retired;
	dev->retired = r;
	dev->core_files = 0;
	return STATUS_SUCCESS;
}

/* Under the state mutex, with the core stale: a new core for the next handle. */
NTSTATUS win_core_renew(struct win_device *dev)
{
	NTSTATUS status = STATUS_SUCCESS;

	if (dev->core && dev->core_files)
		status = retire_core(dev);
	else
		win_core_destroy(dev);
	if (!NT_SUCCESS(status))
		return status;
	return win_core_start(dev);
}

/* Under the state mutex, after a handle's core file was closed: a retired core may go. */
void win_core_file_closed(struct win_device *dev, struct vgpu_device *core)
{
	struct win_retired_core **link, *r;

	dev->open_files--;
	if (core == dev->core) {
		dev->core_files--;
		return;
	}
	for (link = &dev->retired; (r = *link) != NULL; link = &r->next) {
		if (r->core != core)
			continue;
		if (--r->open_files == 0) {
			*link = r->next;
			vgpu_device_destroy(r->core);
			dev->os.free(dev, r);
		}
		return;
	}
}
