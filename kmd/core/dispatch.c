/* SPDX-License-Identifier: MIT */
/*
 * The IOCTL dispatcher: the one door from user mode into the core.  Every
 * call is checked against the ABI (code, sizes, reserved fields, handles,
 * ranges, ordering) before anything is done; a call that fails changes
 * nothing.
 */
#include "device.h"
#include "file.h"
#include "gpu/commands.h"
#include "gpu/wire.h"
#include "handles.h"
#include "personality.h"
#include "resource.h"
#include "timeline.h"
#include "validate.h"
#include "vgpu_core.h"

/* The fixed struct of any call, copied out of the caller's buffer first. */
union call_args {
	struct vgpu_get_info get_info;
	struct vgpu_get_stats get_stats;
	struct vgpu_get_limits get_limits;
	struct vgpu_get_capset get_capset;
	struct vgpu_context_create context_create;
	struct vgpu_resource_create resource_create;
	struct vgpu_resource_create_blob resource_create_blob;
	struct vgpu_resource_destroy resource_destroy;
	struct vgpu_resource_map resource_map;
	struct vgpu_transfer transfer;
	struct vgpu_submit submit;
	struct vgpu_wait wait;
};

typedef int (*call_fn)(struct vgpu_file *file, union call_args *a, struct vgpu_ioctl_bufs *b);

static int get_info(struct vgpu_file *file, union call_args *a, struct vgpu_ioctl_bufs *b)
{
	struct vgpu_device *dev = file->dev;
	struct vgpu_get_info *info = &a->get_info;
	uint32_t caller_major = info->abi_major, i;

	vgpu_zero(info, sizeof(*info));
	info->abi_major = VGPU_ABI_VERSION_MAJOR;
	info->abi_minor = VGPU_ABI_VERSION_MINOR;
	info->personality = dev->personality;
	for (i = 0; i < dev->num_capsets; i++)
		info->capset_mask |= 1u << dev->capsets[i].id;
	info->features = VGPU_FEATURE_VIRGL;
	if (dev->features & (1ull << VGPU_VIRTIO_F_INDIRECT_DESC))
		info->features |= VGPU_FEATURE_INDIRECT_DESC;
	if (dev->features & (1ull << VGPU_VIRTIO_F_EVENT_IDX))
		info->features |= VGPU_FEATURE_EVENT_IDX;
	if (dev->staging)
		info->features |= VGPU_FEATURE_STAGING;
	if (dev->features & (1ull << VIRTIO_GPU_FEAT_CONTEXT_INIT))
		info->features |= VGPU_FEATURE_CONTEXT_INIT;
	if (dev->blob)
		info->features |= VGPU_FEATURE_RESOURCE_BLOB;
	if (dev->blob && vgpu_personality_blob_desc(dev))
		info->features |= VGPU_FEATURE_BLOB_DESC;
	if (dev->hv.size) {
		info->features |= VGPU_FEATURE_HOST_VISIBLE;
		info->host_visible_size = dev->hv.size;
	}
	info->max_submit_bytes = VGPU_MAX_SUBMIT_BYTES;
	info->max_submit_handles = VGPU_MAX_SUBMIT_HANDLES;
	info->num_scanouts = dev->num_scanouts;
	return caller_major == VGPU_ABI_VERSION_MAJOR ? VGPU_OK : VGPU_E_VERSION;
}

static int get_limits(struct vgpu_file *file, union call_args *a, struct vgpu_ioctl_bufs *b)
{
	struct vgpu_device *dev = file->dev;
	struct vgpu_get_limits *l = &a->get_limits;

	vgpu_dev_lock(dev);
	l->pinned_max = dev->pin_limit_device;
	l->pinned_max_per_process = dev->pin_limit_owner;
	l->pinned = dev->stats.backing_bytes;
	l->pinned_by_caller = vgpu_res_owner_pinned(file);
	vgpu_dev_unlock(dev);
	return VGPU_OK;
}

static int get_stats(struct vgpu_file *file, union call_args *a, struct vgpu_ioctl_bufs *b)
{
	struct vgpu_device *dev = file->dev;

	vgpu_dev_lock(dev);
	a->get_stats = dev->stats;
	vgpu_dev_unlock(dev);
	return VGPU_OK;
}

/* Fetch (once) and copy out a capset.  The cache is shared by every file. */
static int get_capset(struct vgpu_file *file, union call_args *a, struct vgpu_ioctl_bufs *b)
{
	struct vgpu_device *dev = file->dev;
	struct vgpu_capset *cs = vgpu_dev_find_capset(dev, a->get_capset.capset_id);
	uint32_t version = a->get_capset.version;
	int ret;

	if (!cs || version > cs->max_version)
		return VGPU_E_UNSUPPORTED;
	if (version == 0)
		version = cs->max_version;
	if (b->payload_size < cs->max_size)
		return VGPU_E_BAD_SIZE;

	ret = vgpu_sleeplock_acquire(dev, &dev->capset_lock, b->call);
	if (ret != VGPU_OK)
		return ret;
	if (cs->cached_version != version) {
		uint8_t *bytes = vgpu_dev_alloc(dev, cs->max_size);

		ret = bytes ? vgpu_cmd_get_capset(dev, cs->id, version, bytes, cs->max_size)
			    : VGPU_E_NO_MEMORY;
		if (ret == VGPU_OK) {
			vgpu_dev_free(dev, cs->cached);
			cs->cached = bytes;
			cs->cached_version = version;
			cs->cached_size = cs->max_size;
		} else {
			vgpu_dev_free(dev, bytes);
		}
	}
	if (ret == VGPU_OK) {
		vgpu_copy(b->payload, cs->cached, cs->cached_size);
		b->payload_written = cs->cached_size;
	}
	vgpu_sleeplock_release(dev, &dev->capset_lock);
	return ret;
}

static int context_create(struct vgpu_file *file, union call_args *a, struct vgpu_ioctl_bufs *b)
{
	struct vgpu_device *dev = file->dev;
	struct vgpu_context_create *c = &a->context_create;
	uint32_t name_len = vgpu_name_length(c->debug_name, sizeof(c->debug_name));
	uint32_t ctx_id, init = 0;
	int ret;

	if (c->flags || c->pad || name_len >= sizeof(c->debug_name))
		return VGPU_E_INVALID;
	if (c->capset_id != VGPU_CAPSET_VIRGL && c->capset_id != VGPU_CAPSET_VIRGL2)
		return VGPU_E_UNSUPPORTED;
	if (!vgpu_dev_find_capset(dev, c->capset_id))
		return VGPU_E_UNSUPPORTED;
	if (file->ctx_id)
		return VGPU_E_STATE;
	if (dev->features & (1ull << VIRTIO_GPU_FEAT_CONTEXT_INIT))
		init = c->capset_id & WIRE_CONTEXT_INIT_CAPSET_ID_MASK;

	ctx_id = vgpu_dev_new_ctx_id(dev);
	ret = vgpu_cmd_ctx_create(dev, ctx_id, init, c->debug_name, name_len);
	if (ret != VGPU_OK)
		return ret;
	file->ctx_id = ctx_id;
	c->ctx_id = ctx_id;
	vgpu_dev_lock(dev);
	dev->stats.contexts++;
	vgpu_dev_unlock(dev);
	return VGPU_OK;
}

static int resource_create(struct vgpu_file *file, union call_args *a, struct vgpu_ioctl_bufs *b)
{
	struct vgpu_resource_create *c = &a->resource_create;
	struct vgpu_resource *res;
	int ret;

	if (!vgpu_resource_desc_valid(c))
		return VGPU_E_INVALID;
	if (!file->ctx_id)
		return VGPU_E_STATE;
	ret = vgpu_res_create(file, c, &res);
	if (ret != VGPU_OK)
		return ret;
	c->handle = res->handle;
	c->res_id = res->res_id;
	return VGPU_OK;
}

static int resource_create_blob(struct vgpu_file *file, union call_args *a,
				struct vgpu_ioctl_bufs *b)
{
	struct vgpu_resource_create_blob *c = &a->resource_create_blob;
	struct vgpu_resource *res;
	int ret;

	if (!vgpu_blob_desc_valid(c))
		return VGPU_E_INVALID;
	if (!vgpu_dev_blob_usable(file->dev))
		return VGPU_E_UNSUPPORTED;
	if (!file->ctx_id)
		return VGPU_E_STATE;
	ret = vgpu_res_create_blob(file, c, &res);
	if (ret != VGPU_OK)
		return ret;
	c->handle = res->handle;
	c->res_id = res->res_id;
	return VGPU_OK;
}

static int resource_destroy(struct vgpu_file *file, union call_args *a, struct vgpu_ioctl_bufs *b)
{
	struct vgpu_resource *res = vgpu_file_lookup(file, a->resource_destroy.handle);

	if (a->resource_destroy.pad)
		return VGPU_E_INVALID;
	if (!res)
		return VGPU_E_BAD_HANDLE;
	vgpu_res_destroy(file, res);
	return VGPU_OK;
}

static int resource_map(struct vgpu_file *file, union call_args *a, struct vgpu_ioctl_bufs *b)
{
	struct vgpu_resource_map *m = &a->resource_map;
	struct vgpu_resource *res = vgpu_file_lookup(file, m->handle);
	int ret;

	if (m->flags)
		return VGPU_E_INVALID;
	if (!res)
		return VGPU_E_BAD_HANDLE;
	ret = vgpu_res_map(file, res);
	if (ret != VGPU_OK)
		return ret;
	m->address = res->map_address;
	m->size = vgpu_res_size(res);
	return VGPU_OK;
}

static int resource_unmap(struct vgpu_file *file, union call_args *a, struct vgpu_ioctl_bufs *b)
{
	struct vgpu_resource_map *m = &a->resource_map;
	struct vgpu_resource *res = vgpu_file_lookup(file, m->handle);

	if (m->flags)
		return VGPU_E_INVALID;
	if (!res)
		return VGPU_E_BAD_HANDLE;
	if (!res->mapping)
		return VGPU_E_STATE;
	vgpu_res_unmap(file, res);
	m->address = 0;
	m->size = 0;
	return VGPU_OK;
}

static int transfer(struct vgpu_file *file, const struct vgpu_transfer *t, bool to_host)
{
	struct vgpu_resource *res = vgpu_file_lookup(file, t->handle);
	struct vgpu_fence_target target;
	int ret;

	if (!res)
		return VGPU_E_BAD_HANDLE;
	/* A blob has no guest backing to transfer from or to. */
	if (vgpu_res_is_blob(res) || !vgpu_transfer_valid(&res->desc, res->backing->size, t))
		return VGPU_E_INVALID;
	ret = vgpu_timeline_target(file, t->signal, &target);
	if (ret != VGPU_OK)
		return ret;
	ret = vgpu_cmd_transfer_3d(file->dev, file->ctx_id, res->res_id, t, to_host, &target);
	if (ret != VGPU_OK)
		return ret;
	res->last_use = t->signal;
	vgpu_timeline_sent(file, t->signal);
	return VGPU_OK;
}

static int transfer_to_host(struct vgpu_file *file, union call_args *a, struct vgpu_ioctl_bufs *b)
{
	return transfer(file, &a->transfer, true);
}

static int transfer_from_host(struct vgpu_file *file, union call_args *a, struct vgpu_ioctl_bufs *b)
{
	return transfer(file, &a->transfer, false);
}

/* The payload is the caller's buffer: it need not be aligned. */
static uint32_t payload_u32(const struct vgpu_ioctl_bufs *b, uint32_t index)
{
	uint32_t v;

	vgpu_copy(&v, (const uint8_t *)b->payload + (size_t)index * 4u, sizeof(v));
	return v;
}

/*
 * Resolves the submit's handles into a list of the resources they name.  The
 * payload lies in the caller's pages, which another of its threads may rewrite
 * at any moment: each handle is read exactly once, and only the list is used
 * afterwards.  The list runs through the resources themselves, so that 4096
 * handles need no allocation; the file's lock keeps them alive.
 */
static int name_resources(struct vgpu_file *file, const struct vgpu_ioctl_bufs *b, uint32_t count,
			  struct vgpu_resource **named)
{
	struct vgpu_resource *res;
	uint32_t i;

	*named = NULL;
	for (i = 0; i < count; i++) {
		res = vgpu_file_lookup(file, payload_u32(b, i));
		if (!res)
			return VGPU_E_BAD_HANDLE;
		if (res->named)
			continue;
		res->named = true;
		res->next_named = *named;
		*named = res;
	}
	return VGPU_OK;
}

/* Ends the list; a submit that went out makes `signal` each resource's last use. */
static void release_named(struct vgpu_resource *named, bool sent, uint64_t signal)
{
	struct vgpu_resource *next;

	for (; named; named = next) {
		next = named->next_named;
		if (sent)
			named->last_use = signal;
		named->named = false;
		named->next_named = NULL;
	}
}

static int submit(struct vgpu_file *file, union call_args *a, struct vgpu_ioctl_bufs *b)
{
	const struct vgpu_submit *s = &a->submit;
	struct vgpu_resource *named;
	struct vgpu_fence_target target;
	const uint8_t *stream;
	int ret;

	if (s->flags || s->pad || s->size % 4 || s->size > VGPU_MAX_SUBMIT_BYTES ||
	    s->num_handles > VGPU_MAX_SUBMIT_HANDLES)
		return VGPU_E_INVALID;
	if (b->payload_size != s->num_handles * 4u + s->size)
		return VGPU_E_BAD_SIZE;
	if (!file->ctx_id)
		return VGPU_E_STATE;
	ret = name_resources(file, b, s->num_handles, &named);
	if (ret == VGPU_OK)
		ret = vgpu_timeline_target(file, s->signal, &target);
	if (ret == VGPU_OK) {
		/* An empty submit comes with no payload at all: no offset into NULL. */
		stream = s->size ? (const uint8_t *)b->payload + s->num_handles * 4u : NULL;
		ret = vgpu_cmd_submit_3d(file->dev, file->ctx_id, stream, s->size, &target);
	}
	release_named(named, ret == VGPU_OK, s->signal);
	if (ret == VGPU_OK)
		vgpu_timeline_sent(file, s->signal);
	return ret;
}

/* Runs without the file's lock held across the wait, so that other threads go on. */
static int wait(struct vgpu_file *file, union call_args *a, struct vgpu_ioctl_bufs *b)
{
	struct vgpu_wait *w = &a->wait;
	uint64_t timeout = w->timeout_ns < VGPU_MAX_WAIT_NS ? w->timeout_ns : VGPU_MAX_WAIT_NS;
	uint64_t value = w->value;
	int ret;

	if (w->kind == VGPU_WAIT_RESOURCE) {
		struct vgpu_resource *res;

		ret = vgpu_file_lock(file, b->call);
		if (ret != VGPU_OK)
			return ret;
		res = vgpu_file_lookup(file, w->handle);
		value = res ? res->last_use : 0;
		vgpu_file_unlock(file);
		if (!res)
			return VGPU_E_BAD_HANDLE;
	} else if (w->kind != VGPU_WAIT_FENCE || w->handle) {
		return VGPU_E_INVALID;
	}
	return vgpu_timeline_wait(file, value, timeout, b, &w->completed);
}

/*
 * When a call runs.  Without flags: outside the file's lock, and refused
 * once the device is lost.
 */
enum call_flags {
	CALL_LOCKED = 1u << 0,          /* under the file's lock: it changes the file's objects */
	CALL_WORKS_WHEN_LOST = 1u << 1, /* also on a lost device: it only reads or releases */
};

struct call {
	uint32_t code;
	uint32_t size;  /* of the call's fixed struct */
	uint32_t flags; /* enum call_flags */
	call_fn fn;
};

static const struct call calls[] = {
	{ .code = VGPU_IOCTL_GET_INFO,
	  .size = sizeof(struct vgpu_get_info),
	  .flags = CALL_WORKS_WHEN_LOST,
	  .fn = get_info },
	{ .code = VGPU_IOCTL_GET_LIMITS,
	  .size = sizeof(struct vgpu_get_limits),
	  .flags = CALL_WORKS_WHEN_LOST,
	  .fn = get_limits },
	{ .code = VGPU_IOCTL_GET_STATS,
	  .size = sizeof(struct vgpu_get_stats),
	  .flags = CALL_WORKS_WHEN_LOST,
	  .fn = get_stats },
	{ .code = VGPU_IOCTL_GET_CAPSET, .size = sizeof(struct vgpu_get_capset), .fn = get_capset },
	{ .code = VGPU_IOCTL_CONTEXT_CREATE,
	  .size = sizeof(struct vgpu_context_create),
	  .flags = CALL_LOCKED,
	  .fn = context_create },
	{ .code = VGPU_IOCTL_RESOURCE_CREATE,
	  .size = sizeof(struct vgpu_resource_create),
	  .flags = CALL_LOCKED,
	  .fn = resource_create },
	{ .code = VGPU_IOCTL_RESOURCE_CREATE_BLOB,
	  .size = sizeof(struct vgpu_resource_create_blob),
	  .flags = CALL_LOCKED,
	  .fn = resource_create_blob },
	{ .code = VGPU_IOCTL_RESOURCE_DESTROY,
	  .size = sizeof(struct vgpu_resource_destroy),
	  .flags = CALL_LOCKED | CALL_WORKS_WHEN_LOST,
	  .fn = resource_destroy },
	{ .code = VGPU_IOCTL_RESOURCE_MAP,
	  .size = sizeof(struct vgpu_resource_map),
	  .flags = CALL_LOCKED,
	  .fn = resource_map },
	{ .code = VGPU_IOCTL_RESOURCE_UNMAP,
	  .size = sizeof(struct vgpu_resource_map),
	  .flags = CALL_LOCKED | CALL_WORKS_WHEN_LOST,
	  .fn = resource_unmap },
	{ .code = VGPU_IOCTL_TRANSFER_TO_HOST,
	  .size = sizeof(struct vgpu_transfer),
	  .flags = CALL_LOCKED,
	  .fn = transfer_to_host },
	{ .code = VGPU_IOCTL_TRANSFER_FROM_HOST,
	  .size = sizeof(struct vgpu_transfer),
	  .flags = CALL_LOCKED,
	  .fn = transfer_from_host },
	{ .code = VGPU_IOCTL_SUBMIT,
	  .size = sizeof(struct vgpu_submit),
	  .flags = CALL_LOCKED,
	  .fn = submit },
	{ .code = VGPU_IOCTL_WAIT,
	  .size = sizeof(struct vgpu_wait),
	  .flags = CALL_WORKS_WHEN_LOST,
	  .fn = wait },
};

static const struct call *find_call(uint32_t code)
{
	uint32_t i;

	for (i = 0; i < VGPU_ARRAY_SIZE(calls); i++)
		if (calls[i].code == code)
			return &calls[i];
	return NULL;
}

/* Sizes the call's method allows: buffered calls return their struct, direct ones a payload. */
static bool sizes_valid(const struct call *call, const struct vgpu_ioctl_bufs *b)
{
	if (b->in_size != call->size || !b->in)
		return false;
	if (VGPU_CTL_METHOD(call->code) == VGPU_METHOD_BUFFERED)
		return b->out && b->out_size == call->size && b->payload_size == 0;
	return b->out_size == 0 && (b->payload || b->payload_size == 0);
}

int vgpu_file_ioctl(struct vgpu_file *file, uint32_t code, struct vgpu_ioctl_bufs *bufs)
{
	const struct call *call = find_call(code);
	bool locked = call && (call->flags & CALL_LOCKED);
	union call_args args;
	int ret;

	bufs->out_written = 0;
	bufs->payload_written = 0;
	if (!call)
		return VGPU_E_UNSUPPORTED;
	if (!sizes_valid(call, bufs))
		return VGPU_E_BAD_SIZE;
	if (file->dev->lost && !(call->flags & CALL_WORKS_WHEN_LOST))
		return VGPU_E_DEVICE_LOST;

	/* in and out may be the same buffer: work on a private copy. */
	vgpu_copy(&args, bufs->in, call->size);
	if (locked) {
		ret = vgpu_file_lock(file, bufs->call);
		if (ret != VGPU_OK)
			return ret;
	}
	ret = call->fn(file, &args, bufs);
	if (locked)
		vgpu_file_unlock(file);

	/* Buffered calls report their struct even on failure (GET_INFO's version check). */
	if (VGPU_CTL_METHOD(call->code) == VGPU_METHOD_BUFFERED) {
		vgpu_copy(bufs->out, &args, call->size);
		bufs->out_written = call->size;
	}
	return ret;
}
