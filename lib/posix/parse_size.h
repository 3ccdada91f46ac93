/* SPDX-License-Identifier: MIT */
/* Sizes on command lines ("512M", "1G"), shared by vgpu-sim and vgpu-devmodel. */
#ifndef VGPU_LIB_PARSE_SIZE_H
#define VGPU_LIB_PARSE_SIZE_H

#include <stdbool.h>
#include <stdint.h>

/* A decimal number with an optional K, M or G suffix (powers of 1024); false if malformed. */
bool sim_parse_size(const char *text, uint64_t *size);

#endif /* VGPU_LIB_PARSE_SIZE_H */
