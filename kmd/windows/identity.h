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

#endif /* VGPU_WIN_IDENTITY_H */
