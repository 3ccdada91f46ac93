/* SPDX-License-Identifier: MIT */
/* The virgl capset parser of vgpu-info against capsets made by hand. */
#include <string.h>

#include "tap.h"
#include "vgpu/vgpu_abi.h"
#include "virgl_caps.h"

#define CAPS_V1_BYTES 308
#define CAPS_V2_BYTES 1376

static uint8_t caps[CAPS_V2_BYTES + 64];

static void put_le32(uint32_t offset, uint32_t value)
{
	caps[offset] = (uint8_t)value;
	caps[offset + 1] = (uint8_t)(value >> 8);
	caps[offset + 2] = (uint8_t)(value >> 16);
	caps[offset + 3] = (uint8_t)(value >> 24);
}

/* Offsets as virgl_hw.h lays the structs out, written independently of the parser's table. */
static void make_v2(void)
{
	memset(caps, 0xee, sizeof(caps));
	put_le32(0, 2);                    /* max_version */
	put_le32(4 + 4 * 64 + 4, 430);     /* glsl_level: after max_version, 4 format masks, bset */
	put_le32(268, 2048);               /* max_texture_array_layers */
	put_le32(280, 8);                  /* max_render_targets */
	put_le32(284, 4);                  /* max_samples */
	put_le32(296, 14);                 /* max_uniform_blocks */
	put_le32(308 + 9 * 4 + 3 * 4, 16); /* max_vertex_attribs: after v1, 9 floats, 3 u32 */
	put_le32(392, (1u << 7) | (1u << 31)); /* capability_bits */
	put_le32(484, 16384);
	put_le32(488, 2048);
	put_le32(492, 16384);
	put_le32(688, (1u << 0) | (1u << 5) | (1u << 9)); /* capability_bits_v2 */
	memset(caps + 696, 0, 64);
	memcpy(caps + 696, "virgl (test renderer)", 21);
}

static void test_full_v2(void)
{
	struct virgl_caps_info info;

	make_v2();
	CHECK_EQ(virgl_caps_parse(VGPU_CAPSET_VIRGL2, caps, CAPS_V2_BYTES, &info), 0);
	CHECK_EQ(info.value[VIRGL_CAPS_MAX_VERSION], 2);
	CHECK_EQ(info.value[VIRGL_CAPS_GLSL_LEVEL], 430);
	CHECK_EQ(info.value[VIRGL_CAPS_MAX_TEXTURE_ARRAY_LAYERS], 2048);
	CHECK_EQ(info.value[VIRGL_CAPS_MAX_RENDER_TARGETS], 8);
	CHECK_EQ(info.value[VIRGL_CAPS_MAX_SAMPLES], 4);
	CHECK_EQ(info.value[VIRGL_CAPS_MAX_UNIFORM_BLOCKS], 14);
	CHECK_EQ(info.value[VIRGL_CAPS_MAX_VERTEX_ATTRIBS], 16);
	CHECK_EQ(info.value[VIRGL_CAPS_CAPABILITY_BITS], (1u << 7) | (1u << 31));
	CHECK_EQ(info.value[VIRGL_CAPS_MAX_TEXTURE_2D_SIZE], 16384);
	CHECK_EQ(info.value[VIRGL_CAPS_MAX_TEXTURE_3D_SIZE], 2048);
	CHECK_EQ(info.value[VIRGL_CAPS_MAX_TEXTURE_CUBE_SIZE], 16384);
	CHECK_EQ(info.value[VIRGL_CAPS_CAPABILITY_BITS_V2], (1u << 0) | (1u << 5) | (1u << 9));
	for (int f = 0; f < VIRGL_CAPS_FIELD_COUNT; f++)
		CHECK(info.present[f]);
	CHECK(strcmp(info.renderer, "virgl (test renderer)") == 0);
}

static void test_v1_capset_ignores_v2_bytes(void)
{
	struct virgl_caps_info info;

	make_v2();
	put_le32(0, 1);
	/* Capset VIRGL holds only v1, even if more bytes came along. */
	CHECK_EQ(virgl_caps_parse(VGPU_CAPSET_VIRGL, caps, CAPS_V2_BYTES, &info), 0);
	CHECK(info.present[VIRGL_CAPS_MAX_UNIFORM_BLOCKS]);
	CHECK_EQ(info.value[VIRGL_CAPS_GLSL_LEVEL], 430);
	CHECK(!info.present[VIRGL_CAPS_MAX_VERTEX_ATTRIBS]);
	CHECK(!info.present[VIRGL_CAPS_MAX_TEXTURE_2D_SIZE]);
	CHECK(!info.present[VIRGL_CAPS_CAPABILITY_BITS]);
	CHECK_EQ(info.renderer[0], '\0');
}

static void test_short_v2(void)
{
	struct virgl_caps_info info;

	make_v2();
	/* Ends inside max_texture_2d_size: fields up to it are read, none from it on. */
	CHECK_EQ(virgl_caps_parse(VGPU_CAPSET_VIRGL2, caps, 486, &info), 0);
	CHECK(info.present[VIRGL_CAPS_CAPABILITY_BITS]);
	CHECK_EQ(info.value[VIRGL_CAPS_MAX_VERTEX_ATTRIBS], 16);
	CHECK(!info.present[VIRGL_CAPS_MAX_TEXTURE_2D_SIZE]);
	CHECK(!info.present[VIRGL_CAPS_MAX_TEXTURE_CUBE_SIZE]);
	CHECK(!info.present[VIRGL_CAPS_CAPABILITY_BITS_V2]);
	CHECK_EQ(info.value[VIRGL_CAPS_MAX_TEXTURE_2D_SIZE], 0);
	CHECK_EQ(info.renderer[0], '\0');
	/* Exactly up to the end of max_texture_2d_size. */
	CHECK_EQ(virgl_caps_parse(VGPU_CAPSET_VIRGL2, caps, 488, &info), 0);
	CHECK(info.present[VIRGL_CAPS_MAX_TEXTURE_2D_SIZE]);
	CHECK(!info.present[VIRGL_CAPS_MAX_TEXTURE_3D_SIZE]);
}

static void test_too_short(void)
{
	struct virgl_caps_info info;

	make_v2();
	CHECK_EQ(virgl_caps_parse(VGPU_CAPSET_VIRGL2, caps, 3, &info), -1);
	CHECK_EQ(virgl_caps_parse(VGPU_CAPSET_VIRGL2, caps, 0, &info), -1);
	CHECK_EQ(virgl_caps_parse(VGPU_CAPSET_VIRGL2, NULL, 100, &info), -1);
	CHECK_EQ(virgl_caps_parse(VGPU_CAPSET_VIRGL2, caps, 4, &info), 0);
	CHECK(info.present[VIRGL_CAPS_MAX_VERSION]);
	CHECK(!info.present[VIRGL_CAPS_GLSL_LEVEL]);
}

static void test_other_capset(void)
{
	struct virgl_caps_info info;

	make_v2();
	CHECK_EQ(virgl_caps_parse(4 /* VENUS */, caps, CAPS_V2_BYTES, &info), -1);
}

static void test_unterminated_renderer(void)
{
	struct virgl_caps_info info;

	make_v2();
	memset(caps + 696, 'r', 64);
	CHECK_EQ(virgl_caps_parse(VGPU_CAPSET_VIRGL2, caps, CAPS_V2_BYTES, &info), 0);
	CHECK_EQ(strlen(info.renderer), 64);
}

static void test_bit_names(void)
{
	CHECK(strcmp(virgl_caps_bit_name(1, 7), "COMPUTE_SHADER") == 0);
	CHECK(strcmp(virgl_caps_bit_name(1, 31), "ARB_BUFFER_STORAGE") == 0);
	CHECK(strcmp(virgl_caps_bit_name(1, 17), "TRANSFER") == 0);
	CHECK(strcmp(virgl_caps_bit_name(2, 0), "BLEND_EQUATION") == 0);
	CHECK(strcmp(virgl_caps_bit_name(2, 9), "SSO") == 0);
	CHECK(virgl_caps_bit_name(2, 5) == NULL);
	CHECK(virgl_caps_bit_name(1, 32) == NULL);
	CHECK(virgl_caps_bit_name(3, 0) == NULL);
	CHECK(strcmp(virgl_caps_field_label(VIRGL_CAPS_GLSL_LEVEL), "GLSL level") == 0);
}

int main(void)
{
	RUN(test_full_v2);
	RUN(test_v1_capset_ignores_v2_bytes);
	RUN(test_short_v2);
	RUN(test_too_short);
	RUN(test_other_capset);
	RUN(test_unterminated_renderer);
	RUN(test_bit_names);
	return tap_done();
}
