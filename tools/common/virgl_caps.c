/* SPDX-License-Identifier: MIT */
/* Offsets and bit numbers of struct virgl_caps_v1/v2 (Mesa's virgl_hw.h), read bounds-checked. */
#include "virgl_caps.h"

#include <string.h>

#include "vgpu/vgpu_abi.h"

#define CAPS_V1_SIZE 308u
#define CAPS_V2_RENDERER_OFFSET 696u
#define CAPS_V2_RENDERER_SIZE 64u

static const struct {
	const char *label;
	uint32_t offset;
} fields[VIRGL_CAPS_FIELD_COUNT] = {
	[VIRGL_CAPS_MAX_VERSION] = { "capset max version", 0 },
	[VIRGL_CAPS_GLSL_LEVEL] = { "GLSL level", 264 },
	[VIRGL_CAPS_MAX_TEXTURE_ARRAY_LAYERS] = { "max texture array layers", 268 },
	[VIRGL_CAPS_MAX_RENDER_TARGETS] = { "max render targets", 280 },
	[VIRGL_CAPS_MAX_SAMPLES] = { "max samples", 284 },
	[VIRGL_CAPS_MAX_UNIFORM_BLOCKS] = { "max uniform blocks", 296 },
	[VIRGL_CAPS_MAX_VERTEX_ATTRIBS] = { "max vertex attribs", 356 },
	[VIRGL_CAPS_CAPABILITY_BITS] = { "capability bits", 392 },
	[VIRGL_CAPS_MAX_TEXTURE_2D_SIZE] = { "max texture 2D size", 484 },
	[VIRGL_CAPS_MAX_TEXTURE_3D_SIZE] = { "max texture 3D size", 488 },
	[VIRGL_CAPS_MAX_TEXTURE_CUBE_SIZE] = { "max texture cube size", 492 },
	[VIRGL_CAPS_CAPABILITY_BITS_V2] = { "capability bits v2", 688 },
};

static const char *const bits_v1[32] = {
	"TGSI_INVARIANT",
	"TEXTURE_VIEW",
	"SET_MIN_SAMPLES",
	"COPY_IMAGE",
	"TGSI_PRECISE",
	"TXQS",
	"MEMORY_BARRIER",
	"COMPUTE_SHADER",
	"FB_NO_ATTACH",
	"ROBUST_BUFFER_ACCESS",
	"TGSI_FBFETCH",
	"SHADER_CLOCK",
	"TEXTURE_BARRIER",
	"TGSI_COMPONENTS",
	"GUEST_MAY_INIT_LOG",
	"SRGB_WRITE_CONTROL",
	"QBO",
	"TRANSFER",
	"FBO_MIXED_COLOR_FORMATS",
	"HOST_IS_GLES",
	"BIND_COMMAND_ARGS",
	"MULTI_DRAW_INDIRECT",
	"INDIRECT_PARAMS",
	"TRANSFORM_FEEDBACK3",
	"3D_ASTC",
	"INDIRECT_INPUT_ADDR",
	"COPY_TRANSFER",
	"CLIP_HALFZ",
	"APP_TWEAK_SUPPORT",
	"BGRA_SRGB_IS_EMULATED",
	"CLEAR_TEXTURE",
	"ARB_BUFFER_STORAGE",
};

static const char *const bits_v2[32] = {
	[0] = "BLEND_EQUATION",
	[1] = "UNTYPED_RESOURCE",
	[2] = "VIDEO_MEMORY",
	[3] = "MEMINFO",
	[4] = "STRING_MARKER",
	[6] = "IMPLICIT_MSAA",
	[7] = "COPY_TRANSFER_BOTH_DIRECTIONS",
	[8] = "SCANOUT_USES_GBM",
	[9] = "SSO",
	[10] = "TEXTURE_SHADOW_LOD",
};

static uint32_t read_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The host writes the renderer NUL-padded; cut at the first NUL or at the field's end. */
static void read_renderer(const uint8_t *bytes, size_t limit, char *out)
{
	size_t len = 0;

	out[0] = '\0';
	if (limit < CAPS_V2_RENDERER_OFFSET + CAPS_V2_RENDERER_SIZE)
		return;
	bytes += CAPS_V2_RENDERER_OFFSET;
	while (len < CAPS_V2_RENDERER_SIZE && bytes[len])
		len++;
	memcpy(out, bytes, len);
	out[len] = '\0';
}

int virgl_caps_parse(uint32_t capset_id, const void *bytes, size_t size,
		     struct virgl_caps_info *info)
{
	size_t limit = size;
	unsigned int i;

	if (!bytes || !info || size < sizeof(uint32_t))
		return -1;
	if (capset_id == VGPU_CAPSET_VIRGL)
		limit = size < CAPS_V1_SIZE ? size : CAPS_V1_SIZE;
	else if (capset_id != VGPU_CAPSET_VIRGL2)
		return -1;
	memset(info, 0, sizeof(*info));
	for (i = 0; i < VIRGL_CAPS_FIELD_COUNT; i++) {
		if (fields[i].offset + sizeof(uint32_t) > limit)
			continue;
		info->value[i] = read_le32((const uint8_t *)bytes + fields[i].offset);
		info->present[i] = true;
	}
	read_renderer(bytes, limit, info->renderer);
	return 0;
}

const char *virgl_caps_field_label(enum virgl_caps_field field)
{
	if ((unsigned int)field >= VIRGL_CAPS_FIELD_COUNT)
		return "?";
	return fields[field].label;
}

const char *virgl_caps_bit_name(unsigned int word, unsigned int bit)
{
	if (bit >= 32)
		return NULL;
	if (word == 1)
		return bits_v1[bit];
	if (word == 2)
		return bits_v2[bit];
	return NULL;
}
