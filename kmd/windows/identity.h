/* SPDX-License-Identifier: MIT */
/*
 * Which PCI functions vgpu.sys drives, and as which device personality.
 * Plain C without kernel headers, so that the Linux tests run it as is.
 */
#ifndef VGPU_WIN_IDENTITY_H
#define VGPU_WIN_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>

#include "vgpu/vgpu_abi.h"

/*
 * From the function's vendor, device id and class code (config space
 * offsets 0, 2 and 0x0A, 16 bits each): true with the personality to drive
 * it as, or false with the reason, in words for the event log, in *why.
 */
bool win_identify(uint32_t vendor, uint32_t device, uint32_t class_code,
		  enum vgpu_personality *personality, const char **why);

/* How much of its device configuration tells Mvisor's virtio-vgpu from virtio-pmem. */
#define WIN_MVISOR_ID_BYTES 6u

/*
 * 1AF4:105B is Mvisor's virtio-vgpu and also virtio-pmem (virtio device 27,
 * QEMU's virtio-pmem-pci, with the same subsystem and revision).  From the
 * first `len` bytes of the function's virtio device configuration, read
 * before anything is written to the device: true if it is Mvisor's, or
 * false with the reason, in words for the event log, in *why.
 */
bool win_identify_mvisor(const uint8_t *config, uint32_t len, const char **why);

#endif /* VGPU_WIN_IDENTITY_H */
