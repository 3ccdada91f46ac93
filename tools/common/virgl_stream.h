/* SPDX-License-Identifier: MIT */
/*
 * A small encoder for the virgl command stream, the bytes a SUBMIT carries
 * to the host renderer.  It covers what a clear and a shaded triangle need,
 * for tools and tests that talk to the driver without Mesa.
 *
 * Every command is a header dword (command, object type, payload length in
 * dwords) followed by its payload.  The encoder writes into a caller-owned
 * buffer and never past it: a command that does not fit sets the overflow
 * flag and is dropped whole, so a stream is either complete or marked bad.
 */
#ifndef VGPU_TOOLS_VIRGL_STREAM_H
#define VGPU_TOOLS_VIRGL_STREAM_H

#include <stdbool.h>
#include <stdint.h>

/* Context commands (the low byte of a command header). */
enum vstream_cmd {
	VSTREAM_CMD_NOP = 0,
	VSTREAM_CMD_CREATE_OBJECT = 1,
	VSTREAM_CMD_BIND_OBJECT = 2,
	VSTREAM_CMD_SET_VIEWPORT_STATE = 4,
	VSTREAM_CMD_SET_FRAMEBUFFER_STATE = 5,
	VSTREAM_CMD_SET_VERTEX_BUFFERS = 6,
	VSTREAM_CMD_CLEAR = 7,
	VSTREAM_CMD_DRAW_VBO = 8,
	VSTREAM_CMD_SET_SUB_CTX = 28,
	VSTREAM_CMD_CREATE_SUB_CTX = 29,
	VSTREAM_CMD_BIND_SHADER = 31,
};

/* Object types (the second byte of a create/bind/destroy header). */
enum vstream_object {
	VSTREAM_OBJ_BLEND = 1,
	VSTREAM_OBJ_RASTERIZER = 2,
	VSTREAM_OBJ_DSA = 3,
	VSTREAM_OBJ_SHADER = 4,
	VSTREAM_OBJ_VERTEX_ELEMENTS = 5,
	VSTREAM_OBJ_SURFACE = 8,
};

enum vstream_shader_stage {
	VSTREAM_SHADER_VERTEX = 0,
	VSTREAM_SHADER_FRAGMENT = 1,
};

/* The few virgl formats, bind flags and gallium enums our tools use. */
#define VSTREAM_FORMAT_B8G8R8A8_UNORM 1u
#define VSTREAM_FORMAT_R32G32B32A32_FLOAT 31u
#define VSTREAM_FORMAT_R8_UNORM 64u
#define VSTREAM_FORMAT_R8G8B8A8_UNORM 67u

#define VSTREAM_BIND_RENDER_TARGET (1u << 1)
#define VSTREAM_BIND_SAMPLER_VIEW (1u << 3)
#define VSTREAM_BIND_VERTEX_BUFFER (1u << 4)

#define VSTREAM_TARGET_BUFFER 0u
#define VSTREAM_TARGET_TEXTURE_2D 2u

#define VSTREAM_PRIM_TRIANGLES 4u
#define VSTREAM_CLEAR_COLOR0 (1u << 2)
#define VSTREAM_FUNC_LESS 1u

/* The largest payload one command header can announce (16-bit length). */
#define VSTREAM_MAX_PAYLOAD_DWORDS 0xFFFFu

struct vstream {
	uint32_t *buf;
	uint32_t cap;  /* dwords */
	uint32_t len;  /* dwords written */
	bool overflow; /* a command did not fit, or had an invalid argument */
};

struct vstream_vertex_element {
	uint32_t src_offset;
	uint32_t instance_divisor;
	uint32_t vertex_buffer_index;
	uint32_t format; /* VSTREAM_FORMAT_* */
};

struct vstream_vertex_buffer {
	uint32_t stride;
	uint32_t offset;
	uint32_t res_id;
};

void vstream_init(struct vstream *s, uint32_t *buf, uint32_t cap_dwords);
/* True when every command so far was encoded whole. */
bool vstream_ok(const struct vstream *s);
uint32_t vstream_size_bytes(const struct vstream *s);

void vstream_create_sub_ctx(struct vstream *s, uint32_t sub_ctx);
void vstream_set_sub_ctx(struct vstream *s, uint32_t sub_ctx);

/* A color surface on level `level`, layer 0, of a texture resource. */
void vstream_create_surface(struct vstream *s, uint32_t handle, uint32_t res_id, uint32_t format,
			    uint32_t level);
/* nr_cbufs color surfaces (at most 8), zsurf 0 for none. */
void vstream_set_framebuffer(struct vstream *s, uint32_t nr_cbufs, const uint32_t *cbufs,
			     uint32_t zsurf);
void vstream_clear_color(struct vstream *s, const float rgba[4]);

/* Blending off, every channel of every color buffer written. */
void vstream_create_blend_opaque(struct vstream *s, uint32_t handle);
/* Filled triangles, no culling, depth clipping, GL pixel centers. */
void vstream_create_rasterizer_default(struct vstream *s, uint32_t handle);
/* Depth test and writes as given; stencil and alpha test off. */
void vstream_create_dsa(struct vstream *s, uint32_t handle, bool depth_test, bool depth_write,
			uint32_t depth_func);
void vstream_bind_object(struct vstream *s, uint32_t object, uint32_t handle);

/* A shader from TGSI text, in one command (no stream output). */
void vstream_create_shader(struct vstream *s, uint32_t handle, uint32_t stage, const char *tgsi);
void vstream_bind_shader(struct vstream *s, uint32_t handle, uint32_t stage);

void vstream_create_vertex_elements(struct vstream *s, uint32_t handle, uint32_t count,
				    const struct vstream_vertex_element *elements);
void vstream_set_vertex_buffers(struct vstream *s, uint32_t count,
				const struct vstream_vertex_buffer *buffers);

/*
 * Viewport 0 covering x, y, w, h of the framebuffer, depth range [0, 1].
 * Normalized y = +1 lands on framebuffer row y (the top row of the image
 * as read back), as OpenGL shows a window.
 */
void vstream_set_viewport(struct vstream *s, float x, float y, float w, float h);

/* Non-indexed draw of `count` vertices from `start`, one instance. */
void vstream_draw_arrays(struct vstream *s, uint32_t mode, uint32_t start, uint32_t count);

#endif /* VGPU_TOOLS_VIRGL_STREAM_H */
