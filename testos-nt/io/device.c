/* SPDX-License-Identifier: MIT */
/*
 * Driver objects and device objects: creation, deletion and the stacks
 * devices form by attaching.  Every device object the I/O manager made is
 * remembered, deleted ones until their last reference goes, so that an IRP
 * sent to a deleted device, or to something that is no device at all, is
 * caught before anything is dereferenced.
 */
#include "io_internal.h"

#define MAX_DRIVERS 4
#define EXTENSION_ALIGN 16u

static struct io_driver *drivers[MAX_DRIVERS];
static unsigned ndrivers;
static struct io_device *devices;

/* What a driver object's dispatch table holds where the driver set nothing. */
static NTSTATUS invalid_request(PDEVICE_OBJECT device, PIRP irp)
{
	irp->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
	irp->IoStatus.Information = 0;
	io_complete_request(irp, IO_HERE());
	return STATUS_INVALID_DEVICE_REQUEST;
}

PDRIVER_OBJECT io_driver_create(const char *name, PDRIVER_DISPATCH dispatch)
{
	struct io_driver *drv;

	if (ndrivers == MAX_DRIVERS)
		return NULL;
	drv = nt_object_create(sizeof(*drv), "Driver", NULL);
	memset(drv, 0, sizeof(*drv));
	drv->obj.Type = IO_TYPE_DRIVER;
	drv->obj.Size = sizeof(DRIVER_OBJECT);
	drv->obj.DriverExtension = &drv->ext;
	drv->ext.DriverObject = &drv->obj;
	io_ustring_from_ascii(&drv->obj.DriverName, name);
	for (unsigned i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
		drv->obj.MajorFunction[i] = dispatch ? dispatch : invalid_request;
	drivers[ndrivers++] = drv;
	return &drv->obj;
}

bool io_is_driver(const void *object)
{
	for (unsigned i = 0; i < ndrivers; i++) {
		if (&drivers[i]->obj == object)
			return true;
	}
	return false;
}

struct io_device *io_device(const void *object)
{
	for (struct io_device *d = devices; d; d = d->next) {
		if (&d->obj == object)
			return d;
	}
	return NULL;
}

/* The last reference to a deleted device object is gone: forget it. */
static void device_destroyed(void *body)
{
	struct io_device **link = &devices;

	while (*link && *link != body)
		link = &(*link)->next;
	if (*link)
		*link = (*link)->next;
}

static bool name_taken(PUNICODE_STRING name)
{
	for (struct io_device *d = devices; d; d = d->next) {
		if (!d->deleted && d->name.Length == name->Length &&
		    io_wcs_equal_nocase(d->name.Buffer, name->Buffer, name->Length / sizeof(WCHAR)))
			return true;
	}
	return false;
}

NTSTATUS io_device_create(PDRIVER_OBJECT driver, ULONG extension_size, PUNICODE_STRING name,
			  DEVICE_TYPE type, ULONG characteristics, BOOLEAN exclusive,
			  const void *caller, PDEVICE_OBJECT *out)
{
	size_t head =
		(sizeof(struct io_device) + EXTENSION_ALIGN - 1) & ~(size_t)(EXTENSION_ALIGN - 1);
	struct io_device *dev;

	if (extension_size > 0xFFFFu - sizeof(DEVICE_OBJECT))
		return STATUS_INVALID_PARAMETER;
	if (name && name->Length && name_taken(name))
		return STATUS_OBJECT_NAME_COLLISION;
	dev = nt_object_create(head + extension_size, "Device", device_destroyed);
	memset(dev, 0, head + extension_size);
	dev->obj.Type = IO_TYPE_DEVICE;
	dev->obj.Size = (USHORT)(sizeof(DEVICE_OBJECT) + extension_size);
	dev->obj.DriverObject = driver;
	dev->obj.Flags = DO_DEVICE_INITIALIZING | (exclusive ? DO_EXCLUSIVE : 0);
	dev->obj.Characteristics = characteristics;
	dev->obj.DeviceType = type;
	dev->obj.StackSize = 1;
	dev->obj.DeviceExtension = extension_size ? (uint8_t *)dev + head : NULL;
	dev->obj.DeviceObjectExtension = &dev->doe;
	KeInitializeEvent(&dev->obj.DeviceLock, SynchronizationEvent, TRUE);
	dev->doe.Type = IO_TYPE_DEVICE_OBJECT_EXTENSION;
	dev->doe.Size = sizeof(DEVOBJ_EXTENSION);
	dev->doe.DeviceObject = &dev->obj;
	if (name && name->Length) {
		char ascii[128];

		io_ascii_from_utf16(ascii, sizeof(ascii), name->Buffer,
				    name->Length / sizeof(WCHAR));
		io_ustring_from_ascii(&dev->name, ascii);
	}
	dev->created_by = caller;
	dev->power = PowerDeviceD0;
	dev->obj.NextDevice = driver->DeviceObject;
	driver->DeviceObject = &dev->obj;
	dev->next = devices;
	devices = dev;
	*out = &dev->obj;
	return STATUS_SUCCESS;
}

/* learn.microsoft.com: wdm/nf-wdm-iocreatedevice */
NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize,
			PUNICODE_STRING DeviceName, DEVICE_TYPE DeviceType,
			ULONG DeviceCharacteristics, BOOLEAN Exclusive,
			PDEVICE_OBJECT *DeviceObject)
{
	const void *caller = __builtin_return_address(0);

	nt_require_irql("IoCreateDevice", PASSIVE_LEVEL, caller);
	if (!io_is_driver(DriverObject))
		nt_violation("IoCreateDevice", "DriverObject must be the caller's driver object",
			     caller, "%p is not a driver object", (void *)DriverObject);
	if (!DeviceObject)
		nt_violation("IoCreateDevice", "DeviceObject must point to storage", caller,
			     "NULL");
	return io_device_create(DriverObject, DeviceExtensionSize, DeviceName, DeviceType,
				DeviceCharacteristics, Exclusive, caller, DeviceObject);
}

/* A device object of ours that is not deleted, or the violation. */
static struct io_device *live_device(const char *routine, const void *object, const void *caller)
{
	struct io_device *dev = io_device(object);

	if (!dev)
		nt_violation(routine, "the argument must be a device object", caller,
			     "%p is not one", object);
	if (dev->deleted)
		nt_violation(routine, "the device object must not be deleted", caller,
			     "%p was deleted (IoDeleteDevice) earlier", object);
	return dev;
}

static void delete_device(PDEVICE_OBJECT device, const void *caller)
{
	struct io_device *dev = live_device("IoDeleteDevice", device, caller);
	PDEVICE_OBJECT *link;

	if (dev->attached_to)
		nt_violation("IoDeleteDevice", "a device must be detached before it is deleted",
			     caller, "%p is still attached over %p (IoDetachDevice first)",
			     (void *)device, (void *)dev->attached_to);
	if (device->AttachedDevice)
		nt_violation("IoDeleteDevice",
			     "a device must not be deleted while another is attached over it",
			     caller, "%p has %p attached", (void *)device,
			     (void *)device->AttachedDevice);
	dev->deleted = true;
	for (link = &device->DriverObject->DeviceObject; *link; link = &(*link)->NextDevice) {
		if (*link == device) {
			*link = device->NextDevice;
			break;
		}
	}
	io_ustring_free(&dev->name);
	ObfDereferenceObject(device);
}

/* learn.microsoft.com: wdm/nf-wdm-iodeletedevice */
void IoDeleteDevice(PDEVICE_OBJECT DeviceObject)
{
	const void *caller = __builtin_return_address(0);

	nt_require_irql("IoDeleteDevice", PASSIVE_LEVEL, caller);
	delete_device(DeviceObject, caller);
}

void io_device_delete(PDEVICE_OBJECT device)
{
	delete_device(device, IO_HERE());
}

PDEVICE_OBJECT io_stack_top(PDEVICE_OBJECT device)
{
	while (device->AttachedDevice)
		device = device->AttachedDevice;
	return device;
}

/* learn.microsoft.com: wdm/nf-wdm-ioattachdevicetodevicestack */
PDEVICE_OBJECT IoAttachDeviceToDeviceStack(PDEVICE_OBJECT SourceDevice, PDEVICE_OBJECT TargetDevice)
{
	const void *caller = __builtin_return_address(0);
	struct io_device *source, *top;

	nt_require_irql("IoAttachDeviceToDeviceStack", DISPATCH_LEVEL, caller);
	source = live_device("IoAttachDeviceToDeviceStack", SourceDevice, caller);
	live_device("IoAttachDeviceToDeviceStack", TargetDevice, caller);
	if (source->attached_to || SourceDevice == TargetDevice)
		nt_violation("IoAttachDeviceToDeviceStack",
			     "the source device must not be attached to anything yet", caller,
			     "%p is attached over %p", (void *)SourceDevice,
			     (void *)(source->attached_to ? source->attached_to : TargetDevice));
	top = io_device(io_stack_top(TargetDevice));
	if (top->deleted)
		return NULL;
	top->obj.AttachedDevice = SourceDevice;
	source->attached_to = &top->obj;
	SourceDevice->StackSize = (CCHAR)(top->obj.StackSize + 1);
	SourceDevice->AlignmentRequirement = top->obj.AlignmentRequirement;
	SourceDevice->SectorSize = top->obj.SectorSize;
	return &top->obj;
}

/* learn.microsoft.com: wdm/nf-wdm-iodetachdevice */
void IoDetachDevice(PDEVICE_OBJECT TargetDevice)
{
	const void *caller = __builtin_return_address(0);
	struct io_device *target, *above;

	nt_require_irql("IoDetachDevice", DISPATCH_LEVEL, caller);
	target = io_device(TargetDevice);
	if (!target)
		nt_violation("IoDetachDevice", "the argument must be a device object", caller,
			     "%p is not one", (void *)TargetDevice);
	if (!TargetDevice->AttachedDevice)
		nt_violation("IoDetachDevice",
			     "TargetDevice must be the device the caller's device is attached to",
			     caller, "nothing is attached over %p", (void *)TargetDevice);
	above = io_device(TargetDevice->AttachedDevice);
	above->attached_to = NULL;
	TargetDevice->AttachedDevice = NULL;
}

unsigned io_driver_devices(PDRIVER_OBJECT driver, const void **creator)
{
	unsigned n = 0;

	for (PDEVICE_OBJECT d = driver->DeviceObject; d; d = d->NextDevice) {
		if (n++ == 0 && creator)
			*creator = io_device(d)->created_by;
	}
	return n;
}
