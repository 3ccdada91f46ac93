/* SPDX-License-Identifier: MIT */
/*
 * The PCI function as the core's virtio-pci transport sees it: a cached
 * copy of config space (read once at start with IRP_MN_READ_CONFIG; the
 * capability list does not change while the device runs) and the memory
 * BARs, matched from the raw resources to the BAR registers and mapped
 * from the translated ones.
 */
#include "vgpu_win.h"

#define PCI_BAR0 0x10u
#define PCI_BAR_IO 0x1u
#define PCI_BAR_TYPE_MASK 0x6u
#define PCI_BAR_TYPE_64 0x4u
#define PCI_BAR_ADDR_MASK (~0xFull)

NTSTATUS win_hw_read_config(struct win_device *dev)
{
	IO_STATUS_BLOCK iosb;
	PIO_STACK_LOCATION stack;
	KEVENT done;
	NTSTATUS status;
	PIRP irp;

	KeInitializeEvent(&done, NotificationEvent, FALSE);
	irp = IoBuildSynchronousFsdRequest(IRP_MJ_PNP, dev->lower, NULL, 0, NULL, &done, &iosb);
	if (!irp)
		return STATUS_INSUFFICIENT_RESOURCES;
	irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
	stack = IoGetNextIrpStackLocation(irp);
	stack->MinorFunction = IRP_MN_READ_CONFIG;
	stack->Parameters.ReadWriteConfig.WhichSpace = PCI_WHICHSPACE_CONFIG;
	stack->Parameters.ReadWriteConfig.Buffer = dev->pci_cfg;
	stack->Parameters.ReadWriteConfig.Offset = 0;
	stack->Parameters.ReadWriteConfig.Length = sizeof(dev->pci_cfg);
	status = IoCallDriver(dev->lower, irp);
	if (status == STATUS_PENDING) {
		KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, NULL);
		status = iosb.Status;
	}
	if (NT_SUCCESS(status) && iosb.Information != sizeof(dev->pci_cfg))
		status = STATUS_DEVICE_CONFIGURATION_ERROR;
	return status;
}

static ULONG cfg_dword(const struct win_device *dev, ULONG offset)
{
	const UCHAR *p = dev->pci_cfg + offset;

	return p[0] | (ULONG)p[1] << 8 | (ULONG)p[2] << 16 | (ULONG)p[3] << 24;
}

/* The BAR whose bus address is `raw_start`; VGPU_PCI_BARS if none. */
static ULONG bar_of(const struct win_device *dev, ULONGLONG raw_start)
{
	ULONG i;

	for (i = 0; i < VGPU_PCI_BARS; i++) {
		ULONG lo = cfg_dword(dev, PCI_BAR0 + 4 * i);
		ULONGLONG addr = lo & PCI_BAR_ADDR_MASK;
		BOOLEAN is64 = (lo & PCI_BAR_TYPE_MASK) == PCI_BAR_TYPE_64;

		if (lo & PCI_BAR_IO)
			continue;
		if (is64 && i + 1 < VGPU_PCI_BARS)
			addr |= (ULONGLONG)cfg_dword(dev, PCI_BAR0 + 4 * (i + 1)) << 32;
		if (addr == raw_start && addr != 0)
			return i;
		if (is64)
			i++;
	}
	return VGPU_PCI_BARS;
}

/* Large memory descriptors keep the length shifted (CM_RESOURCE_MEMORY_LARGE_*). */
static ULONGLONG memory_length(const CM_PARTIAL_RESOURCE_DESCRIPTOR *d)
{
	if (d->Type != CmResourceTypeMemoryLarge)
		return d->u.Memory.Length;
	if (d->Flags & CM_RESOURCE_MEMORY_LARGE_40)
		return (ULONGLONG)d->u.Memory40.Length40 << 8;
	if (d->Flags & CM_RESOURCE_MEMORY_LARGE_48)
		return (ULONGLONG)d->u.Memory48.Length48 << 16;
	if (d->Flags & CM_RESOURCE_MEMORY_LARGE_64)
		return (ULONGLONG)d->u.Memory64.Length64 << 32;
	return 0;
}

NTSTATUS win_hw_find_bars(struct win_device *dev, PCM_RESOURCE_LIST raw,
			  PCM_RESOURCE_LIST translated)
{
	PCM_PARTIAL_RESOURCE_LIST raw_list, tr_list;
	ULONG i, found = 0;

	RtlZeroMemory(dev->bars, sizeof(dev->bars));
	if (!raw || !translated || raw->Count < 1 || translated->Count < 1)
		return STATUS_DEVICE_CONFIGURATION_ERROR;
	raw_list = &raw->List[0].PartialResourceList;
	tr_list = &translated->List[0].PartialResourceList;
	if (raw_list->Count != tr_list->Count)
		return STATUS_DEVICE_CONFIGURATION_ERROR;
	for (i = 0; i < raw_list->Count; i++) {
		PCM_PARTIAL_RESOURCE_DESCRIPTOR r = &raw_list->PartialDescriptors[i];
		PCM_PARTIAL_RESOURCE_DESCRIPTOR t = &tr_list->PartialDescriptors[i];
		ULONG bar;

		if (t->Type != CmResourceTypeMemory && t->Type != CmResourceTypeMemoryLarge)
			continue;
		bar = bar_of(dev, (ULONGLONG)r->u.Memory.Start.QuadPart);
		if (bar == VGPU_PCI_BARS)
			continue;
		dev->bars[bar].phys = t->u.Memory.Start;
		dev->bars[bar].len = memory_length(t);
		found++;
	}
	return found ? STATUS_SUCCESS : STATUS_DEVICE_CONFIGURATION_ERROR;
}

PVOID win_map_io(PHYSICAL_ADDRESS phys, SIZE_T len, MEMORY_CACHING_TYPE cache)
{
	ULONG protect = PAGE_READWRITE;

	if (!win_routines.map_io_space_ex)
		return MmMapIoSpace(phys, len, cache);
	if (cache == MmNonCached)
		protect |= PAGE_NOCACHE;
	else if (cache == MmWriteCombined)
		protect |= PAGE_WRITECOMBINE;
	return win_routines.map_io_space_ex(phys, len, protect);
}

/* os->bar_map: map `len` bytes at `offset` of a memory BAR; NULL if it does not fit. */
volatile void *win_bar_map(void *ctx, uint32_t bar, uint64_t offset, uint64_t len)
{
	struct win_device *dev = ctx;
	PHYSICAL_ADDRESS phys;
	PVOID va;

	if (bar >= VGPU_PCI_BARS || len == 0 || dev->nio_maps == VGPU_MAX_IO_MAPS)
		return NULL;
	if (offset > dev->bars[bar].len || len > dev->bars[bar].len - offset || len > MAXULONG)
		return NULL;
	phys.QuadPart = dev->bars[bar].phys.QuadPart + (LONGLONG)offset;
	va = win_map_io(phys, (SIZE_T)len, MmNonCached);
	if (!va)
		return NULL;
	dev->io_maps[dev->nio_maps].va = va;
	dev->io_maps[dev->nio_maps].len = (SIZE_T)len;
	dev->nio_maps++;
	return va;
}

void win_hw_unmap_all(struct win_device *dev)
{
	while (dev->nio_maps) {
		dev->nio_maps--;
		MmUnmapIoSpace(dev->io_maps[dev->nio_maps].va, dev->io_maps[dev->nio_maps].len);
	}
}

/* os->pci_cfg_read: from the cached config space; all ones outside it, as PCI reads. */
uint32_t win_pci_cfg_read(void *ctx, uint32_t offset, uint32_t width)
{
	struct win_device *dev = ctx;
	uint32_t value = 0, i;

	if ((width != 1 && width != 2 && width != 4) || offset >= sizeof(dev->pci_cfg) ||
	    width > sizeof(dev->pci_cfg) - offset)
		return 0xFFFFFFFFu;
	for (i = 0; i < width; i++)
		value |= (uint32_t)dev->pci_cfg[offset + i] << (8 * i);
	return value;
}
