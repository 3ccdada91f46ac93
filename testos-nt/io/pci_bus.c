/* SPDX-License-Identifier: MIT */
/*
 * The PCI bus driver at the bottom of each stack: it owns the PDOs and
 * answers what pci.sys answers for a function.  PnP: START, the stop and
 * remove handshakes and surprise removal succeed; capabilities come from
 * the bus (D3 in every sleep state, no surprise removal without warning);
 * READ_CONFIG copies the real configuration space (all ones once the
 * function is gone); other minors complete with the status untouched, as
 * bus drivers leave unknown PnP IRPs.  Power: SET_POWER to D3 loses the
 * function's state as real hardware does (virtio reset, decoding off),
 * D0 brings decoding back.  Any other major function belongs to the
 * function driver: one passed down to the bus is the function driver's
 * mistake.
 */
#include "io_internal.h"

#define PCI_CONFIG_SIZE 256u

static PDRIVER_OBJECT bus_driver;

static NTSTATUS read_config(struct pnp_device *dev, PIRP irp, PIO_STACK_LOCATION stack)
{
	ULONG offset = stack->Parameters.ReadWriteConfig.Offset;
	ULONG length = stack->Parameters.ReadWriteConfig.Length;
	UCHAR *buffer = stack->Parameters.ReadWriteConfig.Buffer;

	if (stack->Parameters.ReadWriteConfig.WhichSpace != PCI_WHICHSPACE_CONFIG)
		return STATUS_NOT_SUPPORTED;
	if (offset >= PCI_CONFIG_SIZE || !buffer)
		return STATUS_INVALID_PARAMETER;
	if (length > PCI_CONFIG_SIZE - offset)
		length = PCI_CONFIG_SIZE - offset;
	for (ULONG i = 0; i < length; i++)
		buffer[i] = (UCHAR)pci_function_config(dev, offset + i, 1);
	irp->IoStatus.Information = length;
	return STATUS_SUCCESS;
}

static NTSTATUS capabilities(struct pnp_device *dev, PIO_STACK_LOCATION stack)
{
	PDEVICE_CAPABILITIES caps = stack->Parameters.DeviceCapabilities.Capabilities;

	if (!caps || caps->Version != 1 || caps->Size < sizeof(*caps))
		return STATUS_UNSUCCESSFUL;
	caps->DeviceD1 = caps->DeviceD2 = FALSE;
	caps->LockSupported = caps->EjectSupported = caps->Removable = FALSE;
	caps->UniqueID = FALSE;
	caps->SurpriseRemovalOK = FALSE;
	caps->Address = (dev->bdf >> 3 & 0x1Fu) << 16 | (dev->bdf & 7u);
	caps->UINumber = dev->bdf >> 3 & 0x1Fu;
	caps->DeviceState[PowerSystemUnspecified] = PowerDeviceUnspecified;
	caps->DeviceState[PowerSystemWorking] = PowerDeviceD0;
	for (int s = PowerSystemSleeping1; s < PowerSystemMaximum; s++)
		caps->DeviceState[s] = PowerDeviceD3;
	caps->SystemWake = PowerSystemUnspecified;
	caps->DeviceWake = PowerDeviceUnspecified;
	return STATUS_SUCCESS;
}

static NTSTATUS bus_pnp(struct pnp_device *dev, PIRP irp, PIO_STACK_LOCATION stack)
{
	NTSTATUS status = irp->IoStatus.Status;
	UCHAR minor = stack->MinorFunction;

	switch (minor) {
	case IRP_MN_START_DEVICE:
		/* pci.sys turns on decoding and bus mastering for the resources it assigned */
		pci_function_enable(dev);
		dev->bus_started = true;
		status = STATUS_SUCCESS;
		break;
	case IRP_MN_STOP_DEVICE:
	case IRP_MN_SURPRISE_REMOVAL:
	case IRP_MN_REMOVE_DEVICE:
		dev->bus_started = false;
		status = STATUS_SUCCESS;
		break;
	case IRP_MN_QUERY_STOP_DEVICE:
	case IRP_MN_CANCEL_STOP_DEVICE:
	case IRP_MN_QUERY_REMOVE_DEVICE:
	case IRP_MN_CANCEL_REMOVE_DEVICE:
		status = STATUS_SUCCESS;
		break;
	case IRP_MN_QUERY_CAPABILITIES:
		status = capabilities(dev, stack);
		break;
	case IRP_MN_READ_CONFIG:
		status = read_config(dev, irp, stack);
		break;
	default:
		break;
	}
	if (dev->request_active && minor == dev->request_minor)
		dev->bus_saw_request = true;
	irp->IoStatus.Status = status;
	io_complete_request(irp, IO_HERE());
	return status;
}

/* The function's power as the bus controls it; its state is lost below D0. */
/* What the driver's register mappings see while the function does not decode: all ones. */
static void float_bars(struct pnp_device *dev, bool floating)
{
	for (unsigned b = 0; b < 6; b++) {
		if (!dev->bars[b].addr || dev->bars[b].io || dev->gone)
			continue;
		if (floating)
			nt_mm_float_io(dev->bars[b].addr, dev->bars[b].len);
		else
			nt_mm_restore_io(dev->bars[b].addr, dev->bars[b].len);
	}
}

static void set_device_power(struct pnp_device *dev, DEVICE_POWER_STATE state)
{
	if (state != PowerDeviceD0 && dev->dstate == PowerDeviceD0) {
		if (dev->bus_started && !dev->gone)
			pci_function_virtio_reset(dev);
		pci_function_power_down(dev);
		if (!dev->bars_revoked)
			float_bars(dev, true);
	} else if (state == PowerDeviceD0 && dev->dstate != PowerDeviceD0) {
		pci_function_power_up(dev);
		if (!dev->bars_revoked)
			float_bars(dev, false);
	}
	dev->dstate = state;
	io_device(dev->pdo)->power = state;
}

static NTSTATUS bus_power(struct pnp_device *dev, PIRP irp, PIO_STACK_LOCATION stack)
{
	NTSTATUS status = irp->IoStatus.Status;

	switch (stack->MinorFunction) {
	case IRP_MN_SET_POWER:
		if (stack->Parameters.Power.Type == DevicePowerState)
			set_device_power(dev, stack->Parameters.Power.State.DeviceState);
		status = STATUS_SUCCESS;
		break;
	case IRP_MN_QUERY_POWER:
		status = STATUS_SUCCESS;
		break;
	default:
		break;
	}
	PoStartNextPowerIrp(irp);
	irp->IoStatus.Status = status;
	io_complete_request(irp, IO_HERE());
	return status;
}

static const char *major_name(UCHAR major)
{
	static const char *const names[] = {
		"CREATE",
		"CREATE_NAMED_PIPE",
		"CLOSE",
		"READ",
		"WRITE",
		"QUERY_INFORMATION",
		"SET_INFORMATION",
		"QUERY_EA",
		"SET_EA",
		"FLUSH_BUFFERS",
		"QUERY_VOLUME_INFORMATION",
		"SET_VOLUME_INFORMATION",
		"DIRECTORY_CONTROL",
		"FILE_SYSTEM_CONTROL",
		"DEVICE_CONTROL",
		"INTERNAL_DEVICE_CONTROL",
		"SHUTDOWN",
		"LOCK_CONTROL",
		"CLEANUP",
		"CREATE_MAILSLOT",
		"QUERY_SECURITY",
		"SET_SECURITY",
		"POWER",
		"SYSTEM_CONTROL",
		"DEVICE_CHANGE",
		"QUERY_QUOTA",
		"SET_QUOTA",
		"PNP",
	};

	return major < sizeof(names) / sizeof(names[0]) ? names[major] : "?";
}

/*
 * pci.sys owns PnP, power and WMI for its PDOs and nothing else: a create,
 * an IOCTL or a read that reaches it (with the function driver's file
 * object) fails, and the function driver that passed it down broke the
 * rule that an IRP it does not handle is completed, not forwarded.
 */
static NTSTATUS not_owned(PIRP irp, PIO_STACK_LOCATION stack)
{
	const void *sender = io_irp_sender(irp);

	if (io_in_driver_image(sender))
		nt_violation(
			"IofCallDriver",
			"a function driver must not pass an IRP it does not own to the bus driver",
			sender, "IRP_MJ_%s (file object %p) sent to the PCI bus driver's PDO",
			major_name(stack->MajorFunction), (void *)stack->FileObject);
	irp->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
	irp->IoStatus.Information = 0;
	io_complete_request(irp, IO_HERE());
	return STATUS_INVALID_DEVICE_REQUEST;
}

static NTSTATUS bus_dispatch(PDEVICE_OBJECT device, PIRP irp)
{
	struct pnp_device *dev = io_device(device)->pnp;
	PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(irp);
	NTSTATUS status;

	switch (stack->MajorFunction) {
	case IRP_MJ_PNP:
		return bus_pnp(dev, irp, stack);
	case IRP_MJ_POWER:
		return bus_power(dev, irp, stack);
	case IRP_MJ_SYSTEM_CONTROL:
		/* Not a WMI provider for this function: the IRP goes back as it came. */
		status = irp->IoStatus.Status;
		io_complete_request(irp, IO_HERE());
		return status;
	default:
		return not_owned(irp, stack);
	}
}

PDEVICE_OBJECT pci_bus_create_pdo(struct pnp_device *dev)
{
	UNICODE_STRING name;
	PDEVICE_OBJECT pdo;
	char text[40];

	if (!bus_driver)
		bus_driver = io_driver_create("\\Driver\\pci", bus_dispatch);
	str_format(text, sizeof(text), "\\Device\\NTPNP_PCI%04u", dev->index);
	io_ustring_from_ascii(&name, text);
	if (!NT_SUCCESS(io_device_create(bus_driver, 0, &name, FILE_DEVICE_BUS_EXTENDER,
					 FILE_AUTOGENERATED_DEVICE_NAME, FALSE, IO_HERE(), &pdo)))
		pdo = NULL;
	io_ustring_free(&name);
	if (!pdo)
		return NULL;
	pdo->Flags |= DO_BUS_ENUMERATED_DEVICE | DO_POWER_PAGABLE;
	pdo->Flags &= ~DO_DEVICE_INITIALIZING;
	io_device(pdo)->pnp = dev;
	dev->dstate = PowerDeviceD0;
	return pdo;
}

void pci_bus_delete_pdo(struct pnp_device *dev)
{
	io_device_delete(dev->pdo);
	dev->pdo = NULL;
}
