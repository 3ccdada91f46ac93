/* SPDX-License-Identifier: MIT */
#include "pci.h"

#include "cpu.h"

#define PCI_ADDRESS_PORT 0xCF8u
#define PCI_DATA_PORT 0xCFCu
#define PCI_ENABLE 0x80000000u

#define CFG_VENDOR 0x00u
#define CFG_COMMAND 0x04u
#define CFG_HEADER_TYPE 0x0Eu
#define CFG_BAR0 0x10u
#define COMMAND_MEMORY 0x0002u
#define COMMAND_BUS_MASTER 0x0004u
#define HEADER_MULTIFUNCTION 0x80u
#define BAR_IO 0x1u
#define BAR_TYPE_64 0x4u
#define BAR_MEM_MASK 0xFFFFFFF0u

static uint32_t cfg_address(uint8_t bus, uint8_t slot, uint8_t function, uint32_t offset)
{
	return PCI_ENABLE | (uint32_t)bus << 16 | (uint32_t)slot << 11 | (uint32_t)function << 8 |
	       (offset & 0xFCu);
}

static uint32_t cfg_read32(uint8_t bus, uint8_t slot, uint8_t function, uint32_t offset)
{
	outl(PCI_ADDRESS_PORT, cfg_address(bus, slot, function, offset));
	return inl(PCI_DATA_PORT);
}

static void cfg_write32(const struct pci_device *d, uint32_t offset, uint32_t value)
{
	outl(PCI_ADDRESS_PORT, cfg_address(d->bus, d->slot, d->function, offset));
	outl(PCI_DATA_PORT, value);
}

uint32_t pci_cfg_read(const struct pci_device *d, uint32_t offset, uint32_t width)
{
	uint32_t dword, shift;

	if ((width != 1 && width != 2 && width != 4) || offset >= 256 || offset % width)
		return 0xFFFFFFFFu;
	dword = cfg_read32(d->bus, d->slot, d->function, offset);
	shift = (offset & 3u) * 8u;
	return width == 4 ? dword : (dword >> shift) & ((1u << (width * 8u)) - 1u);
}

/* Size a BAR by writing all ones (decoding off meanwhile); returns the BARs it used (1 or 2). */
static uint32_t size_bar(struct pci_device *d, uint32_t index)
{
	uint32_t offset = CFG_BAR0 + index * 4u;
	uint32_t lo = pci_cfg_read(d, offset, 4), hi = 0, mask_lo, mask_hi = 0xFFFFFFFFu;
	bool is64 = !(lo & BAR_IO) && (lo & 0x6u) == BAR_TYPE_64 && index + 1 < PCI_BARS;
	struct pci_bar *bar = &d->bars[index];

	cfg_write32(d, offset, 0xFFFFFFFFu);
	mask_lo = pci_cfg_read(d, offset, 4);
	cfg_write32(d, offset, lo);
	if (is64) {
		hi = pci_cfg_read(d, offset + 4, 4);
		cfg_write32(d, offset + 4, 0xFFFFFFFFu);
		mask_hi = pci_cfg_read(d, offset + 4, 4);
		cfg_write32(d, offset + 4, hi);
	}
	if (!(lo & BAR_IO) && (mask_lo & BAR_MEM_MASK)) {
		uint64_t mask = (uint64_t)mask_hi << 32 | (mask_lo & BAR_MEM_MASK);

		bar->base = (uint64_t)hi << 32 | (lo & BAR_MEM_MASK);
		bar->size = ~mask + 1u;
		bar->usable = bar->base && bar->base + bar->size <= 0x100000000ull;
	}
	return is64 ? 2u : 1u;
}

static void setup_device(struct pci_device *d)
{
	uint32_t command = pci_cfg_read(d, CFG_COMMAND, 2);
	uint32_t i;

	cfg_write32(d, CFG_COMMAND, command & ~COMMAND_MEMORY);
	for (i = 0; i < PCI_BARS;)
		i += size_bar(d, i);
	/* The status half of the dword is write-1-to-clear: write zeros there. */
	cfg_write32(d, CFG_COMMAND, (command | COMMAND_MEMORY | COMMAND_BUS_MASTER) & 0xFFFFu);
}

static bool match(uint8_t bus, uint8_t slot, uint8_t function, uint16_t vendor, uint16_t device,
		  struct pci_device *out)
{
	uint32_t id = cfg_read32(bus, slot, function, CFG_VENDOR);

	if ((id & 0xFFFFu) != vendor || (id >> 16) != device)
		return false;
	*out = (struct pci_device){
		.bus = bus, .slot = slot, .function = function, .vendor = vendor, .device = device
	};
	setup_device(out);
	return true;
}

bool pci_find(uint16_t vendor, uint16_t device, struct pci_device *out)
{
	uint32_t bus, slot, function, functions;

	for (bus = 0; bus < 256; bus++) {
		for (slot = 0; slot < 32; slot++) {
			uint32_t id = cfg_read32((uint8_t)bus, (uint8_t)slot, 0, CFG_VENDOR);
			uint32_t header;

			if ((id & 0xFFFFu) == 0xFFFFu)
				continue;
			header =
				cfg_read32((uint8_t)bus, (uint8_t)slot, 0, CFG_HEADER_TYPE & 0xFCu);
			functions = (header >> 16) & HEADER_MULTIFUNCTION ? 8u : 1u;
			for (function = 0; function < functions; function++)
				if (match((uint8_t)bus, (uint8_t)slot, (uint8_t)function, vendor,
					  device, out))
					return true;
		}
	}
	return false;
}
