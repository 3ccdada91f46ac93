/* SPDX-License-Identifier: MIT */
/*
 * Plug and Play: start (config space, BARs, virtio structures, interrupts,
 * the core), the stop and remove handshakes, surprise removal and the
 * capabilities.  Stop and remove are refused while handles are open: the
 * core's objects live on the device and cannot move to new resources.
 */
#include "vgpu_win.h"

#include "identity.h"

#define PCI_CLASS_DEVICE 0x0Au /* sub-class, then base class */

/* The personality the core is made with (identity.c); the event log says why not. */
static NTSTATUS check_identity(struct win_device *dev)
{
	const char *why = "";

	if (!win_identify(win_pci_cfg_read(dev, 0, 2), win_pci_cfg_read(dev, 2, 2),
			  win_pci_cfg_read(dev, PCI_CLASS_DEVICE, 2), &dev->personality, &why)) {
		win_event_log(dev, VGPU_MSG_UNSUPPORTED_DEVICE, why);
		return STATUS_NOT_SUPPORTED;
	}
	return STATUS_SUCCESS;
}

/*
 * Mvisor's id is also virtio-pmem's: its device configuration tells, read
 * while nothing has been written to the device yet (no reset, no status).
 */
static NTSTATUS check_mvisor_config(struct win_device *dev)
{
	uint8_t config[WIN_MVISOR_ID_BYTES];
	const char *why = "";

	if (dev->personality != VGPU_PERSONALITY_MVISOR)
		return STATUS_SUCCESS;
	dev->transport.ops->config_read(dev->transport.priv, 0, config, sizeof(config));
	if (win_identify_mvisor(config, sizeof(config), &why))
		return STATUS_SUCCESS;
	win_event_log(dev, VGPU_MSG_UNSUPPORTED_DEVICE, why);
	return STATUS_NOT_SUPPORTED;
}

static void release_hardware(struct win_device *dev)
{
	win_irq_disconnect(dev);
	win_core_destroy(dev);
	win_hw_unmap_all(dev);
}

static NTSTATUS start_hardware(struct win_device *dev, PIO_STACK_LOCATION stack)
{
	NTSTATUS status = win_hw_read_config(dev);

	if (!NT_SUCCESS(status)) {
		win_event_log(dev, VGPU_MSG_START_FAILED, "cannot read PCI config space");
		return status;
	}
	status = check_identity(dev);
	if (!NT_SUCCESS(status))
		return status;
	status = win_hw_find_bars(dev, stack->Parameters.StartDevice.AllocatedResources,
				  stack->Parameters.StartDevice.AllocatedResourcesTranslated);
	if (NT_SUCCESS(status) && vgpu_virtio_pci_init(&dev->vp, &dev->os) != VGPU_OK)
		status = STATUS_DEVICE_CONFIGURATION_ERROR;
	if (!NT_SUCCESS(status)) {
		win_event_log(dev, VGPU_MSG_START_FAILED,
			      "no usable virtio PCI structures in the device's memory BARs");
		win_hw_unmap_all(dev);
		return status;
	}
	vgpu_virtio_pci_transport(&dev->vp, &dev->transport);
	status = check_mvisor_config(dev);
	if (!NT_SUCCESS(status)) {
		win_hw_unmap_all(dev);
		return status;
	}
	status = win_irq_connect(dev);
	if (!NT_SUCCESS(status)) {
		win_event_log(dev, VGPU_MSG_START_FAILED, "cannot connect the device's interrupt");
		win_hw_unmap_all(dev);
		return status;
	}
	status = win_core_start(dev);
	if (!NT_SUCCESS(status)) {
		release_hardware(dev);
		return status;
	}
	win_event_log(dev, VGPU_MSG_STARTED,
		      dev->irq.version == CONNECT_MESSAGE_BASED ? "MSI-X interrupts"
								: "line-based interrupt");
	return STATUS_SUCCESS;
}

static NTSTATUS pnp_start(struct win_device *dev, PIRP irp)
{
	NTSTATUS status = win_forward_sync(dev, irp);

	if (!NT_SUCCESS(status))
		return status;
	win_state_lock(dev);
	status = start_hardware(dev, IoGetCurrentIrpStackLocation(irp));
	if (NT_SUCCESS(status)) {
		dev->state = WIN_STARTED;
		dev->power = PowerDeviceD0;
	}
	win_state_unlock(dev);
	if (NT_SUCCESS(status))
		IoSetDeviceInterfaceState(&dev->interface_name, TRUE);
	return status;
}

/* QUERY_STOP / QUERY_REMOVE: agree only with no handle open. */
static NTSTATUS pnp_query(struct win_device *dev, enum win_state pending)
{
	NTSTATUS status = STATUS_SUCCESS;

	win_state_lock(dev);
	if (dev->open_files)
		status = STATUS_DEVICE_BUSY;
	else if (dev->state == WIN_STARTED)
		dev->state = pending;
	win_state_unlock(dev);
	return status;
}

static NTSTATUS pnp_cancel(struct win_device *dev, PIRP irp, enum win_state pending)
{
	NTSTATUS status = win_forward_sync(dev, irp);

	win_state_lock(dev);
	if (dev->state == pending)
		dev->state = WIN_STARTED;
	win_state_unlock(dev);
	/* A cancel must not fail. */
	return NT_SUCCESS(status) ? status : STATUS_SUCCESS;
}

static void pnp_stop(struct win_device *dev)
{
	win_state_lock(dev);
	release_hardware(dev);
	dev->state = WIN_STOPPED;
	win_state_unlock(dev);
}

static void pnp_surprise_removal(struct win_device *dev)
{
	IoSetDeviceInterfaceState(&dev->interface_name, FALSE);
	win_state_lock(dev);
	dev->state = WIN_SURPRISE_REMOVED;
	if (dev->core)
		vgpu_device_mark_lost(dev->core);
	/*
	 * The device is gone: no interrupt, and no register is touched again
	 * (the core's teardown at REMOVE included), so the mappings go now.
	 */
	win_irq_disconnect(dev);
	vgpu_virtio_pci_gone(&dev->vp);
	win_hw_unmap_all(dev);
	win_state_unlock(dev);
	win_user_map_revoke_device(dev);
	win_event_log(dev, VGPU_MSG_DEVICE_LOST, "surprise removal; open handles now fail");
}

/* The remove lock drained: no call, no open file.  Hardware first, then the stack. */
static NTSTATUS pnp_remove(struct win_device *dev, PIRP irp)
{
	NTSTATUS status;

	if (dev->state != WIN_SURPRISE_REMOVED)
		IoSetDeviceInterfaceState(&dev->interface_name, FALSE);
	IoReleaseRemoveLockAndWait(&dev->remove_lock, irp);
	win_state_lock(dev);
	release_hardware(dev);
	dev->state = WIN_REMOVED;
	win_state_unlock(dev);

	irp->IoStatus.Status = STATUS_SUCCESS;
	IoSkipCurrentIrpStackLocation(irp);
	status = IoCallDriver(dev->lower, irp);
	IoDetachDevice(dev->lower);
	RtlFreeUnicodeString(&dev->interface_name);
	IoDeleteDevice(dev->self);
	return status;
}

/* The bus's answer, plus: removal without warning is fine, nothing to flush. */
static NTSTATUS pnp_capabilities(struct win_device *dev, PIRP irp)
{
	PDEVICE_CAPABILITIES caps;
	NTSTATUS status = win_forward_sync(dev, irp);
	ULONG s;

	if (!NT_SUCCESS(status))
		return status;
	caps = IoGetCurrentIrpStackLocation(irp)->Parameters.DeviceCapabilities.Capabilities;
	caps->SurpriseRemovalOK = TRUE;
	for (s = 0; s < PowerSystemMaximum; s++)
		dev->d_for_s[s] = caps->DeviceState[s];
	return status;
}

static NTSTATUS pass_down(struct win_device *dev, PIRP irp, NTSTATUS status)
{
	irp->IoStatus.Status = status;
	IoSkipCurrentIrpStackLocation(irp);
	status = IoCallDriver(dev->lower, irp);
	IoReleaseRemoveLock(&dev->remove_lock, irp);
	return status;
}

static NTSTATUS finish(struct win_device *dev, PIRP irp, NTSTATUS status)
{
	win_complete(irp, status, irp->IoStatus.Information);
	IoReleaseRemoveLock(&dev->remove_lock, irp);
	return status;
}

NTSTATUS win_dispatch_pnp(PDEVICE_OBJECT device, PIRP irp)
{
	struct win_device *dev = device->DeviceExtension;
	NTSTATUS status = IoAcquireRemoveLock(&dev->remove_lock, irp);

	if (!NT_SUCCESS(status))
		return win_complete(irp, status, 0);
	switch (IoGetCurrentIrpStackLocation(irp)->MinorFunction) {
	case IRP_MN_START_DEVICE:
		return finish(dev, irp, pnp_start(dev, irp));
	case IRP_MN_QUERY_STOP_DEVICE:
		status = pnp_query(dev, WIN_STOP_PENDING);
		return NT_SUCCESS(status) ? pass_down(dev, irp, status) : finish(dev, irp, status);
	case IRP_MN_CANCEL_STOP_DEVICE:
		return finish(dev, irp, pnp_cancel(dev, irp, WIN_STOP_PENDING));
	case IRP_MN_STOP_DEVICE:
		pnp_stop(dev);
		return pass_down(dev, irp, STATUS_SUCCESS);
	case IRP_MN_QUERY_REMOVE_DEVICE:
		status = pnp_query(dev, WIN_REMOVE_PENDING);
		return NT_SUCCESS(status) ? pass_down(dev, irp, status) : finish(dev, irp, status);
	case IRP_MN_CANCEL_REMOVE_DEVICE:
		return finish(dev, irp, pnp_cancel(dev, irp, WIN_REMOVE_PENDING));
	case IRP_MN_SURPRISE_REMOVAL:
		pnp_surprise_removal(dev);
		return pass_down(dev, irp, STATUS_SUCCESS);
	case IRP_MN_REMOVE_DEVICE:
		return pnp_remove(dev, irp);
	case IRP_MN_QUERY_CAPABILITIES:
		return finish(dev, irp, pnp_capabilities(dev, irp));
	default:
		return pass_down(dev, irp, irp->IoStatus.Status);
	}
}
