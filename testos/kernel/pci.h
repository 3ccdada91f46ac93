/* SPDX-License-Identifier: MIT */
/*
 * PCI through configuration mechanism #1 (ports 0xCF8/0xCFC): find a
 * device, size its BARs and let the driver reach them.  The firmware
 * (SeaBIOS) has already assigned the BAR addresses.
 */
#ifndef TESTOS_PCI_H
#define TESTOS_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_BARS 6u

struct pci_bar {
	uint64_t base;
	uint64_t size;
	bool usable; /* memory BAR the 32-bit guest can address */
};

struct pci_device {
	uint8_t bus, slot, function;
	uint16_t vendor, device;
	struct pci_bar bars[PCI_BARS];
};

/* First function with this vendor/device id; sizes its BARs and enables memory + bus mastering. */
bool pci_find(uint16_t vendor, uint16_t device, struct pci_device *out);

/* `width` (1, 2 or 4) bytes of config space at `offset`, which must be aligned to width. */
uint32_t pci_cfg_read(const struct pci_device *dev, uint32_t offset, uint32_t width);

#endif /* TESTOS_PCI_H */
