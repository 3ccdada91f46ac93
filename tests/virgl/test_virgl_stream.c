/* SPDX-License-Identifier: MIT */
/*
 * The virgl encoder on its own: header packing, float bits, and that it
 * never writes past its buffer and marks a stream that did not fit.
 */
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "triangle_scene.h"
#include "virgl_stream.h"

#define GUARD 0xDEADBEEFu

static uint32_t bits_of(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

static void test_clear_packing(void)
{
	static const float color[4] = { 0.25f, 0.5f, 0.75f, 1.0f };
	uint32_t buf[16];
	struct vstream s;

	vstream_init(&s, buf, 16);
	vstream_clear_color(&s, color);
	CHECK(vstream_ok(&s));
	CHECK_EQ(s.len, 9);
	CHECK_EQ(vstream_size_bytes(&s), 36);
	CHECK_EQ(buf[0], 0x00080007u); /* CLEAR, no object, 8 dwords */
	CHECK_EQ(buf[1], VSTREAM_CLEAR_COLOR0);
	CHECK_EQ(buf[2], bits_of(0.25f));
	CHECK_EQ(buf[5], bits_of(1.0f));
}

static void test_object_header(void)
{
	uint32_t buf[8];
	struct vstream s;

	vstream_init(&s, buf, 8);
	vstream_create_surface(&s, 3, 42, VSTREAM_FORMAT_B8G8R8A8_UNORM, 0);
	CHECK(vstream_ok(&s));
	CHECK_EQ(buf[0], 1u | (VSTREAM_OBJ_SURFACE << 8) | (5u << 16));
	CHECK_EQ(buf[1], 3);
	CHECK_EQ(buf[2], 42);
	CHECK_EQ(buf[3], VSTREAM_FORMAT_B8G8R8A8_UNORM);
}

static void test_shader_text(void)
{
	uint32_t buf[32];
	struct vstream s;
	const char *text = "FRAG\nEND\n"; /* 9 chars + NUL = 10 bytes = 3 dwords */

	memset(buf, 0xAB, sizeof(buf));
	vstream_init(&s, buf, 32);
	vstream_create_shader(&s, 5, VSTREAM_SHADER_FRAGMENT, text);
	CHECK(vstream_ok(&s));
	CHECK_EQ(s.len, 1 + 5 + 3);
	CHECK_EQ(buf[0] >> 16, 8);
	CHECK_EQ(buf[2], VSTREAM_SHADER_FRAGMENT);
	CHECK_EQ(buf[3], 10); /* whole length, no continuation bit */
	CHECK(memcmp(&buf[6], text, 10) == 0);
	CHECK_EQ(((const uint8_t *)&buf[6])[10], 0); /* padding is zero */
	CHECK_EQ(((const uint8_t *)&buf[6])[11], 0);
	CHECK_EQ(buf[9], 0xABABABABu); /* nothing after the command */
}

static void test_overflow_stops_whole_commands(void)
{
	uint32_t buf[12];
	struct vstream s;

	buf[10] = GUARD;
	buf[11] = GUARD;
	vstream_init(&s, buf, 10);
	vstream_set_sub_ctx(&s, 1);           /* 2 dwords */
	vstream_set_viewport(&s, 0, 0, 8, 8); /* 8 dwords: fills the buffer exactly */
	CHECK(vstream_ok(&s));
	CHECK_EQ(s.len, 10);
	vstream_set_sub_ctx(&s, 1); /* does not fit */
	CHECK(!vstream_ok(&s));
	CHECK_EQ(s.len, 10);
	CHECK_EQ(buf[10], GUARD);

	/* once marked, later commands are dropped even if they would fit */
	vstream_init(&s, buf, 10);
	vstream_clear_color(&s, triangle_scene_clear_color); /* 9 dwords */
	vstream_set_sub_ctx(&s, 1);                          /* 2: does not fit */
	vstream_bind_object(&s, VSTREAM_OBJ_BLEND, 1);       /* would not fit either */
	vstream_create_sub_ctx(&s, 2);
	CHECK(!vstream_ok(&s));
	CHECK_EQ(s.len, 9);
	CHECK_EQ(buf[10], GUARD);
}

static void test_invalid_arguments_mark_stream(void)
{
	uint32_t buf[64];
	uint32_t cbufs[9] = { 0 };
	struct vstream s;

	vstream_init(&s, buf, 64);
	vstream_set_framebuffer(&s, 9, cbufs, 0);
	CHECK(!vstream_ok(&s));

	vstream_init(&s, buf, 64);
	vstream_set_vertex_buffers(&s, 1, NULL);
	CHECK(!vstream_ok(&s));

	vstream_init(&s, buf, 64);
	vstream_create_shader(&s, 1, 7, "VERT\nEND\n");
	CHECK(!vstream_ok(&s));

	vstream_init(&s, NULL, 64);
	vstream_set_sub_ctx(&s, 1);
	CHECK(!vstream_ok(&s));
	CHECK_EQ(s.len, 0);
}

static void test_scene_fits_and_truncates_safely(void)
{
	static uint32_t buf[TRIANGLE_SCENE_MAX_DWORDS + 1];
	struct vstream s;
	uint32_t need;

	vstream_init(&s, buf, TRIANGLE_SCENE_MAX_DWORDS);
	triangle_scene_encode(&s, 1, 2);
	CHECK(vstream_ok(&s));
	need = s.len;
	CHECK(need > 50);

	/* one dword short: the stream is marked and nothing lands past the end */
	buf[need - 1] = GUARD;
	vstream_init(&s, buf, need - 1);
	triangle_scene_encode(&s, 1, 2);
	CHECK(!vstream_ok(&s));
	CHECK(s.len < need);
	CHECK_EQ(buf[need - 1], GUARD);
}

int main(void)
{
	RUN(test_clear_packing);
	RUN(test_object_header);
	RUN(test_shader_text);
	RUN(test_overflow_stops_whole_commands);
	RUN(test_invalid_arguments_mark_stream);
	RUN(test_scene_fits_and_truncates_safely);
	return tap_done();
}
