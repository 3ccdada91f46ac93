/* SPDX-License-Identifier: MIT */
/*
 * vgpu's virgl winsys: Mesa's virgl gallium driver (struct virgl_winsys)
 * over libvgpu.  Compiled into Mesa from the vgpu checkout (see
 * umd/winsys/mesa-sources.txt); the software loaders pick it with
 * GALLIUM_DRIVER=vgpu and hand it their display winsys (struct sw_winsys),
 * which shows presented frames.
 *
 * One winsys = one opened device handle = one virgl context on the host.
 * Resources are device resources with guest backing that the process maps
 * directly (zero-copy), or, for GL's persistent and coherent buffers on a
 * device with host-visible memory, HOST3D blobs whose memory is the host's
 * (vgpu_blob.c); every submit and transfer signals the next value of the
 * handle's fence timeline, which is what our fences are.
 */
#ifndef VIRGL_VGPU_WINSYS_H
#define VIRGL_VGPU_WINSYS_H

#include <stdbool.h>
#include <stdint.h>

#include "c11/threads.h"
#include "pipe/p_state.h"
#include "virgl/virgl_winsys.h"
#include "virgl_resource_cache.h"

#include "libvgpu.h"

struct sw_winsys;
struct sw_displaytarget;
struct virgl_vgpu_stats;
struct virgl_vgpu_presenter;

struct virgl_vgpu_winsys {
	struct virgl_winsys base;
	struct vgpu_dev *dev;
	struct sw_winsys *sws; /* the loader's display winsys */

	mtx_t cache_lock; /* guards cache */
	struct virgl_resource_cache cache;

	mtx_t fence_lock;    /* guards last_fence */
	uint64_t last_fence; /* highest timeline value handed out */

	bool blob_desc;        /* the device creates blobs' objects itself */
	uint32_t last_blob_id; /* blob ids handed out so far (atomic) */

	int lost;              /* the device is gone: fail fast (atomic) */
	uint32_t logged_codes; /* one bit per status code already reported */

	struct virgl_vgpu_stats *stats; /* VGPU_WINSYS_STATS, NULL when off */

	struct virgl_vgpu_presenter *presenter; /* NULL: presenting is synchronous */
};

struct virgl_hw_res {
	struct pipe_reference reference;
	uint32_t handle; /* libvgpu's name for it */
	uint32_t res_id; /* the device's name, used in command streams */
	enum pipe_texture_target target;
	enum pipe_format format;
	uint32_t bind; /* VIRGL_BIND_* */
	uint32_t width;
	uint32_t height;
	uint64_t size; /* bytes of guest backing (a blob: of host memory) */
	void *ptr;     /* our view of the backing, once mapped */
	bool blob;     /* host memory, mapped at creation: never transferred */
	int cs_refs;   /* command buffers listing it (atomic) */

	struct sw_displaytarget *dt; /* what presents it, for display targets */
	unsigned dt_stride;
	/*
	 * The timeline value of the submit that ended with a readback of the
	 * whole image (flush_resource, vgpu_present.c), 0 if none; set and
	 * taken by the presenting thread.
	 */
	uint64_t read_whole;

	struct virgl_resource_cache_entry cache_entry;
};

/* A point on the handle's timeline: signalled once the device reaches value. */
struct pipe_fence_handle {
	struct pipe_reference reference;
	uint64_t value;
};

static inline struct virgl_vgpu_winsys *virgl_vgpu_winsys(struct virgl_winsys *vws)
{
	return (struct virgl_vgpu_winsys *)vws;
}

/*
 * Turn a libvgpu status into the winsys's view of it: true for VGPU_OK.
 * Otherwise logs the first failure (with `what`), and marks the winsys lost
 * when the device or the channel to it is gone.
 */
bool virgl_vgpu_ws_ok(struct virgl_vgpu_winsys *ws, int status, const char *what);

/* Note a timeline value libvgpu handed out (fences of "everything so far" use it). */
void virgl_vgpu_ws_fence_issued(struct virgl_vgpu_winsys *ws, uint64_t value);
uint64_t virgl_vgpu_ws_last_fence(struct virgl_vgpu_winsys *ws);

/*
 * Wait for a timeline value or a resource, up to timeout_ns
 * (PIPE_TIMEOUT_INFINITE: until done or the device is lost).  True when
 * done; a lost device counts as done so that nothing waits forever on it.
 */
bool virgl_vgpu_ws_wait_fence(struct virgl_vgpu_winsys *ws, uint64_t value, uint64_t timeout_ns);
bool virgl_vgpu_ws_wait_resource(struct virgl_vgpu_winsys *ws, struct virgl_hw_res *res,
				 uint64_t timeout_ns);

/* Which part of struct virgl_winsys each file fills in. */
void virgl_vgpu_ws_init_resources(struct virgl_vgpu_winsys *ws);
void virgl_vgpu_ws_init_cmdbufs(struct virgl_vgpu_winsys *ws);
void virgl_vgpu_ws_init_fences(struct virgl_vgpu_winsys *ws);
void virgl_vgpu_ws_init_present(struct virgl_vgpu_winsys *ws);

/* Resources, for the other files. */
struct virgl_hw_res *virgl_vgpu_res_create(struct virgl_vgpu_winsys *ws,
					   enum pipe_texture_target target,
					   const void *map_front_private, uint32_t format,
					   uint32_t bind, uint32_t width, uint32_t height,
					   uint32_t depth, uint32_t array_size, uint32_t last_level,
					   uint32_t nr_samples, uint32_t flags, uint32_t size);
void *virgl_vgpu_res_map(struct virgl_winsys *vws, struct virgl_hw_res *res);
void virgl_vgpu_res_reference(struct virgl_winsys *vws, struct virgl_hw_res **dst,
			      struct virgl_hw_res *src);
/*
 * One transfer between backing and host as the driver describes it (none
 * for a blob, whose mapping is the host's memory); 0 or -1.  *done (may be
 * NULL) gets the timeline value that completes it.
 */
int virgl_vgpu_res_transfer(struct virgl_vgpu_winsys *ws, bool to_host, struct virgl_hw_res *res,
			    const struct pipe_box *box, uint32_t stride, uint32_t layer_stride,
			    uint32_t buf_offset, uint32_t level, uint64_t *done);
/* Bytes per row of the backing when a 2D image is tightly packed. */
uint32_t virgl_vgpu_res_packed_stride(const struct virgl_hw_res *res);
/* Release everything the resource holds (it has no references left). */
void virgl_vgpu_res_destroy(struct virgl_vgpu_winsys *ws, struct virgl_hw_res *res);

/* Give back what the cache keeps and wait for released memory to return. */
void virgl_vgpu_res_make_room(struct virgl_vgpu_winsys *ws);

/*
 * Blobs (vgpu_blob.c).  virgl_vgpu_blob_usable: the device can back
 * persistent and coherent buffers (what supports_coherent tells the
 * driver).  virgl_vgpu_blob_wanted: this resource must be one.
 * virgl_vgpu_blob_create fills res's handle, res_id, size and ptr (the
 * mapping) from its target, format, bind and width; false (after saying
 * why) on failure.
 */
bool virgl_vgpu_blob_usable(const struct vgpu_get_info *info);
bool virgl_vgpu_blob_wanted(const struct virgl_vgpu_winsys *ws, enum pipe_texture_target target,
			    uint32_t flags);
bool virgl_vgpu_blob_create(struct virgl_vgpu_winsys *ws, struct virgl_hw_res *res, uint32_t size);

/* A new fence at a timeline value (NULL when out of memory). */
struct pipe_fence_handle *virgl_vgpu_fence_at(uint64_t value);

/* The display target side of a resource (vgpu_present.c). */
bool virgl_vgpu_present_attach(struct virgl_vgpu_winsys *ws, struct virgl_hw_res *res,
			       const void *map_front_private);
void virgl_vgpu_present_detach(struct virgl_vgpu_winsys *ws, struct virgl_hw_res *res);
/*
 * A present's three steps, for the presenter: start reading the box back
 * into the backing (*fence completes it); wait for that (false if there is
 * nothing to show); copy it into the display target and show that in the
 * drawable.
 */
bool virgl_vgpu_present_read(struct virgl_vgpu_winsys *ws, struct virgl_hw_res *res,
			     const struct pipe_box *box, uint64_t *fence);
bool virgl_vgpu_present_wait_readback(struct virgl_vgpu_winsys *ws, struct virgl_hw_res *res,
				      uint64_t fence, const struct pipe_box *box);
void virgl_vgpu_present_show(struct virgl_vgpu_winsys *ws, struct virgl_hw_res *res,
			     const struct pipe_box *box, void *drawable, struct pipe_box *sub_box);

/*
 * Put a readback of the box (from the host into the backing at `offset`,
 * rows `stride` bytes apart) at the end of the stream, for a present; the
 * submit that sends it sets res->read_whole, if the stream still ends with
 * it.  False when the buffer has no room left for it or already has one.
 */
bool virgl_vgpu_cmd_buf_readback(struct virgl_cmd_buf *cbuf, struct virgl_hw_res *res,
				 const struct pipe_box *box, uint32_t stride, uint32_t offset);

/*
 * The asynchronous presenter (vgpu_presenter.c; Windows only, elsewhere
 * nothing is ever queued): up to two frames in flight wait to be shown.
 */
void virgl_vgpu_presenter_start(struct virgl_vgpu_winsys *ws);
/* Shows what is queued, then ends the thread. */
void virgl_vgpu_presenter_stop(struct virgl_vgpu_winsys *ws);
/*
 * Queue the present of a box, whose readback `read` completes (0: the
 * presenter starts one); false: present it synchronously instead.
 */
bool virgl_vgpu_presenter_queue(struct virgl_vgpu_winsys *ws, struct virgl_hw_res *res,
				const struct pipe_box *box, void *drawable,
				const struct pipe_box *sub_box, uint64_t read);
/*
 * Every frame whose readback completes by `fence` is shown; with `wait`,
 * waits until it is so (true then).
 */
bool virgl_vgpu_presenter_shown(struct virgl_vgpu_winsys *ws, uint64_t fence, bool wait);
/* A frame of res is queued: its backing is the presenter's until shown. */
bool virgl_vgpu_presenter_holds(struct virgl_vgpu_winsys *ws, const struct virgl_hw_res *res);
/* Wait until no frame of res is queued. */
void virgl_vgpu_presenter_release(struct virgl_vgpu_winsys *ws, const struct virgl_hw_res *res);

/*
 * VGPU_WINSYS_STATS=1 (vgpu_stats.c): the phases of a frame that are timed.
 * Off, each timed place costs one branch on ws->stats either side.
 */
enum virgl_vgpu_phase {
	VIRGL_VGPU_SUBMIT,
	VIRGL_VGPU_READBACK,
	VIRGL_VGPU_COPY,
	VIRGL_VGPU_DISPLAY,
	VIRGL_VGPU_PRESENT,     /* one per frame, around the four above */
	VIRGL_VGPU_DRIVER_WAIT, /* the driver's own waits for a fence or a resource */
	VIRGL_VGPU_PHASES,
};
void virgl_vgpu_stats_init(struct virgl_vgpu_winsys *ws);
/* Prints the report on stderr and stops counting. */
void virgl_vgpu_stats_report(struct virgl_vgpu_winsys *ws);
void virgl_vgpu_stats_add(struct virgl_vgpu_winsys *ws, enum virgl_vgpu_phase phase,
			  uint64_t start_ns, uint64_t bytes);

static inline uint64_t virgl_vgpu_stats_start(const struct virgl_vgpu_winsys *ws)
{
	return ws->stats ? vgpu_now_ns() : 0;
}

static inline void virgl_vgpu_stats_end(struct virgl_vgpu_winsys *ws, enum virgl_vgpu_phase phase,
					uint64_t start_ns, uint64_t bytes)
{
	if (ws->stats)
		virgl_vgpu_stats_add(ws, phase, start_ns, bytes);
}

#endif /* VIRGL_VGPU_WINSYS_H */
