/* SPDX-License-Identifier: MIT */
/*
 * The I/O APIC, for PCI line interrupts (INTx).  Every input starts masked;
 * ioapic_route sets an input's vector and trigger and leaves its mask as it
 * was, ioapic_mask opens and closes it.  QEMU's MADT declares the PCI
 * inputs (5, 9, 10, 11) level-triggered and active high, and that is how
 * they are programmed; QEMU's and KVM's models deliver either way.
 */
#include "internal.h"

#define IOAPIC_BASE 0xFEC00000u
#define IOREGSEL 0x00u
#define IOWIN 0x10u
#define REG_VERSION 0x01u
#define REG_REDIRECT_LOW(gsi) (0x10u + 2u * (gsi))
#define REG_REDIRECT_HIGH(gsi) (0x11u + 2u * (gsi))
#define REDIRECT_MASKED (1u << 16)
#define REDIRECT_LEVEL (1u << 15)
#define FIRST_DEVICE_VECTOR 32u

static unsigned inputs;

static uint32_t ioapic_read(uint32_t index)
{
	*(volatile uint32_t *)(uintptr_t)(IOAPIC_BASE + IOREGSEL) = index;
	return *(volatile uint32_t *)(uintptr_t)(IOAPIC_BASE + IOWIN);
}

static void ioapic_write(uint32_t index, uint32_t value)
{
	*(volatile uint32_t *)(uintptr_t)(IOAPIC_BASE + IOREGSEL) = index;
	*(volatile uint32_t *)(uintptr_t)(IOAPIC_BASE + IOWIN) = value;
}

void ioapic_init(void)
{
	inputs = ((ioapic_read(REG_VERSION) >> 16) & 0xFFu) + 1u;
	for (unsigned gsi = 0; gsi < inputs; gsi++) {
		ioapic_write(REG_REDIRECT_LOW(gsi), REDIRECT_MASKED);
		ioapic_write(REG_REDIRECT_HIGH(gsi), 0);
	}
}

int ioapic_route(unsigned gsi, uint8_t vector)
{
	uint32_t masked;

	if (gsi >= inputs || vector < FIRST_DEVICE_VECTOR)
		return -1;
	masked = ioapic_read(REG_REDIRECT_LOW(gsi)) & REDIRECT_MASKED;
	ioapic_write(REG_REDIRECT_HIGH(gsi), (uint32_t)lapic_id() << 24);
	ioapic_write(REG_REDIRECT_LOW(gsi),
		     masked | REDIRECT_LEVEL | vector); /* fixed, physical, active high */
	return 0;
}

void ioapic_mask(unsigned gsi, bool masked)
{
	uint32_t low;

	if (gsi >= inputs)
		plat_panic("ioapic_mask(%u): the I/O APIC has %u inputs", gsi, inputs);
	low = ioapic_read(REG_REDIRECT_LOW(gsi));
	ioapic_write(REG_REDIRECT_LOW(gsi),
		     masked ? low | REDIRECT_MASKED : low & ~REDIRECT_MASKED);
}
