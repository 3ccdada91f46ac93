/* SPDX-License-Identifier: MIT */
/*
 * The resource lists IRP_MN_START_DEVICE carries, raw (as the bus sees
 * them) and translated (as the CPU reaches them), in the same order: a
 * memory or port descriptor per implemented BAR, then the interrupt: one
 * message descriptor per MSI-X message granted, or the level-triggered,
 * shared line.  On x86 the BARs translate to themselves; interrupts
 * translate to a DIRQL and an IDT vector.
 *
 * The lists live in pages of their own, unmapped once START is over:
 * drivers must copy what they need from them during START.
 */
#include "io_internal.h"

#define LENGTH_32_MAX 0xFFFFFFFFull

static void memory_descriptor(PCM_PARTIAL_RESOURCE_DESCRIPTOR d, const struct pci_bar *bar)
{
	uint64_t len = bar->len;

	d->ShareDisposition = CmResourceShareDeviceExclusive;
	d->Flags = CM_RESOURCE_MEMORY_READ_WRITE |
		   (bar->prefetchable ? CM_RESOURCE_MEMORY_PREFETCHABLE : 0);
	d->u.Memory.Start.QuadPart = (LONGLONG)bar->addr;
	if (len <= LENGTH_32_MAX) {
		d->Type = CmResourceTypeMemory;
		d->u.Memory.Length = (ULONG)len;
		return;
	}
	/* Lengths past 4 GiB are kept shifted, in the smallest unit that holds them exactly. */
	d->Type = CmResourceTypeMemoryLarge;
	if (!(len & 0xFFu) && (len >> 8) <= LENGTH_32_MAX) {
		d->Flags |= CM_RESOURCE_MEMORY_LARGE_40;
		d->u.Memory40.Length40 = (ULONG)(len >> 8);
	} else if (!(len & 0xFFFFu) && (len >> 16) <= LENGTH_32_MAX) {
		d->Flags |= CM_RESOURCE_MEMORY_LARGE_48;
		d->u.Memory48.Length48 = (ULONG)(len >> 16);
	} else {
		d->Flags |= CM_RESOURCE_MEMORY_LARGE_64;
		d->u.Memory64.Length64 = (ULONG)(len >> 32);
	}
}

static void port_descriptor(PCM_PARTIAL_RESOURCE_DESCRIPTOR d, const struct pci_bar *bar)
{
	d->Type = CmResourceTypePort;
	d->ShareDisposition = CmResourceShareDeviceExclusive;
	d->Flags = CM_RESOURCE_PORT_IO;
	d->u.Port.Start.QuadPart = (LONGLONG)bar->addr;
	d->u.Port.Length = (ULONG)bar->len;
}

/* Descriptor i of the interrupt part: message i, or the line. */
static void interrupt_descriptors(const struct pnp_device *dev, unsigned i,
				  PCM_PARTIAL_RESOURCE_DESCRIPTOR raw,
				  PCM_PARTIAL_RESOURCE_DESCRIPTOR tr)
{
	const struct pnp_irq *irq = &dev->irq;

	raw->Type = tr->Type = CmResourceTypeInterrupt;
	if (irq->msix) {
		raw->ShareDisposition = tr->ShareDisposition = CmResourceShareDeviceExclusive;
		raw->Flags = tr->Flags =
			CM_RESOURCE_INTERRUPT_LATCHED | CM_RESOURCE_INTERRUPT_MESSAGE;
		raw->u.MessageInterrupt.Raw.MessageCount = 1;
		raw->u.MessageInterrupt.Raw.Vector = msi_data(irq->vectors[i]);
		raw->u.MessageInterrupt.Raw.Affinity = (KAFFINITY)-1;
		tr->u.MessageInterrupt.Translated.Level = IO_DEVICE_IRQL;
		tr->u.MessageInterrupt.Translated.Vector = irq->vectors[i];
		tr->u.MessageInterrupt.Translated.Affinity = 1;
		return;
	}
	raw->ShareDisposition = tr->ShareDisposition = CmResourceShareShared;
	raw->Flags = tr->Flags = CM_RESOURCE_INTERRUPT_LEVEL_SENSITIVE;
	raw->u.Interrupt.Level = raw->u.Interrupt.Vector = irq->gsi;
	raw->u.Interrupt.Affinity = (KAFFINITY)-1;
	tr->u.Interrupt.Level = IO_DEVICE_IRQL;
	tr->u.Interrupt.Vector = irq->line_vector;
	tr->u.Interrupt.Affinity = 1;
}

static size_t list_pages(unsigned count)
{
	size_t size =
		FIELD_OFFSET(CM_RESOURCE_LIST, List[0].PartialResourceList.PartialDescriptors) +
		count * sizeof(CM_PARTIAL_RESOURCE_DESCRIPTOR);

	return (size + PLAT_PAGE_SIZE - 1) / PLAT_PAGE_SIZE;
}

static PCM_RESOURCE_LIST list_new(const struct pnp_device *dev, unsigned count, uint64_t *pa)
{
	PCM_RESOURCE_LIST list = io_pages_map(list_pages(count), pa);

	list->Count = 1;
	list->List[0].InterfaceType = PCIBus;
	list->List[0].BusNumber = dev->bdf >> 8;
	list->List[0].PartialResourceList.Version = 1;
	list->List[0].PartialResourceList.Revision = 1;
	list->List[0].PartialResourceList.Count = count;
	return list;
}

void io_resources_build(struct pnp_device *dev)
{
	unsigned n = 0, interrupts = 0;
	PCM_PARTIAL_RESOURCE_DESCRIPTOR raw, tr;

	if (dev->irq.assigned)
		interrupts = dev->irq.msix ? dev->irq.messages : 1;
	dev->list_count = interrupts;
	for (unsigned b = 0; b < 6; b++)
		dev->list_count += dev->bars[b].addr != 0;
	dev->raw = list_new(dev, dev->list_count, &dev->raw_pa);
	dev->translated = list_new(dev, dev->list_count, &dev->translated_pa);
	raw = dev->raw->List[0].PartialResourceList.PartialDescriptors;
	tr = dev->translated->List[0].PartialResourceList.PartialDescriptors;
	for (unsigned b = 0; b < 6; b++) {
		const struct pci_bar *bar = &dev->bars[b];

		if (!bar->addr)
			continue;
		if (bar->io) {
			port_descriptor(&raw[n], bar);
			port_descriptor(&tr[n], bar);
		} else {
			memory_descriptor(&raw[n], bar);
			memory_descriptor(&tr[n], bar);
		}
		n++;
	}
	for (unsigned i = 0; i < interrupts; i++, n++)
		interrupt_descriptors(dev, i, &raw[n], &tr[n]);
}

void io_resources_free(struct pnp_device *dev)
{
	size_t pages = list_pages(dev->list_count);

	io_pages_unmap(dev->raw, pages, dev->raw_pa);
	io_pages_unmap(dev->translated, pages, dev->translated_pa);
	io_pages_release_va(dev->raw, pages);
	io_pages_release_va(dev->translated, pages);
	dev->raw = dev->translated = NULL;
}
