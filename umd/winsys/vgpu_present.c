/* SPDX-License-Identifier: MIT */
/*
 * Presenting: a display-target resource also has a display target of the
 * loader's sw_winsys (an XImage, a GDI DIB...).  The image lives on the
 * host, so a present reads the box back into the backing, waits, copies it
 * into the display target and lets the sw_winsys show it: on Windows in
 * the presenter's thread after flush_frontbuffer has returned, which shows
 * 32-bit images from the backing without the copy (vgpu_presenter.c);
 * elsewhere within flush_frontbuffer.
 *
 * The readback rides at the end of the frame's own stream: WGL calls pipe
 * flush_resource on the back buffer right before the flush that ends the
 * frame, which reaches flush_resource here (umd/mesa/vgpu.patch), so a
 * frame costs the device one submit, not a submit and then a transfer.  A
 * present finding no such readback (drisw does not call flush_resource),
 * or anything sent to the device after it, reads back on its own as
 * before.  WGL's other flushes through the same path (a context made
 * current elsewhere) read back an image nobody shows: a copy, no harm.
 */
#include "vgpu_winsys.h"

#include <string.h>

#include "frontend/sw_winsys.h"
#include "util/format/u_format.h"
#include "util/u_atomic.h"

static unsigned display_usage(uint32_t bind)
{
	unsigned usage = 0;

	if (bind & VIRGL_BIND_DISPLAY_TARGET)
		usage |= PIPE_BIND_DISPLAY_TARGET;
	if (bind & VIRGL_BIND_SCANOUT)
		usage |= PIPE_BIND_SCANOUT;
	return usage;
}

/* Byte offset of the box's first block in a tightly packed backing. */
static uint32_t packed_offset(const struct virgl_hw_res *res, const struct pipe_box *box)
{
	return box->y / util_format_get_blockheight(res->format) *
		       virgl_vgpu_res_packed_stride(res) +
	       box->x / util_format_get_blockwidth(res->format) *
		       util_format_get_blocksize(res->format);
}

/* Copy a box between the tightly packed backing and the display target, either way. */
static void copy_box(const struct virgl_hw_res *res, uint8_t *dt_map, uint8_t *backing,
		     bool to_display, const struct pipe_box *box)
{
	uint32_t stride = virgl_vgpu_res_packed_stride(res);
	uint32_t first_row = box->y / util_format_get_blockheight(res->format);
	uint32_t x_bytes = box->x / util_format_get_blockwidth(res->format) *
			   util_format_get_blocksize(res->format);
	uint32_t rows = util_format_get_nblocksy(res->format, box->height);
	uint32_t row_bytes = util_format_get_stride(res->format, box->width);
	uint32_t i;

	for (i = 0; i < rows; i++) {
		uint8_t *dt_row = dt_map + (first_row + i) * res->dt_stride + x_bytes;
		uint8_t *backing_row = backing + (first_row + i) * stride + x_bytes;

		if (to_display)
			memcpy(dt_row, backing_row, row_bytes);
		else
			memcpy(backing_row, dt_row, row_bytes);
	}
}

static void full_box(const struct virgl_hw_res *res, unsigned layer, struct pipe_box *box)
{
	memset(box, 0, sizeof(*box));
	box->z = layer;
	box->width = res->width;
	box->height = res->height;
	box->depth = 1;
}

/* The display target starts with what the loader had (e.g. the window's front). */
static bool upload_front(struct virgl_vgpu_winsys *ws, struct virgl_hw_res *res)
{
	struct pipe_box box;
	uint8_t *backing = virgl_vgpu_res_map(&ws->base, res);
	uint8_t *dt_map;

	if (!backing)
		return false;
	dt_map = ws->sws->displaytarget_map(ws->sws, res->dt, PIPE_MAP_READ);
	if (!dt_map)
		return false;
	full_box(res, 0, &box);
	copy_box(res, dt_map, backing, false, &box);
	ws->sws->displaytarget_unmap(ws->sws, res->dt);
	return virgl_vgpu_res_transfer(ws, true, res, &box, virgl_vgpu_res_packed_stride(res), 0, 0,
				       0, NULL) == 0;
}

bool virgl_vgpu_present_attach(struct virgl_vgpu_winsys *ws, struct virgl_hw_res *res,
			       const void *map_front_private)
{
	res->dt = ws->sws->displaytarget_create(ws->sws, display_usage(res->bind), res->format,
						res->width, res->height, 64, map_front_private,
						&res->dt_stride);
	if (!res->dt)
		return false;
	if (map_front_private)
		return upload_front(ws, res);
	return true;
}

void virgl_vgpu_present_detach(struct virgl_vgpu_winsys *ws, struct virgl_hw_res *res)
{
	if (res->dt)
		ws->sws->displaytarget_destroy(ws->sws, res->dt);
	res->dt = NULL;
}

static bool box_inside(const struct virgl_hw_res *res, const struct pipe_box *box)
{
	return box->x >= 0 && box->y >= 0 && box->width > 0 && box->height > 0 &&
	       (uint32_t)box->x + box->width <= res->width &&
	       (uint32_t)box->y + box->height <= res->height;
}

static uint64_t box_bytes(const struct virgl_hw_res *res, const struct pipe_box *box)
{
	return (uint64_t)util_format_get_nblocksy(res->format, box->height) *
	       util_format_get_stride(res->format, box->width);
}

bool virgl_vgpu_present_read(struct virgl_vgpu_winsys *ws, struct virgl_hw_res *res,
			     const struct pipe_box *box, uint64_t *fence)
{
	*fence = 0;
	return virgl_vgpu_res_transfer(ws, false, res, box, virgl_vgpu_res_packed_stride(res), 0,
				       packed_offset(res, box), 0, fence) == 0;
}

bool virgl_vgpu_present_wait_readback(struct virgl_vgpu_winsys *ws, struct virgl_hw_res *res,
				      uint64_t fence, const struct pipe_box *box)
{
	uint64_t start = virgl_vgpu_stats_start(ws);

	/* a lost device ends every wait: then there is no frame to show */
	if (!virgl_vgpu_ws_wait_fence(ws, fence, PIPE_TIMEOUT_INFINITE) || p_atomic_read(&ws->lost))
		return false;
	virgl_vgpu_stats_end(ws, VIRGL_VGPU_READBACK, start, box_bytes(res, box));
	return true;
}

void virgl_vgpu_present_show(struct virgl_vgpu_winsys *ws, struct virgl_hw_res *res,
			     const struct pipe_box *box, void *drawable, struct pipe_box *sub_box)
{
	uint64_t start = virgl_vgpu_stats_start(ws);
	uint8_t *backing = virgl_vgpu_res_map(&ws->base, res);
	uint8_t *dt_map;

	if (!backing)
		return;
	dt_map = ws->sws->displaytarget_map(ws->sws, res->dt, PIPE_MAP_WRITE);
	if (!dt_map)
		return;
	copy_box(res, dt_map, backing, true, box);
	ws->sws->displaytarget_unmap(ws->sws, res->dt);
	virgl_vgpu_stats_end(ws, VIRGL_VGPU_COPY, start, box_bytes(res, box));
	start = virgl_vgpu_stats_start(ws);
	ws->sws->displaytarget_display(ws->sws, res->dt, drawable, sub_box);
	virgl_vgpu_stats_end(ws, VIRGL_VGPU_DISPLAY, start, 0);
}

/*
 * The whole present in this call: what the presenter does later, done now
 * (`read` completes the readback already sent; 0: none is).
 */
static bool present_now(struct virgl_vgpu_winsys *ws, struct virgl_hw_res *res, void *drawable,
			const struct pipe_box *box, struct pipe_box *sub_box, uint64_t read)
{
	uint64_t fence = read;

	/* a frame of it still queued (shown in a window before) has its backing */
	virgl_vgpu_presenter_release(ws, res);
	if ((!fence && !virgl_vgpu_present_read(ws, res, box, &fence)) ||
	    !virgl_vgpu_present_wait_readback(ws, res, fence, box))
		return false;
	virgl_vgpu_present_show(ws, res, box, drawable, sub_box);
	return true;
}

static void virgl_vgpu_flush_resource(struct virgl_winsys *vws, struct virgl_cmd_buf *cbuf,
				      struct virgl_hw_res *res)
{
	struct virgl_vgpu_winsys *ws = virgl_vgpu_winsys(vws);
	struct pipe_box box;

	if (!res || !res->dt || p_atomic_read(&ws->lost))
		return;
	full_box(res, 0, &box);
	/* a frame of it still queued is shown from the backing this readback writes */
	virgl_vgpu_presenter_release(ws, res);
	/* no room left in the stream: the present reads back on its own */
	virgl_vgpu_cmd_buf_readback(cbuf, res, &box, virgl_vgpu_res_packed_stride(res), 0);
}

/* The readback a stream ended with, unless anything reached the device after it. */
static uint64_t take_read_whole(struct virgl_vgpu_winsys *ws, struct virgl_hw_res *res)
{
	uint64_t read = res->read_whole;

	res->read_whole = 0;
	return read && read == virgl_vgpu_ws_last_fence(ws) ? read : 0;
}

static void virgl_vgpu_flush_frontbuffer(struct virgl_winsys *vws, struct virgl_hw_res *res,
					 unsigned level, unsigned layer, void *drawable,
					 struct pipe_box *sub_box)
{
	struct virgl_vgpu_winsys *ws = virgl_vgpu_winsys(vws);
	uint64_t start = virgl_vgpu_stats_start(ws);
	struct pipe_box box;
	uint64_t read;

	if (!res || !res->dt || level)
		return;
	if (sub_box)
		box = *sub_box;
	else
		full_box(res, layer, &box);
	box.z = 0;
	box.depth = 1;
	if (!box_inside(res, &box))
		return;
	read = take_read_whole(ws, res);
	if (virgl_vgpu_presenter_queue(ws, res, &box, drawable, sub_box, read) ||
	    present_now(ws, res, drawable, &box, sub_box, read))
		virgl_vgpu_stats_end(ws, VIRGL_VGPU_PRESENT, start, 0);
}

void virgl_vgpu_ws_init_present(struct virgl_vgpu_winsys *ws)
{
	ws->base.flush_resource = virgl_vgpu_flush_resource;
	ws->base.flush_frontbuffer = virgl_vgpu_flush_frontbuffer;
}
