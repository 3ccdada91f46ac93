/* SPDX-License-Identifier: MIT */
/*
 * libvgpu: the user-mode C API of vgpu.  It opens "the device" and speaks
 * the IOCTL ABI (include/vgpu/vgpu_abi.h) over a channel:
 *  - Windows: DeviceIoControl on the vgpu.sys device interface;
 *  - Linux (tests, tools) and Windows under Wine: the sim's socket.
 *
 * A struct vgpu_dev is one opened device handle: its objects and fence
 * timeline are private to it.  Calls on one vgpu_dev may come from several
 * threads.  Every function returns an enum vgpu_status (0 = VGPU_OK).
 */
#ifndef LIBVGPU_H
#define LIBVGPU_H

#include <stddef.h>
#include <stdint.h>

#include "vgpu/vgpu_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vgpu_dev;

/*
 * Open the device: VGPU_SOCKET (a Unix socket path, or tcp:HOST:PORT)
 * when set, otherwise the platform's device (Windows: the vgpu device
 * interface; Linux: the sim's default socket, VGPU_DEFAULT_SOCKET).
 * Checks the ABI version (GET_INFO) before returning.
 */
#define VGPU_DEFAULT_SOCKET "/tmp/vgpu-sim.sock"
int vgpu_open(struct vgpu_dev **out);
/* Open a given socket address (path, or tcp:HOST:PORT). */
int vgpu_open_socket(const char *address, struct vgpu_dev **out);
/*
 * Why the calling thread's last vgpu_open / vgpu_open_socket failed, as one
 * line for messages ("" if it has not failed).
 */
const char *vgpu_open_error(void);
/* Release everything this handle owns (the driver does the same for a dying process). */
void vgpu_close(struct vgpu_dev *dev);

/* What GET_INFO said at open. */
const struct vgpu_get_info *vgpu_info(const struct vgpu_dev *dev);
int vgpu_get_stats(struct vgpu_dev *dev, struct vgpu_get_stats *stats);
/* Pinned-memory limits and use (ABI 1.2: an older driver says UNSUPPORTED). */
int vgpu_get_limits(struct vgpu_dev *dev, struct vgpu_get_limits *limits);

/* Capset bytes into buf (capacity `cap`); *size gets the capset's size. */
int vgpu_get_capset(struct vgpu_dev *dev, uint32_t capset_id, uint32_t version, void *buf,
		    uint32_t cap, uint32_t *size);

/* The handle's rendering context; needed before resources and submits. */
int vgpu_context_create(struct vgpu_dev *dev, uint32_t capset_id, const char *debug_name);

/* Fills req->handle and req->res_id. */
int vgpu_resource_create(struct vgpu_dev *dev, struct vgpu_resource_create *req);
int vgpu_resource_destroy(struct vgpu_dev *dev, uint32_t handle);
/*
 * A HOST3D blob (ABI 1.1, see RESOURCE_CREATE_BLOB); fills req->handle and
 * req->res_id.  vgpu_resource_map maps its host-visible memory.
 */
int vgpu_resource_create_blob(struct vgpu_dev *dev, struct vgpu_resource_create_blob *req);

/* Map the resource's backing into this process (zero-copy). */
int vgpu_resource_map(struct vgpu_dev *dev, uint32_t handle, void **ptr, uint64_t *size);
int vgpu_resource_unmap(struct vgpu_dev *dev, uint32_t handle);

/*
 * Asynchronous copies between backing and host; *fence (may be NULL) gets
 * the timeline value that completes with the transfer.  `t->signal` is
 * ignored: libvgpu assigns the next value of the handle's timeline.
 */
int vgpu_transfer_to_host(struct vgpu_dev *dev, const struct vgpu_transfer *t, uint64_t *fence);
int vgpu_transfer_from_host(struct vgpu_dev *dev, const struct vgpu_transfer *t, uint64_t *fence);

/* Run a virgl command stream that uses the given resources. */
int vgpu_submit(struct vgpu_dev *dev, const void *cmds, uint32_t size, const uint32_t *handles,
		uint32_t num_handles, uint64_t *fence);

/* Wait for a timeline value / for a resource to be idle; timeout 0 = query (VGPU_E_BUSY). */
int vgpu_wait_fence(struct vgpu_dev *dev, uint64_t fence, uint64_t timeout_ns);
int vgpu_wait_resource(struct vgpu_dev *dev, uint32_t handle, uint64_t timeout_ns);

/*
 * Per-call accounting, off until vgpu_stats_enable (then one clock read
 * either side of each call): for each kind of call (IOCTL code, indexed by
 * VGPU_CTL_FN(code) - VGPU_STATS_FIRST_FN), how many the handle made, the
 * time they spent in the channel (the whole round trip: on Windows the
 * DeviceIoControl, under the sim the socket both ways and the sim's
 * handling) and their payload bytes (submitted streams, capsets).
 */
#define VGPU_STATS_FIRST_FN 0x900u
#define VGPU_STATS_KINDS 14u
struct vgpu_call_stats {
	uint64_t calls[VGPU_STATS_KINDS];
	uint64_t ns[VGPU_STATS_KINDS];
	uint64_t bytes[VGPU_STATS_KINDS];
};
/* Start counting this handle's calls; VGPU_E_NO_MEMORY leaves it off. */
int vgpu_stats_enable(struct vgpu_dev *dev);
/* The counts so far; VGPU_E_UNSUPPORTED when counting is off. */
int vgpu_stats_read(struct vgpu_dev *dev, struct vgpu_call_stats *out);
/* "SUBMIT" for the kind of VGPU_IOCTL_SUBMIT. */
const char *vgpu_stats_kind_name(uint32_t kind);
/* A monotonic clock in nanoseconds, the one the accounting uses. */
uint64_t vgpu_now_ns(void);

/* "VGPU_E_BAD_HANDLE: handle unknown..." - for messages. */
const char *vgpu_status_str(int status);

#ifdef __cplusplus
}
#endif

#endif /* LIBVGPU_H */
