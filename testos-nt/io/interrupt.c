/* SPDX-License-Identifier: MIT */
/*
 * Device interrupts: the vectors the PnP manager assigns at START (MSI-X
 * messages, or the INTx line through the I/O APIC), IoConnectInterruptEx
 * and IoDisconnectInterruptEx, and the platform handlers that run a
 * driver's ISR at its DIRQL as the kernel's interrupt dispatch does.
 *
 * The line is shared as far as Windows is concerned: an ISR on it must
 * tell its own device's interrupts from others'.  The function's INTx
 * status bit (config space, readable without side effects) says whether
 * it is asserting; an ISR that claims an interrupt while its function is
 * gone or powered down is the interrupt storm of a shared line, and one
 * that leaves its own asserted interrupt unclaimed is a storm too.
 */
#include "io_internal.h"

/* Unclaimed interrupts in a row from an asserting function that make a storm. */
#define STORM_COUNT 1000u

struct io_interrupt {
	struct pnp_device *dev;
	ULONG message_id;
	PKMESSAGE_SERVICE_ROUTINE message_isr; /* NULL: the line's ISR */
	PKSERVICE_ROUTINE line_isr;
	PVOID context;
};

/* Run an ISR at the device's IRQL; whether it claimed the interrupt. */
static bool run_isr(struct io_interrupt *obj)
{
	const void *isr =
		obj->message_isr ? (const void *)obj->message_isr : (const void *)obj->line_isr;
	BOOLEAN claimed;

	nt_set_irql(IO_DEVICE_IRQL);
	if (obj->message_isr)
		claimed = obj->message_isr((PKINTERRUPT)obj, obj->context, obj->message_id);
	else
		claimed = obj->line_isr((PKINTERRUPT)obj, obj->context);
	if (nt_irql() != IO_DEVICE_IRQL)
		nt_violation("interrupt", "an ISR must return at the IRQL it was called at", isr,
			     "called at DIRQL %u, returned at %u", IO_DEVICE_IRQL, nt_irql());
	return claimed;
}

static void message_interrupt(void *ctx, uint8_t vector)
{
	struct pnp_device *dev = ctx;
	KIRQL interrupted = nt_irql();

	for (unsigned i = 0; i < dev->irq.nobjects && dev->irq.version == CONNECT_MESSAGE_BASED;
	     i++) {
		if (dev->irq.vectors[i] != vector)
			continue;
		if (dev->irq.held)
			dev->irq.pending |= 1u << i;
		else
			run_isr(&dev->irq.objects[i]);
	}
	lapic_eoi();
	nt_set_irql(interrupted);
}

void pnp_hold_interrupts(struct pnp_device *dev, bool hold)
{
	KIRQL was = nt_irql();
	uint32_t pending;

	/* The line is level-triggered: masked, it stays asserted and fires once unmasked. */
	if (!dev->irq.msix && dev->irq.assigned) {
		ioapic_mask(dev->irq.gsi, hold || !io_irq_connected(dev));
		return;
	}
	nt_set_irql(IO_DEVICE_IRQL);
	dev->irq.held = hold;
	pending = hold ? 0 : dev->irq.pending;
	if (!hold)
		dev->irq.pending = 0;
	for (unsigned i = 0; i < dev->irq.nobjects && dev->irq.version == CONNECT_MESSAGE_BASED;
	     i++)
		if (pending & (1u << i))
			run_isr(&dev->irq.objects[i]);
	nt_set_irql(was);
}

/* The line ISR's answer checked against what the function is doing. */
static void check_line_claim(struct pnp_device *dev, bool claimed, bool asserted, bool spurious)
{
	const void *isr = (const void *)dev->irq.objects->line_isr;

	if (claimed && (dev->gone || dev->dstate != PowerDeviceD0))
		nt_violation("interrupt",
			     "a line ISR must not claim an interrupt of a device that is gone", isr,
			     "the function is %s and reads as all ones: a storm on a shared line",
			     dev->gone ? "surprise removed" : "powered down");
	if (claimed && spurious && !asserted)
		nt_violation(
			"interrupt",
			"a line ISR must return FALSE for an interrupt its device did not raise",
			isr, "another device on the shared line interrupted");
	if (claimed || !asserted) {
		dev->irq.unclaimed = 0;
		return;
	}
	if (++dev->irq.unclaimed == STORM_COUNT)
		nt_violation(
			"interrupt", "a line ISR must claim its own device's interrupt", isr,
			"%u interrupts in a row left unclaimed while the function asserts INTx",
			STORM_COUNT);
}

static void line_interrupt(void *ctx, uint8_t vector)
{
	struct pnp_device *dev = ctx;
	KIRQL interrupted = nt_irql();
	bool asserted = pci_function_intx_asserted(dev);

	if (dev->irq.objects && dev->irq.version == CONNECT_LINE_BASED)
		check_line_claim(dev, run_isr(dev->irq.objects), asserted, false);
	lapic_eoi();
	nt_set_irql(interrupted);
}

bool pnp_shared_line_interrupt(struct pnp_device *dev)
{
	KIRQL interrupted = nt_irql();
	bool asserted = pci_function_intx_asserted(dev);

	if (!dev->irq.objects || dev->irq.version != CONNECT_LINE_BASED)
		return false;
	if (interrupted >= IO_DEVICE_IRQL)
		nt_violation("I/O manager", "an interrupt arrives only below its DIRQL", IO_HERE(),
			     "IRQL %u", interrupted);
	check_line_claim(dev, run_isr(dev->irq.objects), asserted, true);
	nt_set_irql(interrupted);
	return true;
}

/* ---- resources ---------------------------------------------------------------- */

bool io_irq_assign(struct pnp_device *dev)
{
	struct pnp_irq *irq = &dev->irq;
	unsigned n = dev->irq_mode == PNP_IRQ_MSIX ? pci_function_msix_size(dev->bdf) : 0;

	memset(irq, 0, sizeof(*irq));
	if (n > IO_MAX_MESSAGES)
		n = IO_MAX_MESSAGES;
	while (irq->messages < n) {
		uint8_t v = irq_vector_alloc(IO_DEVICE_IRQL, message_interrupt, dev);

		if (!v)
			break;
		irq->vectors[irq->messages++] = v;
	}
	irq->msix = irq->messages > 0;
	irq->assigned = true;
	if (irq->msix)
		return true;
	irq->gsi = pci_intx_gsi(dev->bdf);
	irq->line_vector = irq_vector_alloc(IO_DEVICE_IRQL, line_interrupt, dev);
	if (!irq->line_vector || ioapic_route(irq->gsi, irq->line_vector)) {
		if (irq->line_vector)
			irq_vector_free(irq->line_vector);
		memset(irq, 0, sizeof(*irq));
		return false;
	}
	ioapic_mask(irq->gsi, true);
	pci_function_use_intx(dev);
	return true;
}

void io_irq_release(struct pnp_device *dev)
{
	struct pnp_irq *irq = &dev->irq;

	if (!irq->assigned)
		return;
	for (unsigned i = 0; i < irq->messages; i++)
		irq_vector_free(irq->vectors[i]);
	if (irq->line_vector) {
		ioapic_mask(irq->gsi, true);
		irq_vector_free(irq->line_vector);
	}
	irq->assigned = false;
	irq->messages = 0;
	irq->line_vector = 0;
}

bool pnp_function_has_msix(struct pnp_device *dev)
{
	return pci_function_msix_size(dev->bdf) > 0;
}

bool io_irq_connected(const struct pnp_device *dev)
{
	return dev->irq.objects != NULL;
}

/* ---- connecting ---------------------------------------------------------------- */

static struct pnp_device *started_pdo(PDEVICE_OBJECT pdo, const void *caller)
{
	struct io_device *io = io_device(pdo);
	struct pnp_device *dev = io && !io->deleted ? io->pnp : NULL;

	if (!dev)
		nt_violation("IoConnectInterruptEx",
			     "PhysicalDeviceObject must be the device's PDO", caller,
			     "%p is not a PDO", (void *)pdo);
	if (!dev->bus_started || !dev->irq.assigned)
		nt_violation("IoConnectInterruptEx",
			     "interrupts are connected once the bus driver has started the device",
			     caller, "PDO %p has no interrupt resources now", (void *)pdo);
	if (dev->irq.objects)
		nt_violation("IoConnectInterruptEx", "the device's interrupts are connected once",
			     caller, "PDO %p is connected already", (void *)pdo);
	return dev;
}

static PKINTERRUPT connect_line(struct pnp_device *dev, PKSERVICE_ROUTINE isr, PVOID context)
{
	struct io_interrupt *obj = io_zalloc(sizeof(*obj));

	obj->dev = dev;
	obj->line_isr = isr;
	obj->context = context;
	dev->irq.version = CONNECT_LINE_BASED;
	dev->irq.unclaimed = 0;
	dev->irq.nobjects = 1;
	dev->irq.objects = obj;
	ioapic_mask(dev->irq.gsi, false);
	return (PKINTERRUPT)obj;
}

static NTSTATUS connect_messages(struct pnp_device *dev, PIO_CONNECT_INTERRUPT_PARAMETERS p)
{
	unsigned n = dev->irq.messages;
	size_t size = FIELD_OFFSET(IO_INTERRUPT_MESSAGE_INFO, MessageInfo) +
		      n * sizeof(IO_INTERRUPT_MESSAGE_INFO_ENTRY);
	PIO_INTERRUPT_MESSAGE_INFO table =
		nt_pool_alloc_harness(NonPagedPoolNx, size, IO_TAG_INTERRUPT);
	struct io_interrupt *objects = io_zalloc(n * sizeof(*objects));

	memset(table, 0, size);
	table->UnifiedIrql = IO_DEVICE_IRQL;
	table->MessageCount = n;
	for (unsigned i = 0; i < n; i++) {
		PIO_INTERRUPT_MESSAGE_INFO_ENTRY e = &table->MessageInfo[i];

		objects[i] =
			(struct io_interrupt){ .dev = dev,
					       .message_id = i,
					       .message_isr = p->MessageBased.MessageServiceRoutine,
					       .context = p->MessageBased.ServiceContext };
		e->MessageAddress.QuadPart = (LONGLONG)msi_address();
		e->TargetProcessorSet = 1;
		e->InterruptObject = (PKINTERRUPT)&objects[i];
		e->MessageData = msi_data(dev->irq.vectors[i]);
		e->Vector = dev->irq.vectors[i];
		e->Irql = IO_DEVICE_IRQL;
		e->Mode = Latched;
		e->Polarity = InterruptRisingEdge;
		if (!pci_function_msix_program(dev, i, msi_address(), e->MessageData)) {
			nt_pool_free_harness(table);
			heap_free(objects);
			return STATUS_DEVICE_CONFIGURATION_ERROR;
		}
	}
	dev->irq.version = CONNECT_MESSAGE_BASED;
	dev->irq.table = table;
	dev->irq.nobjects = n;
	dev->irq.objects = objects;
	pci_function_msix_enable(dev, true);
	*p->MessageBased.ConnectionContext.InterruptMessageTable = table;
	return STATUS_SUCCESS;
}

/*
 * CONNECT_MESSAGE_BASED (messages if the device was given any, otherwise
 * the fallback ISR on the line) and CONNECT_LINE_BASED.  The harness does
 * not offer CONNECT_FULLY_SPECIFIED: it names a vector from the resources
 * instead of the PDO, which vgpu.sys has no use for.
 */
/* learn.microsoft.com: wdm/nf-wdm-ioconnectinterruptex */
NTSTATUS IoConnectInterruptEx(PIO_CONNECT_INTERRUPT_PARAMETERS Parameters)
{
	const void *caller = __builtin_return_address(0);
	struct pnp_device *dev;

	nt_require_irql("IoConnectInterruptEx", PASSIVE_LEVEL, caller);
	if (!Parameters)
		return STATUS_INVALID_PARAMETER;
	switch (Parameters->Version) {
	case CONNECT_MESSAGE_BASED:
		dev = started_pdo(Parameters->MessageBased.PhysicalDeviceObject, caller);
		if (!Parameters->MessageBased.ConnectionContext.Generic)
			return STATUS_INVALID_PARAMETER;
		if (dev->irq.msix) {
			if (!Parameters->MessageBased.MessageServiceRoutine)
				return STATUS_INVALID_PARAMETER;
			return connect_messages(dev, Parameters);
		}
		if (!Parameters->MessageBased.FallBackServiceRoutine)
			return STATUS_INVALID_PARAMETER;
		Parameters->Version = CONNECT_LINE_BASED;
		*Parameters->MessageBased.ConnectionContext.InterruptObject =
			connect_line(dev, Parameters->MessageBased.FallBackServiceRoutine,
				     Parameters->MessageBased.ServiceContext);
		return STATUS_SUCCESS;
	case CONNECT_LINE_BASED:
		dev = started_pdo(Parameters->LineBased.PhysicalDeviceObject, caller);
		if (!Parameters->LineBased.InterruptObject || !Parameters->LineBased.ServiceRoutine)
			return STATUS_INVALID_PARAMETER;
		if (dev->irq.msix)
			return STATUS_INVALID_DEVICE_REQUEST;
		*Parameters->LineBased.InterruptObject =
			connect_line(dev, Parameters->LineBased.ServiceRoutine,
				     Parameters->LineBased.ServiceContext);
		return STATUS_SUCCESS;
	case CONNECT_FULLY_SPECIFIED:
		return STATUS_NOT_SUPPORTED;
	default:
		return STATUS_INVALID_PARAMETER_1;
	}
}

/* The device whose connection `context` is. */
static struct pnp_device *connection_of(PVOID context)
{
	struct pnp_device *dev;

	for (unsigned i = 0; (dev = pnp_device(i)) != NULL; i++) {
		if (!dev->irq.objects)
			continue;
		if (dev->irq.version == CONNECT_MESSAGE_BASED ? context == dev->irq.table
							      : context == dev->irq.objects)
			return dev;
	}
	return NULL;
}

/* learn.microsoft.com: wdm/nf-wdm-iodisconnectinterruptex */
void IoDisconnectInterruptEx(PIO_DISCONNECT_INTERRUPT_PARAMETERS Parameters)
{
	const void *caller = __builtin_return_address(0);
	struct pnp_device *dev;

	nt_require_irql("IoDisconnectInterruptEx", PASSIVE_LEVEL, caller);
	dev = Parameters ? connection_of(Parameters->ConnectionContext.Generic) : NULL;
	if (!dev)
		nt_violation("IoDisconnectInterruptEx",
			     "ConnectionContext must be what IoConnectInterruptEx returned", caller,
			     "%p is no connected interrupt",
			     Parameters ? Parameters->ConnectionContext.Generic : NULL);
	if (Parameters->Version != dev->irq.version)
		nt_violation("IoDisconnectInterruptEx",
			     "Version must be the one IoConnectInterruptEx returned", caller,
			     "%lu given, %lu connected", (unsigned long)Parameters->Version,
			     (unsigned long)dev->irq.version);
	if (dev->irq.version == CONNECT_MESSAGE_BASED) {
		pci_function_msix_enable(dev, false);
		nt_pool_free_harness(dev->irq.table);
		dev->irq.table = NULL;
	} else {
		ioapic_mask(dev->irq.gsi, true);
	}
	heap_free(dev->irq.objects);
	dev->irq.objects = NULL;
	dev->irq.nobjects = 0;
}
