/* SPDX-License-Identifier: MIT */
/*
 * How libvgpu reaches the driver.  A channel carries one ABI call at a
 * time per caller: the fixed struct in and out, and at most one payload,
 * either gathered from pieces (IN_DIRECT) or written into a buffer
 * (OUT_DIRECT).  The call's status is the driver's; a channel that
 * cannot carry the call returns VGPU_E_TRANSPORT.
 */
#ifndef LIBVGPU_CHANNEL_H
#define LIBVGPU_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

struct vgpu_channel;
struct vgpu_dev;

/* One piece of an IN_DIRECT payload. */
struct vgpu_piece {
	const void *base;
	uint32_t len;
};

struct vgpu_call {
	uint32_t code; /* VGPU_IOCTL_* */
	void *fixed;   /* the call's fixed struct: sent, then updated by the reply */
	uint32_t fixed_size;
	const struct vgpu_piece *payload_in; /* IN_DIRECT: pieces sent end to end */
	uint32_t num_pieces;
	void *payload_out; /* OUT_DIRECT: where the driver's payload goes */
	uint32_t payload_out_cap;
	uint32_t payload_written; /* set by the channel */
};

struct vgpu_channel_ops {
	int (*call)(struct vgpu_channel *ch, struct vgpu_call *call);
	/*
	 * Drop this process's view of a mapping that RESOURCE_MAP made, before
	 * RESOURCE_UNMAP or RESOURCE_DESTROY.  NULL when the driver owns the
	 * view (Windows: vgpu.sys unmaps it itself).
	 */
	void (*unmap_view)(struct vgpu_channel *ch, void *address, uint64_t size);
	void (*close)(struct vgpu_channel *ch);
};

struct vgpu_channel {
	const struct vgpu_channel_ops *ops;
	/*
	 * Longest WAIT one call may carry, 0 for no limit.  A channel that
	 * serialises calls sets it so that a long wait, split by libvgpu into
	 * slices, never holds other threads off for longer than one slice.
	 */
	uint64_t wait_slice_ns;
};

/*
 * Constructors.  On failure they return a status and, in `why` (capacity
 * `why_cap`), a line saying what went wrong.
 */
int vgpu_channel_socket_open(const char *address, struct vgpu_channel **out, char *why,
			     size_t why_cap);
int vgpu_channel_device_open(struct vgpu_channel **out, char *why, size_t why_cap);

/*
 * A device over a channel the caller made (vgpu-bench's in-process core);
 * libvgpu owns the channel from here, whatever the result.  As vgpu_open.
 */
int vgpu_open_channel(struct vgpu_channel *channel, struct vgpu_dev **out);

/* A failure with its line: `fmt` (printf-style) into `why`; returns `status`. */
int vgpu_fail_why(char *why, size_t why_cap, int status, const char *fmt, ...);

#endif /* LIBVGPU_CHANNEL_H */
