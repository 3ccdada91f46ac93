/* SPDX-License-Identifier: MIT */
/*
 * The PnP manager: it enumerates the virtio-gpu functions on PCI, builds
 * each device stack (a PDO of the bus driver, the driver's AddDevice), and
 * sends the PnP IRPs as Windows does, in its order: START with resources
 * (then QUERY_CAPABILITIES and QUERY_PNP_DEVICE_STATE), QUERY_STOP then
 * STOP or CANCEL_STOP, QUERY_REMOVE then REMOVE or CANCEL_REMOVE,
 * SURPRISE_REMOVAL then REMOVE once the last file object is closed, and
 * REMOVE after a failed START.  A failed query is followed by its cancel.
 *
 * What it checks is the function driver's side: the IRPs that must reach
 * the bus driver do, the ones that must succeed do, interrupts are
 * disconnected before resources are taken back, and after REMOVE the FDO
 * is detached and deleted.  Resources are real: while a device has none
 * its BARs' mappings fault.
 */
#include "io_internal.h"

#define MAX_DEVICES 8u
#define VENDOR_VIRTIO 0x1AF4u
#define DEVICE_VIRTIO_GPU 0x1050u
#define PCI_HEADER_TYPE 0x0Eu

static struct pnp_device *devices[MAX_DEVICES];
static unsigned ndevices;
static bool bus_power_pagable = true;

struct pnp_device *pnp_device(unsigned index)
{
	return index < ndevices ? devices[index] : NULL;
}

PDEVICE_OBJECT pnp_pdo(struct pnp_device *dev)
{
	return dev->pdo;
}

void pnp_set_bus_power_pagable(bool pagable)
{
	bus_power_pagable = pagable;
}

void pnp_set_irq_mode(struct pnp_device *dev, enum pnp_irq_mode mode)
{
	dev->irq_mode = mode;
}

struct pnp_device *pnp_device_of_pdo(PDEVICE_OBJECT pdo)
{
	struct io_device *io = io_device(pdo);

	return io ? io->pnp : NULL;
}

static const char *minor_name(UCHAR minor)
{
	switch (minor) {
	case IRP_MN_START_DEVICE:
		return "START_DEVICE";
	case IRP_MN_QUERY_REMOVE_DEVICE:
		return "QUERY_REMOVE_DEVICE";
	case IRP_MN_REMOVE_DEVICE:
		return "REMOVE_DEVICE";
	case IRP_MN_CANCEL_REMOVE_DEVICE:
		return "CANCEL_REMOVE_DEVICE";
	case IRP_MN_STOP_DEVICE:
		return "STOP_DEVICE";
	case IRP_MN_QUERY_STOP_DEVICE:
		return "QUERY_STOP_DEVICE";
	case IRP_MN_CANCEL_STOP_DEVICE:
		return "CANCEL_STOP_DEVICE";
	case IRP_MN_QUERY_CAPABILITIES:
		return "QUERY_CAPABILITIES";
	case IRP_MN_QUERY_PNP_DEVICE_STATE:
		return "QUERY_PNP_DEVICE_STATE";
	case IRP_MN_SURPRISE_REMOVAL:
		return "SURPRISE_REMOVAL";
	default:
		return "?";
	}
}

/* ---- resources ------------------------------------------------------------------ */

static void revoke_bars(struct pnp_device *dev, const char *why)
{
	if (dev->bars_revoked)
		return;
	for (unsigned b = 0; b < 6; b++) {
		if (dev->bars[b].addr && !dev->bars[b].io)
			nt_mm_revoke_io(dev->bars[b].addr, dev->bars[b].len, why);
	}
	dev->bars_revoked = true;
}

static void restore_bars(struct pnp_device *dev)
{
	if (!dev->bars_revoked || dev->gone)
		return;
	for (unsigned b = 0; b < 6; b++) {
		if (dev->bars[b].addr && !dev->bars[b].io)
			nt_mm_restore_io(dev->bars[b].addr, dev->bars[b].len);
	}
	dev->bars_revoked = false;
}

/* The resources go back to the arbiters: the driver must have let go of the interrupt. */
static void take_back_resources(struct pnp_device *dev, PDRIVER_DISPATCH fdo_pnp, UCHAR minor,
				const char *why)
{
	if (io_irq_connected(dev))
		nt_violation("IRP_MJ_PNP",
			     "a driver disconnects its interrupts (IoDisconnectInterruptEx) before "
			     "its resources are taken back",
			     (const void *)fdo_pnp,
			     "%s completed with the interrupt still connected", minor_name(minor));
	io_irq_release(dev);
	for (unsigned b = 0; b < 6; b++) {
		const char *process =
			!dev->bars[b].addr || dev->bars[b].io
				? NULL
				: nt_mm_process_mapping(dev->bars[b].addr, dev->bars[b].len);

		if (process)
			nt_violation("IRP_MJ_PNP",
				     "no process may keep device memory mapped once its resources "
				     "are taken back",
				     (const void *)fdo_pnp,
				     "%s completed with BAR%u mapped into %s", minor_name(minor), b,
				     process);
	}
	revoke_bars(dev, why);
}

/* ---- enumeration --------------------------------------------------------------- */

static void add_device(struct pnp_device *dev)
{
	PDRIVER_OBJECT driver = io_driver_object();
	PDRIVER_ADD_DEVICE add = driver ? driver->DriverExtension->AddDevice : NULL;
	PDEVICE_OBJECT fdo;
	NTSTATUS status;

	if (!add) {
		con_printf("pnp: %02x:%02x.%x has no driver with AddDevice to load\n",
			   dev->bdf >> 8, dev->bdf >> 3 & 0x1F, dev->bdf & 7);
		return;
	}
	if (bus_power_pagable)
		dev->pdo->Flags |= DO_POWER_PAGABLE;
	else
		dev->pdo->Flags &= ~DO_POWER_PAGABLE;
	status = add(driver, dev->pdo);
	if (nt_irql() != PASSIVE_LEVEL)
		nt_violation("AddDevice", "AddDevice must return at PASSIVE_LEVEL",
			     (const void *)add, "IRQL %u", nt_irql());
	fdo = dev->pdo->AttachedDevice;
	if (!NT_SUCCESS(status)) {
		if (fdo)
			nt_violation("AddDevice", "a failing AddDevice leaves nothing attached",
				     (const void *)add, "returned 0x%08x with %p attached",
				     (unsigned)status, (void *)fdo);
		con_printf("pnp: AddDevice failed: 0x%08x\n", (unsigned)status);
		return;
	}
	if (!fdo)
		nt_violation("AddDevice", "AddDevice attaches its device object to the PDO",
			     (const void *)add, "nothing is attached to PDO %p", (void *)dev->pdo);
	if (fdo->AttachedDevice)
		nt_violation("AddDevice", "a function driver attaches one device object",
			     (const void *)add, "%p and %p are attached", (void *)fdo,
			     (void *)fdo->AttachedDevice);
	if (fdo->Flags & DO_DEVICE_INITIALIZING)
		nt_violation("AddDevice", "AddDevice clears DO_DEVICE_INITIALIZING",
			     (const void *)add, "device object %p", (void *)fdo);
	if ((fdo->Flags & DO_POWER_PAGABLE) && !(dev->pdo->Flags & DO_POWER_PAGABLE))
		nt_violation(
			"AddDevice",
			"a driver does not set DO_POWER_PAGABLE when the driver below cleared it",
			(const void *)add, "FDO %p is pagable, the PDO below it is not",
			(void *)fdo);
	dev->fdo = fdo;
	dev->state = PNP_ADDED;
}

static struct pnp_device *new_device(uint32_t bdf)
{
	struct pnp_device *dev = io_zalloc(sizeof(*dev));

	dev->index = ndevices;
	dev->bdf = bdf;
	dev->irq_mode = PNP_IRQ_MSIX;
	dev->state = PNP_REMOVED;
	for (unsigned b = 0; b < 6; b++)
		pci_bar_probe(bdf, b, &dev->bars[b]);
	dev->pdo = pci_bus_create_pdo(dev);
	revoke_bars(dev, "no resources are assigned (before START_DEVICE)");
	devices[ndevices++] = dev;
	return dev;
}

static bool known(uint32_t bdf)
{
	for (unsigned i = 0; i < ndevices; i++) {
		if (devices[i]->bdf == bdf)
			return true;
	}
	return false;
}

static void scan_function(uint32_t bdf)
{
	if (pci_cfg_read(bdf, 0, 2) == VENDOR_VIRTIO &&
	    pci_cfg_read(bdf, 2, 2) == DEVICE_VIRTIO_GPU && !known(bdf) && ndevices < MAX_DEVICES)
		new_device(bdf);
}

static void enumerate(void *arg)
{
	for (unsigned bus = 0; bus < 256; bus++) {
		for (unsigned slot = 0; slot < 32; slot++) {
			uint32_t bdf = PCI_BDF(bus, slot, 0);
			unsigned functions;

			if (pci_cfg_read(bdf, 0, 2) == 0xFFFFu)
				continue;
			functions =
				pci_cfg_read(bdf, PCI_HEADER_TYPE, 1) & PCI_MULTIFUNCTION ? 8 : 1;
			for (unsigned fn = 0; fn < functions; fn++)
				scan_function(PCI_BDF(bus, slot, fn));
		}
	}
	for (unsigned i = 0; i < ndevices; i++) {
		if (devices[i]->pdo && !devices[i]->fdo)
			add_device(devices[i]);
	}
}

unsigned pnp_enumerate(void)
{
	io_in_system_context(enumerate, NULL);
	return ndevices;
}

/* ---- sending ------------------------------------------------------------------- */

/* Whether the PnP manager sends `minor` to a device in this state. */
static bool in_order(const struct pnp_device *dev, UCHAR minor)
{
	switch (minor) {
	case IRP_MN_START_DEVICE:
		return dev->state == PNP_ADDED || dev->state == PNP_STOPPED;
	case IRP_MN_QUERY_STOP_DEVICE:
	case IRP_MN_QUERY_PNP_DEVICE_STATE:
		return dev->state == PNP_STARTED;
	case IRP_MN_STOP_DEVICE:
	case IRP_MN_CANCEL_STOP_DEVICE:
		return dev->state == PNP_STOP_PENDING;
	case IRP_MN_QUERY_REMOVE_DEVICE:
		return dev->state == PNP_STARTED || dev->state == PNP_STOPPED ||
		       dev->state == PNP_ADDED;
	case IRP_MN_CANCEL_REMOVE_DEVICE:
		return dev->state == PNP_REMOVE_PENDING;
	case IRP_MN_REMOVE_DEVICE:
		return (dev->state == PNP_REMOVE_PENDING || dev->state == PNP_SURPRISE_REMOVED ||
			dev->state == PNP_ADDED) &&
		       dev->open_files == 0;
	case IRP_MN_SURPRISE_REMOVAL:
		return dev->state != PNP_REMOVED && dev->state != PNP_SURPRISE_REMOVED;
	case IRP_MN_QUERY_CAPABILITIES:
		return dev->state != PNP_REMOVED && dev->state != PNP_SURPRISE_REMOVED;
	default:
		return false;
	}
}

/* IRPs the bus driver must see: the ones it handles first, and queries that succeed. */
static bool must_reach_bus(UCHAR minor, NTSTATUS status)
{
	switch (minor) {
	case IRP_MN_START_DEVICE:
	case IRP_MN_STOP_DEVICE:
	case IRP_MN_CANCEL_STOP_DEVICE:
	case IRP_MN_CANCEL_REMOVE_DEVICE:
	case IRP_MN_REMOVE_DEVICE:
	case IRP_MN_SURPRISE_REMOVAL:
		return true;
	case IRP_MN_QUERY_STOP_DEVICE:
	case IRP_MN_QUERY_REMOVE_DEVICE:
	case IRP_MN_QUERY_CAPABILITIES:
		return NT_SUCCESS(status);
	default:
		return false;
	}
}

/* One PnP IRP to the top of the stack, waited for; its final status. */
static NTSTATUS send_irp(struct pnp_device *dev, UCHAR minor, PDRIVER_DISPATCH fdo_pnp)
{
	PDEVICE_OBJECT top = io_stack_top(dev->pdo);
	struct io_irp_result result;
	DEVICE_CAPABILITIES caps;
	PIO_STACK_LOCATION stack;
	struct io_irp *rec;
	NTSTATUS status;
	PIRP irp;

	irp = io_irp_alloc(top->StackSize, "PnP manager", &rec);
	irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
	irp->RequestorMode = KernelMode;
	irp->Tail.Overlay.Thread = (PETHREAD)nt_current_thread();
	stack = IoGetNextIrpStackLocation(irp);
	stack->MajorFunction = IRP_MJ_PNP;
	stack->MinorFunction = minor;
	if (minor == IRP_MN_START_DEVICE) {
		stack->Parameters.StartDevice.AllocatedResources = dev->raw;
		stack->Parameters.StartDevice.AllocatedResourcesTranslated = dev->translated;
	} else if (minor == IRP_MN_QUERY_CAPABILITIES) {
		memset(&caps, 0, sizeof(caps));
		caps.Size = sizeof(caps);
		caps.Version = 1;
		caps.Address = caps.UINumber = 0xFFFFFFFFu;
		stack->Parameters.DeviceCapabilities.Capabilities = &caps;
	}
	dev->request_active = true;
	dev->request_minor = minor;
	dev->bus_saw_request = false;
	status = io_send_and_wait(top, irp, rec, &result);
	dev->request_active = false;
	if (must_reach_bus(minor, status) && !dev->bus_saw_request)
		nt_violation("IRP_MJ_PNP",
			     "a function driver passes this PnP IRP down to the bus driver",
			     (const void *)fdo_pnp,
			     "%s completed with 0x%08x without reaching the PDO", minor_name(minor),
			     (unsigned)status);
	if (minor == IRP_MN_QUERY_PNP_DEVICE_STATE && NT_SUCCESS(status) && result.iosb.Information)
		con_printf("pnp: the device reports state 0x%lx\n",
			   (unsigned long)result.iosb.Information);
	return status;
}

static NTSTATUS send_one(struct pnp_device *dev, UCHAR minor);

/* After REMOVE: nothing of the driver's may be left in the stack. */
static void removed(struct pnp_device *dev, PDRIVER_DISPATCH fdo_pnp)
{
	struct io_device *fdo = io_device(dev->fdo);

	if (dev->pdo->AttachedDevice)
		nt_violation("IRP_MJ_PNP", "REMOVE_DEVICE detaches the FDO (IoDetachDevice)",
			     (const void *)fdo_pnp, "%p is still attached to the PDO",
			     (void *)dev->pdo->AttachedDevice);
	if (fdo && !fdo->deleted)
		nt_violation("IRP_MJ_PNP", "REMOVE_DEVICE deletes the FDO (IoDeleteDevice)",
			     (const void *)fdo_pnp, "device object %p still exists",
			     (void *)dev->fdo);
	take_back_resources(dev, fdo_pnp, IRP_MN_REMOVE_DEVICE, "the device was removed");
	dev->fdo = NULL;
	dev->state = PNP_REMOVED;
	io_interfaces_removed(dev->pdo, dev->gone);
	if (dev->gone)
		pci_bus_delete_pdo(dev);
}

static NTSTATUS start(struct pnp_device *dev, PDRIVER_DISPATCH fdo_pnp)
{
	NTSTATUS status;

	if (!io_irq_assign(dev))
		con_printf("pnp: no interrupt for the device (no vector or I/O APIC input)\n");
	restore_bars(dev);
	io_resources_build(dev);
	status = send_irp(dev, IRP_MN_START_DEVICE, fdo_pnp);
	io_resources_free(dev);
	if (!NT_SUCCESS(status)) {
		/* A device that failed to start is removed. */
		take_back_resources(dev, fdo_pnp, IRP_MN_START_DEVICE, "START_DEVICE failed");
		dev->state = PNP_ADDED;
		send_one(dev, IRP_MN_REMOVE_DEVICE);
		return status;
	}
	dev->state = PNP_STARTED;
	send_one(dev, IRP_MN_QUERY_CAPABILITIES);
	send_one(dev, IRP_MN_QUERY_PNP_DEVICE_STATE);
	return status;
}

static NTSTATUS send_one(struct pnp_device *dev, UCHAR minor)
{
	PDRIVER_DISPATCH fdo_pnp;
	NTSTATUS status;

	if (!dev->fdo || !in_order(dev, minor)) {
		con_printf("pnp: %s not sent: the PnP manager does not send it now%s\n",
			   minor_name(minor),
			   dev->open_files ? " (file objects are open on the device)" : "");
		return STATUS_INVALID_DEVICE_STATE;
	}
	fdo_pnp = dev->fdo->DriverObject->MajorFunction[IRP_MJ_PNP];
	if (minor == IRP_MN_START_DEVICE)
		return start(dev, fdo_pnp);
	status = send_irp(dev, minor, fdo_pnp);
	switch (minor) {
	case IRP_MN_QUERY_STOP_DEVICE:
		dev->state = PNP_STOP_PENDING;
		if (!NT_SUCCESS(status))
			send_one(dev, IRP_MN_CANCEL_STOP_DEVICE);
		break;
	case IRP_MN_STOP_DEVICE:
		take_back_resources(dev, fdo_pnp, minor, "the device was stopped");
		dev->state = PNP_STOPPED;
		break;
	case IRP_MN_CANCEL_STOP_DEVICE:
		dev->state = PNP_STARTED;
		break;
	case IRP_MN_QUERY_REMOVE_DEVICE:
		dev->before_query_remove = dev->state;
		dev->state = PNP_REMOVE_PENDING;
		if (!NT_SUCCESS(status))
			send_one(dev, IRP_MN_CANCEL_REMOVE_DEVICE);
		break;
	case IRP_MN_CANCEL_REMOVE_DEVICE:
		dev->state = dev->before_query_remove;
		break;
	case IRP_MN_SURPRISE_REMOVAL:
		take_back_resources(dev, fdo_pnp, minor, "the device was surprise removed");
		dev->state = PNP_SURPRISE_REMOVED;
		break;
	case IRP_MN_REMOVE_DEVICE:
		removed(dev, fdo_pnp);
		break;
	default:
		break;
	}
	return status;
}

struct pnp_request {
	struct pnp_device *dev;
	UCHAR minor;
	NTSTATUS status;
};

static void send_request(void *arg)
{
	struct pnp_request *req = arg;

	req->status = send_one(req->dev, req->minor);
}

NTSTATUS pnp_send(struct pnp_device *dev, UCHAR minor)
{
	struct pnp_request req = { dev, minor, STATUS_SUCCESS };

	io_in_system_context(send_request, &req);
	return req.status;
}

/* ---- surprise removal ---------------------------------------------------------- */

static void surprise(void *arg)
{
	struct pnp_request *req = arg;
	struct pnp_device *dev = req->dev;

	if (!dev->fdo || !in_order(dev, IRP_MN_SURPRISE_REMOVAL)) {
		req->status = send_one(dev, IRP_MN_SURPRISE_REMOVAL);
		return;
	}
	pci_function_disappear(dev);
	revoke_bars(dev, "the device was surprise removed");
	req->status = send_one(dev, IRP_MN_SURPRISE_REMOVAL);
	if (dev->open_files)
		dev->remove_when_closed = true;
	else
		send_one(dev, IRP_MN_REMOVE_DEVICE);
}

NTSTATUS pnp_surprise_remove(struct pnp_device *dev)
{
	struct pnp_request req = { dev, IRP_MN_SURPRISE_REMOVAL, STATUS_SUCCESS };

	io_in_system_context(surprise, &req);
	return req.status;
}

static void deferred_remove(void *arg)
{
	send_one(arg, IRP_MN_REMOVE_DEVICE);
}

void pnp_file_closed(struct pnp_device *dev)
{
	if (dev->open_files || !dev->remove_when_closed)
		return;
	dev->remove_when_closed = false;
	io_in_system_context(deferred_remove, dev);
}
