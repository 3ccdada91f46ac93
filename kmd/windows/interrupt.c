/* SPDX-License-Identifier: MIT */
/*
 * Interrupts: message-signalled (MSI-X) when Windows grants them, the
 * line otherwise (IoConnectInterruptEx falls back by itself).  The ISR
 * only queues the DPC; the DPC drains the used ring through the core.
 *
 * With MSI-X the device raises nothing until the driver names a vector
 * per queue (virtio 1.x, 4.1.4.3/4.1.5.1.2), so the transport is told to
 * route every queue to message 0 and configuration changes nowhere: vgpu
 * has no use for display events.
 */
#include "vgpu_win.h"

static KSERVICE_ROUTINE win_isr_line;
static KMESSAGE_SERVICE_ROUTINE win_isr_message;
static KDEFERRED_ROUTINE win_dpc;

static BOOLEAN win_isr_line(PKINTERRUPT interrupt, PVOID context)
{
	struct win_device *dev = context;

	/*
	 * A shared line: the ISR byte (read-and-clear) says whether it was us.
	 * A function that does not decode (in D3, or gone) reads as all ones,
	 * which must not pass for ours: the line would stay asserted forever.
	 */
	uint32_t isr = dev->transport.ops->isr(dev->transport.priv);

	if (isr == 0 || isr == 0xFFu)
		return FALSE;
	KeInsertQueueDpc(&dev->irq.dpc, NULL, NULL);
	return TRUE;
}

static BOOLEAN win_isr_message(PKINTERRUPT interrupt, PVOID context, ULONG message_id)
{
	struct win_device *dev = context;

	KeInsertQueueDpc(&dev->irq.dpc, NULL, NULL);
	return TRUE;
}

static void win_dpc(PKDPC dpc, PVOID context, PVOID arg1, PVOID arg2)
{
	struct win_device *dev = context;
	struct vgpu_device *core = dev->core;

	if (core)
		vgpu_device_interrupt(core);
}

NTSTATUS win_irq_connect(struct win_device *dev)
{
	IO_CONNECT_INTERRUPT_PARAMETERS params;
	NTSTATUS status;

	KeInitializeDpc(&dev->irq.dpc, win_dpc, dev);
	RtlZeroMemory(&params, sizeof(params));
	params.Version = CONNECT_MESSAGE_BASED;
	params.MessageBased.PhysicalDeviceObject = dev->pdo;
	params.MessageBased.ConnectionContext.Generic = &dev->irq.connection;
	params.MessageBased.MessageServiceRoutine = win_isr_message;
	params.MessageBased.ServiceContext = dev;
	params.MessageBased.FallBackServiceRoutine = win_isr_line;
	status = IoConnectInterruptEx(&params);
	if (!NT_SUCCESS(status))
		return status;
	dev->irq.version = params.Version;
	dev->irq.connected = TRUE;
	if (params.Version == CONNECT_MESSAGE_BASED)
		vgpu_virtio_pci_set_msix(&dev->vp, VGPU_VIRTIO_MSI_NO_VECTOR, 0);
	else
		vgpu_virtio_pci_set_msix(&dev->vp, VGPU_VIRTIO_MSI_NO_VECTOR,
					 VGPU_VIRTIO_MSI_NO_VECTOR);
	return STATUS_SUCCESS;
}

/* After this no ISR or DPC of ours runs any more.  PASSIVE. */
void win_irq_disconnect(struct win_device *dev)
{
	IO_DISCONNECT_INTERRUPT_PARAMETERS params;

	if (!dev->irq.connected)
		return;
	RtlZeroMemory(&params, sizeof(params));
	params.Version = dev->irq.version;
	params.ConnectionContext.Generic = dev->irq.connection;
	IoDisconnectInterruptEx(&params);
	dev->irq.connected = FALSE;
	KeFlushQueuedDpcs();
}
