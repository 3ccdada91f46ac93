/* SPDX-License-Identifier: MIT */
/*
 * How the core reaches a virtio device: the few operations every virtio
 * transport offers.  The core's own virtio-pci transport implements it over
 * the OS's MMIO callbacks (what vgpu.sys and the test guest use); the Linux
 * sim implements it over vhost-user.  Queue memory is described by
 * guest-physical addresses, as the device sees it.
 */
#ifndef VGPU_KMD_TRANSPORT_H
#define VGPU_KMD_TRANSPORT_H

#include <stdint.h>

/* Transport feature bits the core may negotiate besides the device's own. */
#define VGPU_VIRTIO_F_INDIRECT_DESC 28
#define VGPU_VIRTIO_F_EVENT_IDX 29
#define VGPU_VIRTIO_F_VERSION_1 32

/* virtio-gpu's shared memory region for host-visible memory (blobs). */
#define VGPU_SHM_ID_HOST_VISIBLE 1

struct vgpu_transport_ops {
	/* Reset the device, then set ACKNOWLEDGE | DRIVER. 0 or VGPU_E_DEVICE. */
	int (*begin)(void *t);
	uint64_t (*device_features)(void *t);
	/* Write the driver's features and set FEATURES_OK; VGPU_E_DEVICE if refused. */
	int (*set_features)(void *t, uint64_t features);
	/* Device-specific configuration space. */
	void (*config_read)(void *t, uint32_t offset, void *buf, uint32_t len);
	void (*config_write)(void *t, uint32_t offset, const void *buf, uint32_t len);
	/* Largest size the device allows for queue `index`; 0 if no such queue. */
	uint16_t (*queue_max_size)(void *t, uint16_t index);
	int (*queue_enable)(void *t, uint16_t index, uint16_t size, uint64_t desc_pa,
			    uint64_t avail_pa, uint64_t used_pa);
	void (*queue_notify)(void *t, uint16_t index);
	/* Set DRIVER_OK: the device is live. */
	int (*driver_ok)(void *t);
	/* Tell the device the driver gave up on it (FAILED) and stop it. */
	void (*fail)(void *t);
	/* Read-and-clear the interrupt status (bit 0 queue, bit 1 config). */
	uint32_t (*isr)(void *t);
	/* Reset the device: it stops touching guest memory. */
	void (*reset)(void *t);
	/*
	 * Where the device's shared memory region `id` (virtio 1.2 "Shared
	 * Memory Regions"; virtio-gpu's host-visible memory is id 1) lies in
	 * guest-physical space, as the VMM placed it: 0, or VGPU_E_UNSUPPORTED
	 * when the device has no such region (also when *len would be 0).
	 * Optional: NULL means no regions.
	 */
	int (*shm_region)(void *t, uint8_t id, uint64_t *pa, uint64_t *len);
};

struct vgpu_transport {
	const struct vgpu_transport_ops *ops;
	void *priv;
};

#endif /* VGPU_KMD_TRANSPORT_H */
