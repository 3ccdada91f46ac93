/* SPDX-License-Identifier: MIT */
/*
 * Command buffers: the driver writes the virgl stream into buf; emit_res
 * lists each resource the stream uses (holding a reference until the
 * submit), and the submit hands the stream and the list's handles to
 * libvgpu, which makes waits on those resources cover the stream.  A
 * present may end the stream with its readback (virgl_vgpu_cmd_buf_readback).
 */
#include "vgpu_winsys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/set.h"
#include "util/u_atomic.h"
#include "virtio-gpu/virgl_protocol.h"

/* TRANSFER3D: its header, then the fields. */
#define READBACK_DWORDS (1 + VIRGL_TRANSFER3D_SIZE)

struct virgl_vgpu_cmd_buf {
	struct virgl_cmd_buf base;
	/*
	 * Room for a submit's handles, then the stream (base.buf): the
	 * handles are put right before it, so that libvgpu sends the payload
	 * as it lies instead of gathering it into one buffer.
	 */
	uint32_t *block;
	uint32_t cap; /* dwords of stream base.buf holds */
	struct virgl_vgpu_winsys *ws;
	struct virgl_hw_res **res; /* listed resources, each referenced */
	uint32_t *handles;         /* their libvgpu handles, for the submit */
	uint32_t num_res;
	uint32_t cap_res;
	struct set *listed; /* the same resources, for a quick "already listed?" */
	/* the stream has a present's readback of it, ending at readback_end */
	struct virgl_hw_res *readback;
	uint32_t readback_end;
};

static struct virgl_vgpu_cmd_buf *virgl_vgpu_cmd_buf(struct virgl_cmd_buf *cbuf)
{
	return (struct virgl_vgpu_cmd_buf *)cbuf;
}

static void release_listed(struct virgl_vgpu_cmd_buf *cb)
{
	uint32_t i;

	for (i = 0; i < cb->num_res; i++) {
		p_atomic_dec(&cb->res[i]->cs_refs);
		virgl_vgpu_res_reference(&cb->ws->base, &cb->res[i], NULL);
	}
	cb->num_res = 0;
	_mesa_set_clear(cb->listed, NULL);
}

static void virgl_vgpu_cmd_buf_destroy(struct virgl_cmd_buf *cbuf)
{
	struct virgl_vgpu_cmd_buf *cb = virgl_vgpu_cmd_buf(cbuf);

	if (!cb)
		return;
	if (cb->listed)
		release_listed(cb);
	_mesa_set_destroy(cb->listed, NULL);
	free(cb->res);
	free(cb->handles);
	free(cb->block);
	free(cb);
}

static struct virgl_cmd_buf *virgl_vgpu_cmd_buf_create(struct virgl_winsys *vws, uint32_t size)
{
	struct virgl_vgpu_cmd_buf *cb;

	if (!size || size > VGPU_MAX_SUBMIT_BYTES / sizeof(uint32_t))
		return NULL;
	cb = calloc(1, sizeof(*cb));
	if (!cb)
		return NULL;
	cb->ws = virgl_vgpu_winsys(vws);
	cb->block = calloc(VGPU_MAX_SUBMIT_HANDLES + size, sizeof(uint32_t));
	cb->base.buf = cb->block ? cb->block + VGPU_MAX_SUBMIT_HANDLES : NULL;
	cb->cap = size;
	cb->listed = _mesa_pointer_set_create(NULL);
	if (!cb->block || !cb->listed) {
		virgl_vgpu_cmd_buf_destroy(&cb->base);
		return NULL;
	}
	return &cb->base;
}

static bool grow_list(struct virgl_vgpu_cmd_buf *cb)
{
	uint32_t cap = cb->cap_res ? cb->cap_res * 2 : 64;
	struct virgl_hw_res **res;
	uint32_t *handles;

	res = realloc(cb->res, cap * sizeof(*res));
	if (!res)
		return false;
	cb->res = res;
	handles = realloc(cb->handles, cap * sizeof(*handles));
	if (!handles)
		return false;
	cb->handles = handles;
	cb->cap_res = cap;
	return true;
}

static void list_resource(struct virgl_vgpu_cmd_buf *cb, struct virgl_hw_res *res)
{
	if (_mesa_set_search(cb->listed, res))
		return;
	if (cb->num_res == cb->cap_res && !grow_list(cb)) {
		/* the submit will then not cover it: say so rather than fail silently */
		virgl_vgpu_ws_ok(cb->ws, VGPU_E_NO_MEMORY, "listing a resource for a submit");
		return;
	}
	if (!_mesa_set_add(cb->listed, res)) {
		virgl_vgpu_ws_ok(cb->ws, VGPU_E_NO_MEMORY, "listing a resource for a submit");
		return;
	}
	cb->res[cb->num_res] = NULL;
	virgl_vgpu_res_reference(&cb->ws->base, &cb->res[cb->num_res], res);
	cb->handles[cb->num_res] = res->handle;
	p_atomic_inc(&res->cs_refs);
	cb->num_res++;
}

static void virgl_vgpu_emit_res(struct virgl_winsys *vws, struct virgl_cmd_buf *cbuf,
				struct virgl_hw_res *res, boolean write_buffer)
{
	struct virgl_vgpu_cmd_buf *cb = virgl_vgpu_cmd_buf(cbuf);

	if (!cb || !res)
		return;
	if (write_buffer)
		cb->base.buf[cb->base.cdw++] = res->res_id;
	list_resource(cb, res);
}

static boolean virgl_vgpu_res_is_referenced(struct virgl_winsys *vws, struct virgl_cmd_buf *cbuf,
					    struct virgl_hw_res *res)
{
	return res && p_atomic_read(&res->cs_refs) > 0;
}

bool virgl_vgpu_cmd_buf_readback(struct virgl_cmd_buf *cbuf, struct virgl_hw_res *res,
				 const struct pipe_box *box, uint32_t stride, uint32_t offset)
{
	struct virgl_vgpu_cmd_buf *cb = virgl_vgpu_cmd_buf(cbuf);
	uint32_t *cmd;

	if (!cb || cb->readback || cb->cap - cb->base.cdw < READBACK_DWORDS)
		return false;
	cmd = cb->base.buf + cb->base.cdw;
	memset(cmd, 0, READBACK_DWORDS * sizeof(*cmd));
	cmd[0] = VIRGL_CMD0(VIRGL_CCMD_TRANSFER3D, 0, VIRGL_TRANSFER3D_SIZE);
	cmd[VIRGL_RESOURCE_IW_RES_HANDLE] = res->res_id;
	cmd[VIRGL_RESOURCE_IW_STRIDE] = stride;
	cmd[VIRGL_RESOURCE_IW_X] = box->x;
	cmd[VIRGL_RESOURCE_IW_Y] = box->y;
	cmd[VIRGL_RESOURCE_IW_Z] = box->z;
	cmd[VIRGL_RESOURCE_IW_W] = box->width;
	cmd[VIRGL_RESOURCE_IW_H] = box->height;
	cmd[VIRGL_RESOURCE_IW_D] = box->depth;
	cmd[VIRGL_TRANSFER3D_DATA_OFFSET] = offset;
	cmd[VIRGL_TRANSFER3D_DIRECTION] = VIRGL_TRANSFER_FROM_HOST;
	cb->base.cdw += READBACK_DWORDS;
	list_resource(cb, res);
	cb->readback = res;
	cb->readback_end = cb->base.cdw;
	return true;
}

/* The listed handles, put right before the stream when they fit there. */
static const uint32_t *handles_before_stream(struct virgl_vgpu_cmd_buf *cb)
{
	uint32_t *lead;

	if (!cb->num_res)
		return NULL;
	if (cb->num_res > VGPU_MAX_SUBMIT_HANDLES)
		return cb->handles; /* more than a submit takes: libvgpu refuses it */
	lead = cb->base.buf - cb->num_res;
	memcpy(lead, cb->handles, cb->num_res * sizeof(*lead));
	return lead;
}

/*
 * An empty buffer submits nothing; its fence is then "everything so far".
 * A failed submit still consumes the buffer: its stream cannot be kept.
 */
static int virgl_vgpu_submit_cmd(struct virgl_winsys *vws, struct virgl_cmd_buf *cbuf,
				 struct pipe_fence_handle **fence)
{
	struct virgl_vgpu_winsys *ws = virgl_vgpu_winsys(vws);
	struct virgl_vgpu_cmd_buf *cb = virgl_vgpu_cmd_buf(cbuf);
	uint64_t value = 0;
	int status = VGPU_OK;

	if (!cb)
		return -1;
	if (cb->base.cdw) {
		uint64_t start = virgl_vgpu_stats_start(ws);

		status = p_atomic_read(&ws->lost)
				 ? VGPU_E_DEVICE_LOST
				 : vgpu_submit(ws->dev, cb->base.buf, cb->base.cdw * 4,
					       handles_before_stream(cb), cb->num_res, &value);
		if (virgl_vgpu_ws_ok(ws, status, "submitting commands"))
			virgl_vgpu_ws_fence_issued(ws, value);
		virgl_vgpu_stats_end(ws, VIRGL_VGPU_SUBMIT, start, cb->base.cdw * 4);
	}
	/* commands after the readback (flush_resource not right before a flush) change the image */
	if (cb->readback)
		cb->readback->read_whole =
			status == VGPU_OK && cb->base.cdw == cb->readback_end ? value : 0;
	cb->readback = NULL;
	release_listed(cb);
	cb->base.cdw = 0;
	if (fence)
		*fence = virgl_vgpu_fence_at(value ? value : virgl_vgpu_ws_last_fence(ws));
	return status == VGPU_OK ? 0 : -1;
}

void virgl_vgpu_ws_init_cmdbufs(struct virgl_vgpu_winsys *ws)
{
	ws->base.cmd_buf_create = virgl_vgpu_cmd_buf_create;
	ws->base.cmd_buf_destroy = virgl_vgpu_cmd_buf_destroy;
	ws->base.emit_res = virgl_vgpu_emit_res;
	ws->base.res_is_referenced = virgl_vgpu_res_is_referenced;
	ws->base.submit_cmd = virgl_vgpu_submit_cmd;
}
