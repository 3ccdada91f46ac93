/* SPDX-License-Identifier: MIT */
/*
 * libvgpu: the API of libvgpu.h over a channel (channel.h).
 *
 * Threads: any call may come from any thread.  Two locks, never nested:
 *  - timeline: taken across every call that signals a fence, so that the
 *    values reach the driver in increasing order (a failed call leaves a
 *    gap, which the ABI allows);
 *  - views: taken across MAP, UNMAP and DESTROY, so that a resource is
 *    mapped once in this process and its view goes with it.
 * The channel serialises what it must itself; a WAIT longer than its
 * wait_slice_ns is sent as several shorter WAITs so that other threads'
 * calls get through in between.
 */
#include "libvgpu.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "call_stats.h"
#include "channel.h"
#include "lock.h"
#include "views.h"

struct vgpu_dev {
	struct vgpu_channel *channel;
	struct vgpu_get_info info;
	struct vgpu_lock timeline_lock;
	uint64_t last_fence;
	struct vgpu_lock views_lock;
	struct vgpu_views views;
	struct vgpu_call_stats *stats; /* NULL: not counting */
};

static _Thread_local char open_error[256];

const char *vgpu_open_error(void)
{
	return open_error;
}

static int channel_call(struct vgpu_dev *dev, struct vgpu_call *call)
{
	uint64_t start;
	int status;

	if (!dev->stats)
		return dev->channel->ops->call(dev->channel, call);
	start = vgpu_now_ns();
	status = dev->channel->ops->call(dev->channel, call);
	vgpu_call_stats_add(dev->stats, call, vgpu_now_ns() - start);
	return status;
}

static int dev_call(struct vgpu_dev *dev, uint32_t code, void *fixed, uint32_t fixed_size)
{
	struct vgpu_call call = { .code = code, .fixed = fixed, .fixed_size = fixed_size };

	return channel_call(dev, &call);
}

static int check_version(struct vgpu_dev *dev)
{
	struct vgpu_get_info *info = &dev->info;
	int status;

	memset(info, 0, sizeof(*info));
	info->abi_major = VGPU_ABI_VERSION_MAJOR;
	info->abi_minor = VGPU_ABI_VERSION_MINOR;
	status = dev_call(dev, VGPU_IOCTL_GET_INFO, info, sizeof(*info));
	if (status == VGPU_OK && info->abi_major != VGPU_ABI_VERSION_MAJOR)
		status = VGPU_E_VERSION;
	if (status == VGPU_E_VERSION && info->abi_major != VGPU_ABI_VERSION_MAJOR)
		return vgpu_fail_why(open_error, sizeof(open_error), status,
				     "device speaks vgpu ABI %u.%u, libvgpu speaks %u.%u",
				     info->abi_major, info->abi_minor, VGPU_ABI_VERSION_MAJOR,
				     VGPU_ABI_VERSION_MINOR);
	if (status == VGPU_E_VERSION)
		return vgpu_fail_why(open_error, sizeof(open_error), status,
				     "device rejected vgpu ABI %u.%u", VGPU_ABI_VERSION_MAJOR,
				     VGPU_ABI_VERSION_MINOR);
	if (status != VGPU_OK)
		return vgpu_fail_why(open_error, sizeof(open_error), status, "GET_INFO failed: %s",
				     vgpu_status_str(status));
	return VGPU_OK;
}

/* Takes ownership of the channel, whatever happens. */
static int dev_create(struct vgpu_channel *channel, struct vgpu_dev **out)
{
	struct vgpu_dev *dev = calloc(1, sizeof(*dev));
	int status;

	if (!dev) {
		channel->ops->close(channel);
		return vgpu_fail_why(open_error, sizeof(open_error), VGPU_E_NO_MEMORY,
				     "out of memory");
	}
	dev->channel = channel;
	vgpu_lock_init(&dev->timeline_lock);
	vgpu_lock_init(&dev->views_lock);
	status = check_version(dev);
	if (status != VGPU_OK) {
		vgpu_close(dev);
		return status;
	}
	*out = dev;
	return VGPU_OK;
}

/*
 * An address names the sim's socket (on Windows, under Wine: tcp:HOST:PORT);
 * without one, the platform's own device.
 */
static int open_channel(const char *address, struct vgpu_channel **channel)
{
	if (address)
		return vgpu_channel_socket_open(address, channel, open_error, sizeof(open_error));
#ifdef _WIN32
	return vgpu_channel_device_open(channel, open_error, sizeof(open_error));
#else
	return vgpu_channel_socket_open(VGPU_DEFAULT_SOCKET, channel, open_error,
					sizeof(open_error));
#endif
}

static int open_dev(const char *address, struct vgpu_dev **out)
{
	struct vgpu_channel *channel;
	int status;

	if (!out)
		return VGPU_E_INVALID;
	*out = NULL;
	open_error[0] = '\0';
	status = open_channel(address, &channel);
	if (status != VGPU_OK)
		return status;
	return dev_create(channel, out);
}

int vgpu_open_channel(struct vgpu_channel *channel, struct vgpu_dev **out)
{
	if (!out || !channel) {
		if (channel)
			channel->ops->close(channel);
		return VGPU_E_INVALID;
	}
	*out = NULL;
	open_error[0] = '\0';
	return dev_create(channel, out);
}

int vgpu_open_socket(const char *address, struct vgpu_dev **out)
{
	if (!address || !*address)
		return vgpu_fail_why(open_error, sizeof(open_error), VGPU_E_INVALID,
				     "empty socket address");
	return open_dev(address, out);
}

int vgpu_open(struct vgpu_dev **out)
{
	const char *address = getenv("VGPU_SOCKET");

	return open_dev(address && *address ? address : NULL, out);
}

void vgpu_close(struct vgpu_dev *dev)
{
	struct vgpu_view view;

	if (!dev)
		return;
	while (vgpu_views_pop(&dev->views, &view))
		if (dev->channel->ops->unmap_view)
			dev->channel->ops->unmap_view(dev->channel, view.address, view.size);
	vgpu_views_fini(&dev->views);
	dev->channel->ops->close(dev->channel);
	vgpu_lock_fini(&dev->views_lock);
	vgpu_lock_fini(&dev->timeline_lock);
	free(dev->stats);
	free(dev);
}

int vgpu_stats_enable(struct vgpu_dev *dev)
{
	if (!dev)
		return VGPU_E_INVALID;
	if (!dev->stats)
		dev->stats = calloc(1, sizeof(*dev->stats));
	return dev->stats ? VGPU_OK : VGPU_E_NO_MEMORY;
}

int vgpu_stats_read(struct vgpu_dev *dev, struct vgpu_call_stats *out)
{
	if (!dev || !out)
		return VGPU_E_INVALID;
	if (!dev->stats)
		return VGPU_E_UNSUPPORTED;
	vgpu_call_stats_read(dev->stats, out);
	return VGPU_OK;
}

const struct vgpu_get_info *vgpu_info(const struct vgpu_dev *dev)
{
	return dev ? &dev->info : NULL;
}

int vgpu_get_stats(struct vgpu_dev *dev, struct vgpu_get_stats *stats)
{
	if (!dev || !stats)
		return VGPU_E_INVALID;
	memset(stats, 0, sizeof(*stats));
	return dev_call(dev, VGPU_IOCTL_GET_STATS, stats, sizeof(*stats));
}

int vgpu_get_limits(struct vgpu_dev *dev, struct vgpu_get_limits *limits)
{
	if (!dev || !limits)
		return VGPU_E_INVALID;
	memset(limits, 0, sizeof(*limits));
	return dev_call(dev, VGPU_IOCTL_GET_LIMITS, limits, sizeof(*limits));
}

int vgpu_get_capset(struct vgpu_dev *dev, uint32_t capset_id, uint32_t version, void *buf,
		    uint32_t cap, uint32_t *size)
{
	struct vgpu_get_capset req = { .capset_id = capset_id, .version = version };
	struct vgpu_call call = {
		.code = VGPU_IOCTL_GET_CAPSET,
		.fixed = &req,
		.fixed_size = sizeof(req),
		.payload_out = buf,
		.payload_out_cap = cap,
	};
	int status;

	if (!dev || (!buf && cap))
		return VGPU_E_INVALID;
	status = channel_call(dev, &call);
	if (status == VGPU_OK && size)
		*size = call.payload_written;
	return status;
}

int vgpu_context_create(struct vgpu_dev *dev, uint32_t capset_id, const char *debug_name)
{
	struct vgpu_context_create req = { .capset_id = capset_id };

	if (!dev)
		return VGPU_E_INVALID;
	/* The name is only for host logs: a long one is cut rather than refused. */
	if (debug_name)
		strncpy(req.debug_name, debug_name, sizeof(req.debug_name) - 1);
	return dev_call(dev, VGPU_IOCTL_CONTEXT_CREATE, &req, sizeof(req));
}

/*
 * The creating calls' structs end with their outputs, u32 handle then
 * res_id.  The call runs on a private copy with those zeroed, so that the
 * caller's struct keeps its inputs and gets only the ids back.
 */
_Static_assert(offsetof(struct vgpu_resource_create, handle) + 8 ==
			       sizeof(struct vgpu_resource_create) &&
		       offsetof(struct vgpu_resource_create_blob, handle) + 8 ==
			       sizeof(struct vgpu_resource_create_blob),
	       "handle and res_id end the creating structs");

static int create_call(struct vgpu_dev *dev, uint32_t code, const void *req, void *copy,
		       uint32_t size, uint32_t *handle, uint32_t *res_id)
{
	uint8_t *out = (uint8_t *)copy + size - 2 * sizeof(uint32_t);
	int status;

	memcpy(copy, req, size);
	memset(out, 0, 2 * sizeof(uint32_t));
	status = dev_call(dev, code, copy, size);
	if (status == VGPU_OK) {
		memcpy(handle, out, sizeof(*handle));
		memcpy(res_id, out + sizeof(*handle), sizeof(*res_id));
	}
	return status;
}

int vgpu_resource_create(struct vgpu_dev *dev, struct vgpu_resource_create *req)
{
	struct vgpu_resource_create copy;

	if (!dev || !req)
		return VGPU_E_INVALID;
	return create_call(dev, VGPU_IOCTL_RESOURCE_CREATE, req, &copy, sizeof(copy), &req->handle,
			   &req->res_id);
}

int vgpu_resource_create_blob(struct vgpu_dev *dev, struct vgpu_resource_create_blob *req)
{
	struct vgpu_resource_create_blob copy;

	if (!dev || !req)
		return VGPU_E_INVALID;
	return create_call(dev, VGPU_IOCTL_RESOURCE_CREATE_BLOB, req, &copy, sizeof(copy),
			   &req->handle, &req->res_id);
}

/* Drops this process's view of a resource, if it has one.  Called under views_lock. */
static void drop_view(struct vgpu_dev *dev, uint32_t handle)
{
	struct vgpu_view view;

	if (vgpu_views_remove(&dev->views, handle, &view) && dev->channel->ops->unmap_view)
		dev->channel->ops->unmap_view(dev->channel, view.address, view.size);
}

int vgpu_resource_destroy(struct vgpu_dev *dev, uint32_t handle)
{
	struct vgpu_resource_destroy req = { .handle = handle };
	int status;

	if (!dev)
		return VGPU_E_INVALID;
	vgpu_lock_take(&dev->views_lock);
	drop_view(dev, handle);
	status = dev_call(dev, VGPU_IOCTL_RESOURCE_DESTROY, &req, sizeof(req));
	vgpu_lock_release(&dev->views_lock);
	return status;
}

/* MAP on the driver and record the view.  Called under views_lock. */
static int map_new(struct vgpu_dev *dev, uint32_t handle, struct vgpu_view *view)
{
	struct vgpu_resource_map req = { .handle = handle };
	int status;

	status = dev_call(dev, VGPU_IOCTL_RESOURCE_MAP, &req, sizeof(req));
	if (status != VGPU_OK)
		return status;
	view->handle = handle;
	view->address = (void *)(uintptr_t)req.address;
	view->size = req.size;
	if (!view->address || !view->size)
		status = VGPU_E_TRANSPORT;
	else
		status = vgpu_views_add(&dev->views, view);
	if (status != VGPU_OK) {
		struct vgpu_resource_map undo = { .handle = handle };

		if (view->address && dev->channel->ops->unmap_view)
			dev->channel->ops->unmap_view(dev->channel, view->address, view->size);
		dev_call(dev, VGPU_IOCTL_RESOURCE_UNMAP, &undo, sizeof(undo));
	}
	return status;
}

int vgpu_resource_map(struct vgpu_dev *dev, uint32_t handle, void **ptr, uint64_t *size)
{
	struct vgpu_view view;
	int status = VGPU_OK;

	if (!dev || !ptr)
		return VGPU_E_INVALID;
	vgpu_lock_take(&dev->views_lock);
	if (!vgpu_views_find(&dev->views, handle, &view))
		status = map_new(dev, handle, &view);
	vgpu_lock_release(&dev->views_lock);
	if (status != VGPU_OK)
		return status;
	*ptr = view.address;
	if (size)
		*size = view.size;
	return VGPU_OK;
}

int vgpu_resource_unmap(struct vgpu_dev *dev, uint32_t handle)
{
	struct vgpu_resource_map req = { .handle = handle };
	int status;

	if (!dev)
		return VGPU_E_INVALID;
	vgpu_lock_take(&dev->views_lock);
	drop_view(dev, handle);
	status = dev_call(dev, VGPU_IOCTL_RESOURCE_UNMAP, &req, sizeof(req));
	vgpu_lock_release(&dev->views_lock);
	return status;
}

/*
 * Sends a call that signals the next timeline value (written to *signal,
 * which lies inside the call's fixed struct).
 */
static int timeline_call(struct vgpu_dev *dev, struct vgpu_call *call, uint64_t *signal,
			 uint64_t *fence)
{
	uint64_t value;
	int status;

	vgpu_lock_take(&dev->timeline_lock);
	value = ++dev->last_fence;
	*signal = value;
	status = channel_call(dev, call);
	vgpu_lock_release(&dev->timeline_lock);
	if (status == VGPU_OK && fence)
		*fence = value;
	return status;
}

static int transfer(struct vgpu_dev *dev, uint32_t code, const struct vgpu_transfer *t,
		    uint64_t *fence)
{
	struct vgpu_transfer req;
	struct vgpu_call call = { .code = code, .fixed = &req, .fixed_size = sizeof(req) };

	if (!dev || !t)
		return VGPU_E_INVALID;
	req = *t;
	return timeline_call(dev, &call, &req.signal, fence);
}

int vgpu_transfer_to_host(struct vgpu_dev *dev, const struct vgpu_transfer *t, uint64_t *fence)
{
	return transfer(dev, VGPU_IOCTL_TRANSFER_TO_HOST, t, fence);
}

int vgpu_transfer_from_host(struct vgpu_dev *dev, const struct vgpu_transfer *t, uint64_t *fence)
{
	return transfer(dev, VGPU_IOCTL_TRANSFER_FROM_HOST, t, fence);
}

int vgpu_submit(struct vgpu_dev *dev, const void *cmds, uint32_t size, const uint32_t *handles,
		uint32_t num_handles, uint64_t *fence)
{
	struct vgpu_submit req = { .size = size, .num_handles = num_handles };
	uint32_t handle_bytes = num_handles * (uint32_t)sizeof(*handles);
	struct vgpu_piece pieces[2] = {
		{ .base = handles, .len = handle_bytes },
		{ .base = cmds, .len = size },
	};
	struct vgpu_call call = {
		.code = VGPU_IOCTL_SUBMIT,
		.fixed = &req,
		.fixed_size = sizeof(req),
		.payload_in = pieces,
		.num_pieces = 2,
	};

	/* The ABI's limits also keep the payload size from overflowing. */
	if (!dev || (!cmds && size) || (!handles && num_handles) || size > VGPU_MAX_SUBMIT_BYTES ||
	    num_handles > VGPU_MAX_SUBMIT_HANDLES)
		return VGPU_E_INVALID;
	/*
	 * A payload already in one piece (handles right before the stream, or
	 * no handles) goes as it lies: a channel that needs it contiguous (the
	 * Windows IOCTL) would otherwise copy the whole stream first.
	 */
	if (!num_handles) {
		pieces[0] = pieces[1];
		call.num_pieces = 1;
	} else if ((const uint8_t *)handles + handle_bytes == (const uint8_t *)cmds) {
		pieces[0].len = handle_bytes + size;
		call.num_pieces = 1;
	}
	return timeline_call(dev, &call, &req.signal, fence);
}

static int wait_sliced(struct vgpu_dev *dev, struct vgpu_wait *req, uint64_t timeout_ns)
{
	uint64_t slice_max = dev->channel->wait_slice_ns;
	uint64_t left = timeout_ns < VGPU_MAX_WAIT_NS ? timeout_ns : VGPU_MAX_WAIT_NS;
	int status;

	for (;;) {
		uint64_t slice = slice_max && left > slice_max ? slice_max : left;

		req->timeout_ns = slice;
		req->completed = 0;
		status = dev_call(dev, VGPU_IOCTL_WAIT, req, sizeof(*req));
		if (status != VGPU_E_TIMEOUT || slice == left)
			return status;
		left -= slice;
	}
}

int vgpu_wait_fence(struct vgpu_dev *dev, uint64_t fence, uint64_t timeout_ns)
{
	struct vgpu_wait req = { .kind = VGPU_WAIT_FENCE, .value = fence };

	if (!dev)
		return VGPU_E_INVALID;
	return wait_sliced(dev, &req, timeout_ns);
}

int vgpu_wait_resource(struct vgpu_dev *dev, uint32_t handle, uint64_t timeout_ns)
{
	struct vgpu_wait req = { .kind = VGPU_WAIT_RESOURCE, .handle = handle };

	if (!dev)
		return VGPU_E_INVALID;
	return wait_sliced(dev, &req, timeout_ns);
}
