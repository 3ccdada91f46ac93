/* SPDX-License-Identifier: MIT */
/*
 * The asynchronous presenter: SwapBuffers queues its frame, whose readback
 * the frame's own stream ended with (vgpu_present.c) or the presenter
 * starts, and returns; a thread of the winsys waits for the readback
 * (which the host runs after the frame's rendering) and shows it: a 32-bit
 * image straight from the backing, any other copied into the display
 * target first.  The frontends do not wait for the frame's rendering
 * either (PIPE_CAP_FRONTBUFFER_FLUSH_WAITS in umd/mesa/vgpu.patch), so the
 * host's rendering, the readback, the copy and the display of frame N
 * overlap with the application building frame N + 1.
 *
 * The rules that keep what the application sees unchanged:
 *  - at most two frames in flight: a present waits while two frames are
 *    queued, or while one of its own resource is, before it starts its
 *    readback.  So the host reads frame N + 1 back right after rendering
 *    it, while frame N is being shown, instead of idling until then; frames
 *    are shown in order (their readbacks complete in queue order), whole
 *    and none dropped, and when SwapBuffers of frame N returns, frame
 *    N - 2 is on screen (latency: at most two frames);
 *  - a driver fence wait (glFinish) also waits until a frame read back
 *    before that fence is shown, so glFinish leaves the window up to date;
 *  - the driver's own access to a queued frame's backing (glReadPixels,
 *    uploads, busy checks) waits until it is shown, so the two never share
 *    the backing at once;
 *  - a queued frame holds a reference to its resource: one destroyed (a
 *    closed window, a resize) goes when its frame has been shown.
 *
 * Only on Windows: the frame is shown later through a cache DC of its
 * window, since the DC SwapBuffers got may be released once it returns,
 * or be the application's own (CS_OWNDC) and in use by its thread.  X drawables are shown with Xlib on the
 * application's own connection, which another thread may not use, so the
 * Linux loaders keep presenting synchronously (vgpu_present.c).
 */
#include "vgpu_winsys.h"

#include <stdlib.h>

#ifdef _WIN32

#include <windows.h>

#include "util/format/u_format.h"
#include "util/u_box.h"

struct queued_frame {
	struct virgl_hw_res *res; /* referenced while queued */
	struct pipe_box box;      /* what was read back */
	struct pipe_box sub_box;  /* what the loader asked to show */
	bool whole;               /* the loader gave no sub_box */
	HWND window;
	uint64_t fence; /* completes the readback */
};

#define FRAMES_IN_FLIGHT 2u

struct virgl_vgpu_presenter {
	thrd_t thread;
	mtx_t lock;    /* guards everything below */
	cnd_t changed; /* a frame was queued or shown, or stop was asked */
	bool stop;
	/* waiting to be shown or being shown (the oldest, at first), in fence order */
	struct queued_frame frames[FRAMES_IN_FLIGHT];
	unsigned first, count;
};

static struct queued_frame *queued_locked(struct virgl_vgpu_presenter *p, unsigned i)
{
	return &p->frames[(p->first + i) % FRAMES_IN_FLIGHT];
}

static bool holds_locked(struct virgl_vgpu_presenter *p, const struct virgl_hw_res *res)
{
	for (unsigned i = 0; i < p->count; i++) {
		if (queued_locked(p, i)->res == res)
			return true;
	}
	return false;
}

static bool any_before_locked(struct virgl_vgpu_presenter *p, uint64_t fence)
{
	for (unsigned i = 0; i < p->count; i++) {
		if (queued_locked(p, i)->fence <= fence)
			return true;
	}
	return false;
}

/*
 * A 32-bit image GDI can show straight from the backing its readback landed
 * in, with no copy into the display target: the bits mean to StretchDIBits
 * what they mean in the display target, which GDI also shows whole.
 */
static bool shown_from_backing(const struct virgl_hw_res *res)
{
	return util_format_get_blocksizebits(res->format) == 32 &&
	       util_format_get_blockwidth(res->format) == 1 &&
	       util_format_get_blockheight(res->format) == 1 &&
	       virgl_vgpu_res_packed_stride(res) == res->width * 4u;
}

static void show_backing(struct virgl_vgpu_winsys *ws, struct virgl_hw_res *res, HDC dc)
{
	uint64_t start = virgl_vgpu_stats_start(ws);
	uint8_t *backing = virgl_vgpu_res_map(&ws->base, res);
	BITMAPINFO bmi = { .bmiHeader = {
				   .biSize = sizeof(BITMAPINFOHEADER),
				   .biWidth = (LONG)res->width,
				   .biHeight = -(LONG)res->height, /* rows top down, as read back */
				   .biPlanes = 1,
				   .biBitCount = 32,
				   .biCompression = BI_RGB,
			   } };

	if (!backing)
		return;
	StretchDIBits(dc, 0, 0, (int)res->width, (int)res->height, 0, 0, (int)res->width,
		      (int)res->height, backing, &bmi, DIB_RGB_COLORS, SRCCOPY);
	virgl_vgpu_stats_end(ws, VIRGL_VGPU_DISPLAY, start, 0);
}

static void show(struct virgl_vgpu_winsys *ws, struct queued_frame *frame)
{
	HDC dc;

	if (!virgl_vgpu_present_wait_readback(ws, frame->res, frame->fence, &frame->box))
		return;
	/*
	 * A DC of our own: GetDC would hand out the application's DC of a
	 * CS_OWNDC window (GL windows are), which its thread may be using.
	 * A window closed meanwhile has none to give.
	 */
	dc = GetDCEx(frame->window, NULL, DCX_CACHE);
	if (!dc)
		return;
	if (shown_from_backing(frame->res))
		show_backing(ws, frame->res, dc);
	else
		virgl_vgpu_present_show(ws, frame->res, &frame->box, dc,
					frame->whole ? NULL : &frame->sub_box);
	/* drawn, not batched, before the frame counts as shown */
	GdiFlush();
	ReleaseDC(frame->window, dc);
}

static int presenter_main(void *arg)
{
	struct virgl_vgpu_winsys *ws = arg;
	struct virgl_vgpu_presenter *p = ws->presenter;

	mtx_lock(&p->lock);
	for (;;) {
		struct queued_frame frame;

		while (!p->count && !p->stop)
			cnd_wait(&p->changed, &p->lock);
		if (!p->count)
			break;
		/* it stays queued while shown: its resource counts as held */
		frame = *queued_locked(p, 0);
		mtx_unlock(&p->lock);
		show(ws, &frame);
		mtx_lock(&p->lock);
		p->first = (p->first + 1) % FRAMES_IN_FLIGHT;
		p->count--;
		cnd_broadcast(&p->changed);
		mtx_unlock(&p->lock);
		virgl_vgpu_res_reference(&ws->base, &frame.res, NULL);
		mtx_lock(&p->lock);
	}
	mtx_unlock(&p->lock);
	return 0;
}

void virgl_vgpu_presenter_start(struct virgl_vgpu_winsys *ws)
{
	struct virgl_vgpu_presenter *p = calloc(1, sizeof(*p));

	/* without it, presenting stays synchronous: slower, not wrong */
	if (!p)
		return;
	mtx_init(&p->lock, mtx_plain);
	cnd_init(&p->changed);
	ws->presenter = p;
	if (thrd_create(&p->thread, presenter_main, ws) != thrd_success) {
		ws->presenter = NULL;
		cnd_destroy(&p->changed);
		mtx_destroy(&p->lock);
		free(p);
	}
}

void virgl_vgpu_presenter_stop(struct virgl_vgpu_winsys *ws)
{
	struct virgl_vgpu_presenter *p = ws->presenter;

	if (!p)
		return;
	/* the thread shows what is queued before it ends */
	mtx_lock(&p->lock);
	p->stop = true;
	cnd_broadcast(&p->changed);
	mtx_unlock(&p->lock);
	thrd_join(p->thread, NULL);
	cnd_destroy(&p->changed);
	mtx_destroy(&p->lock);
	free(p);
	ws->presenter = NULL;
}

bool virgl_vgpu_presenter_queue(struct virgl_vgpu_winsys *ws, struct virgl_hw_res *res,
				const struct pipe_box *box, void *drawable,
				const struct pipe_box *sub_box, uint64_t read)
{
	struct virgl_vgpu_presenter *p = ws->presenter;
	struct queued_frame *frame;
	struct pipe_box image;
	HWND window;
	uint64_t fence;

	/* a memory or printer DC has no window to show the frame in later */
	window = p ? WindowFromDC(drawable) : NULL;
	if (!window)
		return false;
	/* shown from the backing, the whole image must be there, not just the box */
	if (shown_from_backing(res)) {
		u_box_2d(0, 0, (int)res->width, (int)res->height, &image);
		box = &image;
	}
	mtx_lock(&p->lock);
	/*
	 * Room in flight, and no frame of this resource: its backing is the one
	 * this readback writes (one sent already waited for that itself).  The
	 * readback starts under the lock, so that the queue's order is its
	 * fences' order (but for one sent already while another thread queued).
	 */
	while (p->count == FRAMES_IN_FLIGHT || holds_locked(p, res))
		cnd_wait(&p->changed, &p->lock);
	fence = read;
	if (!fence && !virgl_vgpu_present_read(ws, res, box, &fence)) {
		mtx_unlock(&p->lock);
		return true;
	}
	frame = queued_locked(p, p->count);
	*frame = (struct queued_frame){
		.box = *box,
		.whole = !sub_box,
		.window = window,
		.fence = fence,
	};
	if (sub_box)
		frame->sub_box = *sub_box;
	virgl_vgpu_res_reference(&ws->base, &frame->res, res);
	p->count++;
	cnd_broadcast(&p->changed);
	mtx_unlock(&p->lock);
	return true;
}

bool virgl_vgpu_presenter_shown(struct virgl_vgpu_winsys *ws, uint64_t fence, bool wait)
{
	struct virgl_vgpu_presenter *p = ws->presenter;
	bool shown;

	if (!p)
		return true;
	mtx_lock(&p->lock);
	while (wait && any_before_locked(p, fence))
		cnd_wait(&p->changed, &p->lock);
	shown = !any_before_locked(p, fence);
	mtx_unlock(&p->lock);
	return shown;
}

bool virgl_vgpu_presenter_holds(struct virgl_vgpu_winsys *ws, const struct virgl_hw_res *res)
{
	struct virgl_vgpu_presenter *p = ws->presenter;
	bool held;

	if (!p)
		return false;
	mtx_lock(&p->lock);
	held = holds_locked(p, res);
	mtx_unlock(&p->lock);
	return held;
}

void virgl_vgpu_presenter_release(struct virgl_vgpu_winsys *ws, const struct virgl_hw_res *res)
{
	struct virgl_vgpu_presenter *p = ws->presenter;

	if (!p)
		return;
	mtx_lock(&p->lock);
	while (holds_locked(p, res))
		cnd_wait(&p->changed, &p->lock);
	mtx_unlock(&p->lock);
}

#else /* !_WIN32 */

/* No presenter here (see the top of the file): nothing is ever queued. */
void virgl_vgpu_presenter_start(struct virgl_vgpu_winsys *ws)
{
	ws->presenter = NULL;
}

void virgl_vgpu_presenter_stop(struct virgl_vgpu_winsys *ws)
{
}

bool virgl_vgpu_presenter_queue(struct virgl_vgpu_winsys *ws, struct virgl_hw_res *res,
				const struct pipe_box *box, void *drawable,
				const struct pipe_box *sub_box, uint64_t read)
{
	return false;
}

bool virgl_vgpu_presenter_shown(struct virgl_vgpu_winsys *ws, uint64_t fence, bool wait)
{
	return true;
}

bool virgl_vgpu_presenter_holds(struct virgl_vgpu_winsys *ws, const struct virgl_hw_res *res)
{
	return false;
}

void virgl_vgpu_presenter_release(struct virgl_vgpu_winsys *ws, const struct virgl_hw_res *res)
{
}

#endif
