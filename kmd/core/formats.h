/* SPDX-License-Identifier: MIT */
/*
 * The virgl formats the ABI accepts and how many bytes a transfer of each
 * takes, so that bounds hold in bytes, not texels.
 */
#ifndef VGPU_KMD_FORMATS_H
#define VGPU_KMD_FORMATS_H

#include <stdbool.h>
#include <stdint.h>

/* The unit a format is stored in: one texel, or a compressed block of texels. */
struct vgpu_format_block {
	uint32_t bytes;
	uint32_t width;
	uint32_t height;
};

/* Is `format` an enum virgl_formats value the host knows?  If so, its block. */
bool vgpu_format_block(uint32_t format, struct vgpu_format_block *block);

#endif /* VGPU_KMD_FORMATS_H */
