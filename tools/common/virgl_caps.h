/* SPDX-License-Identifier: MIT */
/*
 * The key fields of a virgl capability set, read from its bytes: capset
 * VIRGL holds struct virgl_caps_v1, VIRGL2 struct virgl_caps_v2 (which
 * starts with v1 and grows over host versions).  Each field is read at its
 * offset only if the bytes reach that far: a short capset just lacks the
 * later fields.  Layout facts from Mesa's virgl_hw.h.
 */
#ifndef VGPU_TOOLS_VIRGL_CAPS_H
#define VGPU_TOOLS_VIRGL_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum virgl_caps_field {
	VIRGL_CAPS_MAX_VERSION,
	VIRGL_CAPS_GLSL_LEVEL,
	VIRGL_CAPS_MAX_TEXTURE_ARRAY_LAYERS,
	VIRGL_CAPS_MAX_RENDER_TARGETS,
	VIRGL_CAPS_MAX_SAMPLES,
	VIRGL_CAPS_MAX_UNIFORM_BLOCKS,
	/* virgl_caps_v2 only */
	VIRGL_CAPS_MAX_VERTEX_ATTRIBS,
	VIRGL_CAPS_CAPABILITY_BITS,
	VIRGL_CAPS_MAX_TEXTURE_2D_SIZE,
	VIRGL_CAPS_MAX_TEXTURE_3D_SIZE,
	VIRGL_CAPS_MAX_TEXTURE_CUBE_SIZE,
	VIRGL_CAPS_CAPABILITY_BITS_V2,
	VIRGL_CAPS_FIELD_COUNT
};

struct virgl_caps_info {
	uint32_t value[VIRGL_CAPS_FIELD_COUNT];
	bool present[VIRGL_CAPS_FIELD_COUNT];
	char renderer[65]; /* the host's renderer string (v2), "" when absent */
};

/*
 * Parses `size` bytes of capset `capset_id` (VIRGL or VIRGL2).  Returns 0,
 * or -1 for another capset id or bytes too short to hold even max_version.
 */
int virgl_caps_parse(uint32_t capset_id, const void *bytes, size_t size,
		     struct virgl_caps_info *info);

/* "GLSL level"... for printing. */
const char *virgl_caps_field_label(enum virgl_caps_field field);

/*
 * Name of bit `bit` of capability_bits (word 1) or capability_bits_v2
 * (word 2), such as "COMPUTE_SHADER"; NULL for a bit without a known name.
 */
const char *virgl_caps_bit_name(unsigned int word, unsigned int bit);

#endif /* VGPU_TOOLS_VIRGL_CAPS_H */
