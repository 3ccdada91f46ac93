/* SPDX-License-Identifier: MIT */
/*
 * A fake virtio PCI device modelled from the spec (virtio 1.x, 4.1) for the
 * transport's unit tests: a 256-byte config space with a capability list
 * and one BAR holding the common configuration (registers that behave like
 * a device's: feature windows, queue select, status), the ISR byte, the
 * device configuration and the notify area.  It also flags every access a
 * driver must not make: wrong width, misaligned, read-only registers
 * written, anything outside config space or the BAR (bad_accesses).
 */
#ifndef VGPU_TESTS_FAKE_PCI_H
#define VGPU_TESTS_FAKE_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "os.h"

#define BAR_INDEX 4u
#define BAR_SIZE 0x4000u
#define COMMON_AT 0x0000u
#define ISR_AT 0x1000u
#define DEVCFG_AT 0x2000u
#define NOTIFY_AT 0x3000u
#define REGION_LEN 0x1000u
#define DEVCFG_LEN 64u
#define NOTIFY_MULT 4u
#define NQUEUES 2u

#define ST_ACK 0x01u
#define ST_DRIVER 0x02u
#define ST_DRIVER_OK 0x04u
#define ST_FEATURES_OK 0x08u
#define ST_NEEDS_RESET 0x40u
#define ST_FAILED 0x80u

/* BAR register flag bits */
#define BAR_IO 0x1u
#define BAR_MEM32 0x0u
#define BAR_MEM64 0x4u
#define BAR_PREFETCH 0x8u
/* Where the firmware placed the virtio structures' BAR (64-bit, below 4 GiB, as SeaBIOS does). */
#define BAR_INDEX_ADDRESS 0xfe000000ull

#define DEVICE_FEATURES (1ull << 32 | 1ull << 29 | 1ull << 28 | 0x3u)

struct fake_queue {
	uint16_t max_size, size, msix, enable, notify_off;
	uint32_t addr[6]; /* desc lo/hi, avail lo/hi, used lo/hi */
};

struct fake_pci {
	uint8_t cfg[256];
	uint8_t bar[BAR_SIZE];

	/* common configuration */
	uint32_t dfselect, gfselect;
	uint64_t device_features, driver_features;
	uint8_t status, generation;
	uint16_t msix_config, queue_select;
	struct fake_queue queues[NQUEUES];

	uint8_t devcfg[DEVCFG_LEN];
	uint8_t isr;

	/* misbehaviour knobs */
	uint16_t num_queues; /* what the device admits to; the model has NQUEUES */
	bool refuse_features_ok;
	bool needs_reset;              /* the device met an error; a reset clears it */
	bool needs_reset_at_driver_ok; /* ...and meets one whenever the driver sets DRIVER_OK */
	bool reset_stuck;
	unsigned reset_delay, reset_reads_left;
	unsigned change_after_reads; /* devcfg changes after this many reads (0: never) */
	bool change_always;
	uint16_t msix_vectors; /* MSI-X table size: larger vectors read back NO_VECTOR (0: any) */
	bool unplugged;        /* surprise removed: any register access is a bad one */

	/* what the driver did */
	unsigned bad_accesses;
	unsigned resets;
	unsigned devcfg_reads;
	uint8_t status_log[16];
	unsigned nstatus;
	unsigned notifies;
	uint32_t notify_offset, notify_width, notify_value;
};

/* Positions of the standard list, so cases can break one link. */
enum {
	CAP_MSIX = 0x40,
	CAP_COMMON = 0x50,
	CAP_ISR = 0x60,
	CAP_DEVCFG = 0x70,
	CAP_NOTIFY = 0x80,
	CAP_PCICFG = 0x98,
};

/* The device as it comes out of the box: the standard capability list, queues of 256 and 16. */
void fake_pci_init(struct fake_pci *d);
/* An OS table whose PCI callbacks reach `d` (the rest NULL). */
struct vgpu_os fake_pci_os(struct fake_pci *d);
/* Write a virtio vendor capability at `pos` in config space. */
void fake_pci_cap_vendor(struct fake_pci *d, uint8_t pos, uint8_t next, uint8_t cap_len,
			 uint8_t type, uint8_t bar, uint32_t offset, uint32_t length);
/* A shared memory capability (struct virtio_pci_cap64, 24 bytes) for region `id`. */
void fake_pci_cap_shm(struct fake_pci *d, uint8_t pos, uint8_t next, uint8_t bar, uint8_t id,
		      uint64_t offset, uint64_t length);
/*
 * BAR register `index` as the firmware left it: `address` with the low
 * flag bits `flags` (bit 0 I/O, bits 2:1 type, bit 3 prefetchable); a
 * 64-bit memory BAR (type 2) also fills the next register.
 */
void fake_pci_set_bar(struct fake_pci *d, unsigned index, uint64_t address, uint32_t flags);
uint32_t fake_pci_load_le(const uint8_t *p, uint32_t width);
/* What a vector register holds after the driver wrote `value` to it. */
uint16_t fake_pci_msix_accept(const struct fake_pci *d, uint32_t value);
void fake_pci_store_le(uint8_t *p, uint32_t width, uint32_t v);

#endif /* VGPU_TESTS_FAKE_PCI_H */
