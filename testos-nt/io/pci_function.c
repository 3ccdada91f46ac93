/* SPDX-License-Identifier: MIT */
/*
 * The registers of a PCI function as its bus driver touches them:
 * configuration space (all ones once the function is gone), the MSI-X
 * capability and table, the virtio common configuration's device_status
 * (what a power loss resets), and the command register a D3 transition
 * turns decoding off in.
 *
 * BAR memory below 4 GiB is reached through the identity map; above it,
 * through a system page mapped for the one access.
 */
#include "io_internal.h"

#define PCI_COMMAND 0x04u
#define PCI_STATUS 0x06u
#define PCI_CAPABILITY_LIST 0x34u
#define PCI_COMMAND_IO 0x0001u
#define PCI_COMMAND_MEMORY 0x0002u
#define PCI_COMMAND_MASTER 0x0004u
#define PCI_COMMAND_INTX_DISABLE 0x0400u
#define PCI_STATUS_INTERRUPT 0x0008u
#define PCI_STATUS_CAP_LIST 0x0010u
#define PCI_CONFIG_SIZE 256u
#define PCI_MAX_CAPS 48u

#define PCI_CAP_ID_VENDOR 0x09u
#define PCI_CAP_ID_MSIX 0x11u
#define MSIX_CONTROL 2u
#define MSIX_TABLE 4u
#define MSIX_CONTROL_SIZE_MASK 0x07FFu
#define MSIX_CONTROL_FUNCTION_MASK 0x4000u
#define MSIX_CONTROL_ENABLE 0x8000u
#define MSIX_TABLE_BIR_MASK 0x7u
#define MSIX_ENTRY_SIZE 16u

/* struct virtio_pci_cap (virtio 1.x, 4.1.4) and the common configuration's device_status */
#define VIRTIO_CAP_CFG_TYPE 3u
#define VIRTIO_CAP_BAR 4u
#define VIRTIO_CAP_OFFSET 8u
#define VIRTIO_CAP_COMMON_CFG 1u
#define VIRTIO_COMMON_DEVICE_STATUS 20u

#define FOUR_GIB (1ull << 32)

uint32_t pci_function_config(struct pnp_device *dev, uint32_t offset, unsigned width)
{
	if (dev->gone)
		return width == 4 ? 0xFFFFFFFFu : (1u << (8 * width)) - 1;
	return pci_cfg_read(dev->bdf, offset, width);
}

/* The first capability `id` after the one at `prev` (0: from the start of the list); 0 if none. */
static unsigned capability_after(uint32_t bdf, unsigned prev, uint8_t id)
{
	unsigned pos;

	if (!(pci_cfg_read(bdf, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	pos = pci_cfg_read(bdf, prev ? prev + 1 : PCI_CAPABILITY_LIST, 1) & ~3u;
	for (unsigned n = 0; n < PCI_MAX_CAPS && pos >= 0x40 && pos < PCI_CONFIG_SIZE; n++) {
		if (pci_cfg_read(bdf, pos, 1) == id)
			return pos;
		pos = pci_cfg_read(bdf, pos + 1, 1) & ~3u;
	}
	return 0;
}

unsigned pci_function_capability(uint32_t bdf, uint8_t id)
{
	return capability_after(bdf, 0, id);
}

/* One access of `width` bytes at `offset` into memory BAR `bar`; false if it is not there. */
static bool bar_access(struct pnp_device *dev, unsigned bar, uint64_t offset, unsigned width,
		       uint32_t *value, bool write)
{
	const struct pci_bar *b = &dev->bars[bar];
	uint64_t pa = b->addr + offset, page = pa & ~(uint64_t)(PLAT_PAGE_SIZE - 1), va = 0;
	volatile uint8_t *p;

	if (bar >= 6 || !b->addr || b->io || offset > b->len || width > b->len - offset)
		return false;
	if (pa + width > FOUR_GIB) {
		va = sysva_alloc(1);
		if (!va || vm_map(va, page, 1, VM_WRITE | VM_NX | VM_UNCACHED))
			nt_violation("I/O manager",
				     "the harness must not run out of its own memory", IO_HERE(),
				     "a system page for BAR %u", bar);
		p = (volatile uint8_t *)(uintptr_t)(va + (pa - page));
	} else {
		p = (volatile uint8_t *)(uintptr_t)pa;
	}
	if (write && width == 1)
		*p = (uint8_t)*value;
	else if (write)
		*(volatile uint32_t *)p = *value;
	else
		*value = width == 1 ? *p : *(volatile uint32_t *)p;
	if (va) {
		vm_unmap(va, 1);
		sysva_free(va, 1);
	}
	return true;
}

void pci_function_virtio_reset(struct pnp_device *dev)
{
	uint32_t zero = 0;
	unsigned pos = 0, n = 0;

	while (n++ < PCI_MAX_CAPS && (pos = capability_after(dev->bdf, pos, PCI_CAP_ID_VENDOR))) {
		if (pci_cfg_read(dev->bdf, pos + VIRTIO_CAP_CFG_TYPE, 1) != VIRTIO_CAP_COMMON_CFG)
			continue;
		bar_access(dev, pci_cfg_read(dev->bdf, pos + VIRTIO_CAP_BAR, 1),
			   pci_cfg_read(dev->bdf, pos + VIRTIO_CAP_OFFSET, 4) +
				   VIRTIO_COMMON_DEVICE_STATUS,
			   1, &zero, true);
		return;
	}
}

/* PCI power management: a function in D3hot answers configuration cycles only. */
void pci_function_power_down(struct pnp_device *dev)
{
	dev->saved_command = (uint16_t)pci_cfg_read(dev->bdf, PCI_COMMAND, 2);
	pci_cfg_write(dev->bdf, PCI_COMMAND, 2,
		      dev->saved_command &
			      ~(PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_MASTER));
}

void pci_function_power_up(struct pnp_device *dev)
{
	if (!dev->gone)
		pci_cfg_write(dev->bdf, PCI_COMMAND, 2, dev->saved_command);
}

void pci_function_enable(struct pnp_device *dev)
{
	if (!dev->gone)
		pci_cfg_write(dev->bdf, PCI_COMMAND, 2,
			      pci_cfg_read(dev->bdf, PCI_COMMAND, 2) | PCI_COMMAND_MEMORY |
				      PCI_COMMAND_MASTER);
}

unsigned pci_function_msix_size(uint32_t bdf)
{
	unsigned cap = pci_function_capability(bdf, PCI_CAP_ID_MSIX);

	if (!cap)
		return 0;
	return (pci_cfg_read(bdf, cap + MSIX_CONTROL, 2) & MSIX_CONTROL_SIZE_MASK) + 1;
}

bool pci_function_msix_program(struct pnp_device *dev, unsigned entry, uint64_t address,
			       uint32_t data)
{
	unsigned cap = pci_function_capability(dev->bdf, PCI_CAP_ID_MSIX);
	uint32_t table, bar, words[4] = { (uint32_t)address, (uint32_t)(address >> 32), data, 0 };
	uint64_t at;

	if (!cap)
		return false;
	table = pci_cfg_read(dev->bdf, cap + MSIX_TABLE, 4);
	bar = table & MSIX_TABLE_BIR_MASK;
	at = (table & ~MSIX_TABLE_BIR_MASK) + (uint64_t)entry * MSIX_ENTRY_SIZE;
	for (unsigned i = 0; i < 4; i++) {
		if (!bar_access(dev, bar, at + 4 * i, 4, &words[i], true))
			return false;
	}
	return true;
}

void pci_function_msix_enable(struct pnp_device *dev, bool enable)
{
	unsigned cap = pci_function_capability(dev->bdf, PCI_CAP_ID_MSIX);
	uint32_t control;

	if (!cap)
		return;
	control = pci_cfg_read(dev->bdf, cap + MSIX_CONTROL, 2) & ~MSIX_CONTROL_FUNCTION_MASK;
	control = enable ? control | MSIX_CONTROL_ENABLE : control & ~MSIX_CONTROL_ENABLE;
	pci_cfg_write(dev->bdf, cap + MSIX_CONTROL, 2, control);
}

/* The line as the function's interrupt: MSI-X off (as firmware may have left it), INTx on. */
void pci_function_use_intx(struct pnp_device *dev)
{
	pci_function_msix_enable(dev, false);
	pci_cfg_write(dev->bdf, PCI_COMMAND, 2,
		      pci_cfg_read(dev->bdf, PCI_COMMAND, 2) & ~PCI_COMMAND_INTX_DISABLE);
}

bool pci_function_intx_asserted(struct pnp_device *dev)
{
	return !dev->gone && (pci_cfg_read(dev->bdf, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
}

/* Surprise removal: the function stops decoding, mastering and signalling interrupts. */
void pci_function_disappear(struct pnp_device *dev)
{
	uint32_t command = pci_cfg_read(dev->bdf, PCI_COMMAND, 2);

	pci_function_msix_enable(dev, false);
	pci_cfg_write(dev->bdf, PCI_COMMAND, 2,
		      (command & ~(PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_MASTER)) |
			      PCI_COMMAND_INTX_DISABLE);
	dev->gone = true;
}
