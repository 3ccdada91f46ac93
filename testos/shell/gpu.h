/* SPDX-License-Identifier: MIT */
/*
 * The device as the test guest drives it: QEMU's virtio-gpu (PCI
 * 1AF4:1050) through the core's own virtio-pci transport and the core.
 */
#ifndef TESTOS_SHELL_GPU_H
#define TESTOS_SHELL_GPU_H

#include "testos_os.h"
#include "vgpu_core.h"
#include "virtio/virtio_pci.h"

#define GPU_PCI_VENDOR 0x1AF4u
#define GPU_PCI_DEVICE 0x1050u

struct testos_gpu {
	struct testos_env env;
	struct vgpu_virtio_pci vp;
	struct vgpu_transport transport;
	struct vgpu_device *dev;
};

/* Find the device, create the core's device over it and start it; an enum vgpu_status. */
int gpu_start(struct testos_gpu *gpu);
/* Destroy the core's device (which resets the hardware). */
void gpu_stop(struct testos_gpu *gpu);

#endif /* TESTOS_SHELL_GPU_H */
