/* SPDX-License-Identifier: MIT */
/*
 * The virtio PCI modern transport (virtio 1.x, section 4.1) over the OS's
 * PCI callbacks: config space reads, BAR mapping and MMIO accesses.  It
 * trusts nothing it reads from the device: every capability field is
 * checked before use.  Not thread-safe: the owner serialises calls, except
 * queue_notify and isr, which touch no shared transport state.
 */
#ifndef VGPU_KMD_VIRTIO_PCI_H
#define VGPU_KMD_VIRTIO_PCI_H

#include <stdint.h>

#include "../os.h"
#include "transport.h"

/* Queues the transport can drive; virtio-gpu has two. */
#define VGPU_VIRTIO_PCI_MAX_QUEUES 8u

/* The MSI-X vector number that routes an interrupt nowhere (virtio 1.x, 4.1.5.1.2). */
#define VGPU_VIRTIO_MSI_NO_VECTOR 0xFFFFu

/* Shared memory regions the transport keeps; virtio-gpu has one (host-visible memory). */
#define VGPU_VIRTIO_PCI_MAX_SHM 4u

/* One shared memory region, in guest-physical space. */
struct vgpu_virtio_shm {
	uint64_t pa;
	uint64_t len;
	uint8_t id;
};

struct vgpu_virtio_pci {
	const struct vgpu_os *os;
	volatile uint8_t *common;
	volatile uint8_t *isr;
	volatile uint8_t *device_cfg;
	uint32_t device_cfg_len; /* 0 when the device has no configuration space */
	volatile uint8_t *notify_base;
	uint32_t notify_len;
	uint32_t notify_multiplier;
	/* where queue_notify writes, per queue; NULL until the queue is enabled */
	volatile uint8_t *notify_addr[VGPU_VIRTIO_PCI_MAX_QUEUES];
	/* MSI-X table entries for configuration changes and for every queue */
	uint16_t msix_config_vector;
	uint16_t msix_queue_vector;
	/* the usable shared memory capabilities, first of each id (shm_region) */
	struct vgpu_virtio_shm shm[VGPU_VIRTIO_PCI_MAX_SHM];
	uint32_t nshm;
	/* the function has vanished: its registers are never touched again */
	uint8_t gone;
};

/*
 * Find and map the virtio structures of the device behind `os` (its
 * pci_cfg_read, bar_map, mmio_read and mmio_write must be set), and note
 * its shared memory regions: where each lies in guest-physical space, from
 * the base address the firmware or OS assigned its BAR (a region whose
 * capability cannot be trusted is left out, the device still starts).
 * Returns 0, VGPU_E_INVALID (missing callbacks) or VGPU_E_DEVICE (no usable
 * common, notify or ISR structure, or a malformed capability list).  PASSIVE.
 */
int vgpu_virtio_pci_init(struct vgpu_virtio_pci *vp, const struct vgpu_os *os);

/*
 * With MSI-X enabled a virtio device interrupts only through the vectors
 * the driver names: route configuration changes to MSI-X table entry
 * `config_vector` and every queue to `queue_vector`.  Applied by the next
 * begin (config) and queue_enable (queues), which fail with VGPU_E_DEVICE
 * if the device refuses the vector.  VGPU_VIRTIO_MSI_NO_VECTOR (the
 * default after init) leaves that interrupt unrouted and its register
 * untouched, which is what line-based interrupts need.  PASSIVE.
 */
void vgpu_virtio_pci_set_msix(struct vgpu_virtio_pci *vp, uint16_t config_vector,
			      uint16_t queue_vector);

/*
 * The function has vanished (surprise removal): from now on no register is
 * read or written.  Reads answer all ones, as the bus does for a function
 * that is not there, writes are dropped and a reset fails at once, so that
 * the core can still be torn down once the OS has taken the register
 * mappings away.  Any IRQL.
 */
void vgpu_virtio_pci_gone(struct vgpu_virtio_pci *vp);

/* The transport that drives `vp` (which must outlive it). */
void vgpu_virtio_pci_transport(struct vgpu_virtio_pci *vp, struct vgpu_transport *out);

#endif /* VGPU_KMD_VIRTIO_PCI_H */
