/* SPDX-License-Identifier: MIT */
/*
 * The core device's life inside a started PnP device: made and brought up
 * at start, declared lost (but kept, files may still name it) when the
 * device powers down or disappears, destroyed at stop/remove or when a
 * lost one is rebuilt.
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

NTSTATUS win_core_start(struct win_device *dev)
{
	struct vgpu_device *core;
	int ret;

	ret = vgpu_device_create(&dev->os, &dev->transport, dev->personality, &core);
	if (ret != VGPU_OK) {
		win_event_log(dev, VGPU_MSG_START_FAILED, start_failure_text(ret));
		return start_status(ret);
	}
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

/* Fail every call in flight and later, and stop the device's DMA; the core stays. */
void win_core_quiesce(struct win_device *dev)
{
	if (!dev->core)
		return;
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

NTSTATUS win_core_rebuild(struct win_device *dev)
{
	win_core_destroy(dev);
	return win_core_start(dev);
}
