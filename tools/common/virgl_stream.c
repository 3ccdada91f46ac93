/* SPDX-License-Identifier: MIT */
/*
 * virgl command stream encoder: see virgl_stream.h.  The field order of
 * every command follows the virgl protocol as the host renderer decodes it.
 */
#include "virgl_stream.h"

#include <string.h>

#define VSTREAM_MAX_COLOR_BUFS 8u

/* Payload sizes in dwords, as the protocol fixes them. */
#define VSTREAM_SURFACE_LEN 5u
#define VSTREAM_CLEAR_LEN 8u
#define VSTREAM_BLEND_LEN (3u + VSTREAM_MAX_COLOR_BUFS)
#define VSTREAM_DSA_LEN 5u
#define VSTREAM_RASTERIZER_LEN 9u
#define VSTREAM_SHADER_HDR_LEN 5u
#define VSTREAM_VIEWPORT_LEN 7u
#define VSTREAM_DRAW_VBO_LEN 12u

/* Rasterizer S0 bits. */
#define RS_DEPTH_CLIP (1u << 1)
#define RS_HALF_PIXEL_CENTER (1u << 29)

/* Blend S2 (per color buffer): the write mask sits in bits 27..30. */
#define BLEND_COLORMASK_RGBA (0xFu << 27)

static uint32_t float_bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

void vstream_init(struct vstream *s, uint32_t *buf, uint32_t cap_dwords)
{
	s->buf = buf;
	s->cap = buf ? cap_dwords : 0;
	s->len = 0;
	s->overflow = false;
}

bool vstream_ok(const struct vstream *s)
{
	return s && !s->overflow;
}

uint32_t vstream_size_bytes(const struct vstream *s)
{
	return s->len * 4u;
}

/*
 * Reserve a whole command (header + `len` payload dwords) or nothing: a
 * half-written command would make the host misparse everything after it.
 * Once a command is dropped, later ones are dropped too, so that the stream
 * never has a hole in the middle.
 */
static uint32_t *vstream_begin(struct vstream *s, uint32_t cmd, uint32_t object, uint32_t len)
{
	uint32_t *p;

	if (s->overflow || len > VSTREAM_MAX_PAYLOAD_DWORDS || s->cap - s->len < len + 1u) {
		s->overflow = true;
		return NULL;
	}
	p = s->buf + s->len;
	p[0] = cmd | (object << 8) | (len << 16);
	s->len += len + 1u;
	return p + 1;
}

static void vstream_one_arg(struct vstream *s, uint32_t cmd, uint32_t object, uint32_t arg)
{
	uint32_t *p = vstream_begin(s, cmd, object, 1);

	if (p)
		p[0] = arg;
}

void vstream_create_sub_ctx(struct vstream *s, uint32_t sub_ctx)
{
	vstream_one_arg(s, VSTREAM_CMD_CREATE_SUB_CTX, 0, sub_ctx);
}

void vstream_set_sub_ctx(struct vstream *s, uint32_t sub_ctx)
{
	vstream_one_arg(s, VSTREAM_CMD_SET_SUB_CTX, 0, sub_ctx);
}

void vstream_bind_object(struct vstream *s, uint32_t object, uint32_t handle)
{
	vstream_one_arg(s, VSTREAM_CMD_BIND_OBJECT, object, handle);
}

void vstream_create_surface(struct vstream *s, uint32_t handle, uint32_t res_id, uint32_t format,
			    uint32_t level)
{
	uint32_t *p = vstream_begin(s, VSTREAM_CMD_CREATE_OBJECT, VSTREAM_OBJ_SURFACE,
				    VSTREAM_SURFACE_LEN);

	if (!p)
		return;
	p[0] = handle;
	p[1] = res_id;
	p[2] = format;
	p[3] = level;
	p[4] = 0; /* first layer 0 | last layer 0 << 16 */
}

void vstream_set_framebuffer(struct vstream *s, uint32_t nr_cbufs, const uint32_t *cbufs,
			     uint32_t zsurf)
{
	uint32_t *p;
	uint32_t i;

	if (nr_cbufs > VSTREAM_MAX_COLOR_BUFS || (nr_cbufs && !cbufs)) {
		s->overflow = true;
		return;
	}
	p = vstream_begin(s, VSTREAM_CMD_SET_FRAMEBUFFER_STATE, 0, nr_cbufs + 2u);
	if (!p)
		return;
	p[0] = nr_cbufs;
	p[1] = zsurf;
	for (i = 0; i < nr_cbufs; i++)
		p[2 + i] = cbufs[i];
}

void vstream_clear_color(struct vstream *s, const float rgba[4])
{
	uint32_t *p = vstream_begin(s, VSTREAM_CMD_CLEAR, 0, VSTREAM_CLEAR_LEN);
	uint32_t i;

	if (!p)
		return;
	p[0] = VSTREAM_CLEAR_COLOR0;
	for (i = 0; i < 4; i++)
		p[1 + i] = float_bits(rgba[i]);
	p[5] = 0; /* depth, a double: 0.0 */
	p[6] = 0;
	p[7] = 0; /* stencil */
}

void vstream_create_blend_opaque(struct vstream *s, uint32_t handle)
{
	uint32_t *p =
		vstream_begin(s, VSTREAM_CMD_CREATE_OBJECT, VSTREAM_OBJ_BLEND, VSTREAM_BLEND_LEN);
	uint32_t i;

	if (!p)
		return;
	p[0] = handle;
	p[1] = 0; /* no independent blend, logic op, dither or alpha-to-coverage */
	p[2] = 0; /* logic op function (unused) */
	for (i = 0; i < VSTREAM_MAX_COLOR_BUFS; i++)
		p[3 + i] = BLEND_COLORMASK_RGBA;
}

void vstream_create_rasterizer_default(struct vstream *s, uint32_t handle)
{
	uint32_t *p = vstream_begin(s, VSTREAM_CMD_CREATE_OBJECT, VSTREAM_OBJ_RASTERIZER,
				    VSTREAM_RASTERIZER_LEN);

	if (!p)
		return;
	p[0] = handle;
	/* fill front/back = fill (0), cull none (0), clockwise front (0) */
	p[1] = RS_DEPTH_CLIP | RS_HALF_PIXEL_CENTER;
	p[2] = float_bits(1.0f); /* point size */
	p[3] = 0;                /* sprite coord enable */
	p[4] = 0;                /* line stipple, clip plane enable */
	p[5] = float_bits(1.0f); /* line width */
	p[6] = float_bits(0.0f); /* polygon offset units */
	p[7] = float_bits(0.0f); /* polygon offset scale */
	p[8] = float_bits(0.0f); /* polygon offset clamp */
}

void vstream_create_dsa(struct vstream *s, uint32_t handle, bool depth_test, bool depth_write,
			uint32_t depth_func)
{
	uint32_t *p = vstream_begin(s, VSTREAM_CMD_CREATE_OBJECT, VSTREAM_OBJ_DSA, VSTREAM_DSA_LEN);

	if (!p)
		return;
	p[0] = handle;
	p[1] = (uint32_t)depth_test | ((uint32_t)depth_write << 1) | ((depth_func & 7u) << 2);
	p[2] = 0;                /* front stencil off */
	p[3] = 0;                /* back stencil off */
	p[4] = float_bits(0.0f); /* alpha reference */
}

/*
 * The host parses the text into a token array it sizes from our count.
 * Every token takes at least one character of text, so the text length
 * (plus the header tokens) is a safe upper bound.
 */
static uint32_t tgsi_token_bound(uint32_t text_bytes)
{
	return text_bytes + 16u;
}

void vstream_create_shader(struct vstream *s, uint32_t handle, uint32_t stage, const char *tgsi)
{
	uint32_t text_bytes, text_dwords;
	size_t text_len;
	uint32_t *p;

	if (!tgsi || (stage != VSTREAM_SHADER_VERTEX && stage != VSTREAM_SHADER_FRAGMENT)) {
		s->overflow = true;
		return;
	}
	text_len = strlen(tgsi);
	if (text_len >= (size_t)VSTREAM_MAX_PAYLOAD_DWORDS * 4u) {
		s->overflow = true;
		return;
	}
	text_bytes = (uint32_t)text_len + 1u; /* the host wants the NUL */
	text_dwords = (text_bytes + 3u) / 4u;
	p = vstream_begin(s, VSTREAM_CMD_CREATE_OBJECT, VSTREAM_OBJ_SHADER,
			  VSTREAM_SHADER_HDR_LEN + text_dwords);
	if (!p)
		return;
	p[0] = handle;
	p[1] = stage;
	p[2] = text_bytes; /* whole text in this command: no continuation bit */
	p[3] = tgsi_token_bound(text_bytes);
	p[4] = 0;                                        /* no stream output */
	p[VSTREAM_SHADER_HDR_LEN + text_dwords - 1] = 0; /* zero the padding */
	memcpy(&p[VSTREAM_SHADER_HDR_LEN], tgsi, text_bytes);
}

void vstream_bind_shader(struct vstream *s, uint32_t handle, uint32_t stage)
{
	uint32_t *p = vstream_begin(s, VSTREAM_CMD_BIND_SHADER, 0, 2);

	if (!p)
		return;
	p[0] = handle;
	p[1] = stage;
}

void vstream_create_vertex_elements(struct vstream *s, uint32_t handle, uint32_t count,
				    const struct vstream_vertex_element *elements)
{
	uint32_t *p;
	uint32_t i;

	/* the host keeps at most 32 (PIPE_MAX_ATTRIBS) */
	if (count == 0 || count > 32 || !elements) {
		s->overflow = true;
		return;
	}
	p = vstream_begin(s, VSTREAM_CMD_CREATE_OBJECT, VSTREAM_OBJ_VERTEX_ELEMENTS,
			  1u + 4u * count);
	if (!p)
		return;
	p[0] = handle;
	for (i = 0; i < count; i++) {
		p[1 + 4 * i] = elements[i].src_offset;
		p[2 + 4 * i] = elements[i].instance_divisor;
		p[3 + 4 * i] = elements[i].vertex_buffer_index;
		p[4 + 4 * i] = elements[i].format;
	}
}

void vstream_set_vertex_buffers(struct vstream *s, uint32_t count,
				const struct vstream_vertex_buffer *buffers)
{
	uint32_t *p;
	uint32_t i;

	if (count > 32 || (count && !buffers)) {
		s->overflow = true;
		return;
	}
	p = vstream_begin(s, VSTREAM_CMD_SET_VERTEX_BUFFERS, 0, 3u * count);
	if (!p)
		return;
	for (i = 0; i < count; i++) {
		p[3 * i] = buffers[i].stride;
		p[3 * i + 1] = buffers[i].offset;
		p[3 * i + 2] = buffers[i].res_id;
	}
}

void vstream_set_viewport(struct vstream *s, float x, float y, float w, float h)
{
	uint32_t *p = vstream_begin(s, VSTREAM_CMD_SET_VIEWPORT_STATE, 0, VSTREAM_VIEWPORT_LEN);

	if (!p)
		return;
	p[0] = 0; /* first viewport slot */
	p[1] = float_bits(w * 0.5f);
	/*
	 * The host reads back render targets bottom row first (OpenGL's
	 * order): a negative y scale puts normalized +1 on the first row.
	 */
	p[2] = float_bits(h * -0.5f);
	p[3] = float_bits(0.5f);
	p[4] = float_bits(x + w * 0.5f);
	p[5] = float_bits(y + h * 0.5f);
	p[6] = float_bits(0.5f);
}

void vstream_draw_arrays(struct vstream *s, uint32_t mode, uint32_t start, uint32_t count)
{
	uint32_t *p = vstream_begin(s, VSTREAM_CMD_DRAW_VBO, 0, VSTREAM_DRAW_VBO_LEN);

	if (!p)
		return;
	p[0] = start;
	p[1] = count;
	p[2] = mode;
	p[3] = 0;            /* not indexed */
	p[4] = 1;            /* instance count */
	p[5] = 0;            /* index bias */
	p[6] = 0;            /* start instance */
	p[7] = 0;            /* primitive restart off */
	p[8] = 0;            /* restart index */
	p[9] = 0;            /* min index */
	p[10] = 0xFFFFFFFFu; /* max index: unbounded */
	p[11] = 0;           /* count from stream output: none */
}
