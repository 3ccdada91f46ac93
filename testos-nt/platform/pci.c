/* SPDX-License-Identifier: MIT */
/* PCI configuration space through mechanism #1 (ports 0xCF8/0xCFC), and BAR sizing. */
#include "cpu.h"
#include "internal.h"

#define PCI_ADDRESS_PORT 0xCF8u
#define PCI_DATA_PORT 0xCFCu
#define PCI_ENABLE 0x80000000u
#define CONFIG_BYTES 256u

#define CFG_COMMAND 0x04u
#define CFG_HEADER_TYPE 0x0Eu
#define CFG_BAR0 0x10u
#define CFG_INTERRUPT_LINE 0x3Cu
#define COMMAND_IO 0x0001u
#define COMMAND_MEMORY 0x0002u
#define HEADER_LAYOUT 0x7Fu
#define HEADER_BRIDGE 0x01u
#define BARS_DEVICE 6u
#define BARS_BRIDGE 2u
#define BAR_IO 0x1u
#define BAR_TYPE_MASK 0x6u
#define BAR_TYPE_64 0x4u
#define BAR_PREFETCHABLE 0x8u
#define BAR_IO_ADDR 0xFFFFFFFCu
#define BAR_MEM_ADDR 0xFFFFFFF0u

static void select(uint32_t bdf, uint32_t offset)
{
	outl(PCI_ADDRESS_PORT, PCI_ENABLE | (bdf & 0xFFFFu) << 8 | (offset & 0xFCu));
}

static bool valid(uint32_t offset, unsigned width)
{
	return (width == 1 || width == 2 || width == 4) && offset < CONFIG_BYTES &&
	       offset % width == 0;
}

uint32_t pci_cfg_read(uint32_t bdf, uint32_t offset, unsigned width)
{
	uint16_t port = (uint16_t)(PCI_DATA_PORT + (offset & 3u));

	if (!valid(offset, width))
		plat_panic("pci_cfg_read(%x, %x, %u): not a configuration register", bdf, offset,
			   width);
	select(bdf, offset);
	if (width == 1)
		return inb(port);
	if (width == 2)
		return inw(port);
	return inl(port);
}

/* Sub-dword writes use narrow cycles, so that neighbouring fields (status bits) are untouched. */
void pci_cfg_write(uint32_t bdf, uint32_t offset, unsigned width, uint32_t value)
{
	uint16_t port = (uint16_t)(PCI_DATA_PORT + (offset & 3u));

	if (!valid(offset, width))
		plat_panic("pci_cfg_write(%x, %x, %u): not a configuration register", bdf, offset,
			   width);
	select(bdf, offset);
	if (width == 1)
		outb(port, (uint8_t)value);
	else if (width == 2)
		outw(port, (uint16_t)value);
	else
		outl(port, value);
}

/* Writes all ones to a BAR and reads back which bits stick, restoring the BAR after. */
static uint32_t bar_mask(uint32_t bdf, uint32_t offset)
{
	uint32_t saved = pci_cfg_read(bdf, offset, 4), mask;

	pci_cfg_write(bdf, offset, 4, 0xFFFFFFFFu);
	mask = pci_cfg_read(bdf, offset, 4);
	pci_cfg_write(bdf, offset, 4, saved);
	return mask;
}

/* The BAR index `index` is part of: its own, or the one before when it is a 64-bit BAR's top. */
static unsigned bar_start(uint32_t bdf, unsigned index)
{
	unsigned i = 0;

	while (i < index) {
		uint32_t low = pci_cfg_read(bdf, CFG_BAR0 + i * 4u, 4);
		unsigned used = !(low & BAR_IO) && (low & BAR_TYPE_MASK) == BAR_TYPE_64 ? 2u : 1u;

		if (i + used > index)
			return i;
		i += used;
	}
	return index;
}

void pci_bar_probe(uint32_t bdf, unsigned index, struct pci_bar *out)
{
	uint32_t offset = CFG_BAR0 + index * 4u, command, low, mask;
	unsigned bars = (pci_cfg_read(bdf, CFG_HEADER_TYPE, 1) & HEADER_LAYOUT) == HEADER_BRIDGE
				? BARS_BRIDGE
				: BARS_DEVICE;

	*out = (struct pci_bar){ 0 };
	if (index >= bars || bar_start(bdf, index) != index)
		return;
	low = pci_cfg_read(bdf, offset, 4);
	command = pci_cfg_read(bdf, CFG_COMMAND, 2);
	/* While the BAR holds all ones the function must not decode it. */
	pci_cfg_write(bdf, CFG_COMMAND, 2, command & ~(COMMAND_IO | COMMAND_MEMORY));
	mask = bar_mask(bdf, offset);
	if (low & BAR_IO) {
		/* I/O BARs may implement only the low 16 address bits. */
		mask &= BAR_IO_ADDR;
		if (mask && !(mask & 0xFFFF0000u))
			mask |= 0xFFFF0000u;
		*out = (struct pci_bar){ .addr = low & BAR_IO_ADDR,
					 .len = mask ? ~mask + 1u : 0,
					 .io = true };
	} else {
		bool is64 = (low & BAR_TYPE_MASK) == BAR_TYPE_64 && index + 1 < bars;
		uint64_t full_mask = 0xFFFFFFFF00000000ull | (mask & BAR_MEM_ADDR);
		uint64_t addr = low & BAR_MEM_ADDR;

		if (is64) {
			full_mask =
				(uint64_t)bar_mask(bdf, offset + 4) << 32 | (mask & BAR_MEM_ADDR);
			addr |= (uint64_t)pci_cfg_read(bdf, offset + 4, 4) << 32;
		}
		bool implemented = is64 ? full_mask != 0 : (mask & BAR_MEM_ADDR) != 0;

		*out = (struct pci_bar){ .addr = addr,
					 .len = implemented ? ~full_mask + 1u : 0,
					 .is64 = is64,
					 .prefetchable = low & BAR_PREFETCHABLE };
	}
	pci_cfg_write(bdf, CFG_COMMAND, 2, command);
	if (!out->len)
		*out = (struct pci_bar){ 0 };
}

unsigned pci_intx_gsi(uint32_t bdf)
{
	/*
	 * SeaBIOS routes each PCI interrupt line to an ISA IRQ and writes its
	 * number here; QEMU drives that I/O APIC input with it (the platform
	 * checks see the virtio-gpu function's INTx on input 10 on q35).  q35
	 * drives input 16 + PIRQ too, which is left masked.
	 */
	return pci_cfg_read(bdf, CFG_INTERRUPT_LINE, 1);
}
