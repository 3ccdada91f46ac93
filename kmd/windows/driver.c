/* SPDX-License-Identifier: MIT */
/*
 * Driver entry, AddDevice and the IRP plumbing the other files share.
 * The device interface GUID is the one libvgpu looks for
 * (include/vgpu/vgpu_windows.h).
 */
#include "vgpu_win.h"

#include "vgpu/vgpu_windows.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_ADD_DEVICE win_add_device;
static DRIVER_UNLOAD win_unload;
static DRIVER_DISPATCH win_dispatch_pass_down;
static DRIVER_DISPATCH win_dispatch_unsupported;
static IO_COMPLETION_ROUTINE win_forward_done;

static const GUID vgpu_interface_guid = VGPU_DEVICE_INTERFACE_GUID_INIT;

NTSTATUS win_complete(PIRP irp, NTSTATUS status, ULONG_PTR information)
{
	irp->IoStatus.Status = status;
	irp->IoStatus.Information = information;
	IoCompleteRequest(irp, IO_NO_INCREMENT);
	return status;
}

static NTSTATUS win_forward_done(PDEVICE_OBJECT device, PIRP irp, PVOID context)
{
	/* The IRP is ours again once the event fires; the waiter completes it. */
	if (irp->PendingReturned)
		KeSetEvent((PKEVENT)context, IO_NO_INCREMENT, FALSE);
	return STATUS_MORE_PROCESSING_REQUIRED;
}

void win_state_lock(struct win_device *dev)
{
	KeWaitForSingleObject(&dev->state_mutex, Executive, KernelMode, FALSE, NULL);
}

void win_state_unlock(struct win_device *dev)
{
	KeReleaseMutex(&dev->state_mutex, FALSE);
}

/* Send the IRP down the stack and wait for the lower drivers.  PASSIVE. */
NTSTATUS win_forward_sync(struct win_device *dev, PIRP irp)
{
	KEVENT done;
	NTSTATUS status;

	KeInitializeEvent(&done, NotificationEvent, FALSE);
	IoCopyCurrentIrpStackLocationToNext(irp);
	IoSetCompletionRoutine(irp, win_forward_done, &done, TRUE, TRUE, TRUE);
	status = IoCallDriver(dev->lower, irp);
	if (status == STATUS_PENDING) {
		KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, NULL);
		status = irp->IoStatus.Status;
	}
	return status;
}

/*
 * Major functions vgpu does not implement: refused here.  Passed down they
 * would reach pci.sys carrying our file object, which it cannot know.
 */
static NTSTATUS win_dispatch_unsupported(PDEVICE_OBJECT device, PIRP irp)
{
	return win_complete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
}

/* WMI (IRP_MJ_SYSTEM_CONTROL) belongs to the drivers below. */
static NTSTATUS win_dispatch_pass_down(PDEVICE_OBJECT device, PIRP irp)
{
	struct win_device *dev = device->DeviceExtension;
	NTSTATUS status = IoAcquireRemoveLock(&dev->remove_lock, irp);

	if (!NT_SUCCESS(status))
		return win_complete(irp, status, 0);
	IoSkipCurrentIrpStackLocation(irp);
	status = IoCallDriver(dev->lower, irp);
	IoReleaseRemoveLock(&dev->remove_lock, irp);
	return status;
}

static NTSTATUS win_add_device(PDRIVER_OBJECT driver, PDEVICE_OBJECT pdo)
{
	PDEVICE_OBJECT self;
	struct win_device *dev;
	NTSTATUS status;

	status = IoCreateDevice(driver, sizeof(*dev), NULL, FILE_DEVICE_UNKNOWN,
				FILE_DEVICE_SECURE_OPEN, FALSE, &self);
	if (!NT_SUCCESS(status))
		return status;
	dev = self->DeviceExtension;
	RtlZeroMemory(dev, sizeof(*dev));
	dev->self = self;
	dev->pdo = pdo;
	dev->state = WIN_STOPPED;
	dev->power = PowerDeviceD0;
	KeInitializeMutex(&dev->state_mutex, 0);
	IoInitializeRemoveLock(&dev->remove_lock, VGPU_POOL_TAG, 0, 0);
	win_os_init(dev);

	status = IoRegisterDeviceInterface(pdo, &vgpu_interface_guid, NULL, &dev->interface_name);
	if (!NT_SUCCESS(status)) {
		IoDeleteDevice(self);
		return status;
	}
	dev->lower = IoAttachDeviceToDeviceStack(self, pdo);
	if (!dev->lower) {
		RtlFreeUnicodeString(&dev->interface_name);
		IoDeleteDevice(self);
		return STATUS_NO_SUCH_DEVICE;
	}
	/*
	 * vgpu's power handling waits (for its state mutex, for the device to
	 * go quiet), so it needs its power IRPs at PASSIVE: DO_POWER_PAGABLE.
	 * A driver must not set that flag when the one below cleared it, which
	 * only a stack on the paging path does: no place for a GPU.
	 */
	if (!(dev->lower->Flags & DO_POWER_PAGABLE)) {
		win_event_log(dev, VGPU_MSG_UNSUPPORTED_DEVICE,
			      "the bus driver sends power requests at DISPATCH_LEVEL "
			      "(its device object is not DO_POWER_PAGABLE); vgpu needs them at "
			      "PASSIVE_LEVEL");
		IoDetachDevice(dev->lower);
		RtlFreeUnicodeString(&dev->interface_name);
		IoDeleteDevice(self);
		return STATUS_NOT_SUPPORTED;
	}
	self->Flags |= DO_POWER_PAGABLE;
	self->Flags &= ~DO_DEVICE_INITIALIZING;
	return STATUS_SUCCESS;
}

static void win_unload(PDRIVER_OBJECT driver)
{
	win_user_map_fini();
}

NTSTATUS DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry_path)
{
	ULONG i;
	NTSTATUS status;

	status = win_resolve_routines();
	if (!NT_SUCCESS(status))
		return status;
	status = win_user_map_init();
	if (!NT_SUCCESS(status))
		return status;
	for (i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
		driver->MajorFunction[i] = win_dispatch_unsupported;
	driver->MajorFunction[IRP_MJ_SYSTEM_CONTROL] = win_dispatch_pass_down;
	driver->MajorFunction[IRP_MJ_CREATE] = win_dispatch_create;
	driver->MajorFunction[IRP_MJ_CLEANUP] = win_dispatch_cleanup;
	driver->MajorFunction[IRP_MJ_CLOSE] = win_dispatch_close;
	driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = win_dispatch_ioctl;
	driver->MajorFunction[IRP_MJ_PNP] = win_dispatch_pnp;
	driver->MajorFunction[IRP_MJ_POWER] = win_dispatch_power;
	driver->DriverExtension->AddDevice = win_add_device;
	driver->DriverUnload = win_unload;
	return STATUS_SUCCESS;
}
