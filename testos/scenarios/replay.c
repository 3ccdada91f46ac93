/* SPDX-License-Identifier: MIT */
/*
 * Replaying a capture.  Handles are private to an opened file, so the
 * capture's handles are translated to the ones this file gets; resource
 * ids are what the command streams name, so they must come out equal (the
 * core numbers them from 1 on a fresh device) and a difference stops the
 * replay.  MEMORY records put the client's bytes into the backing before
 * the call that hands it to the device; CHECK records compare what the
 * device wrote with the sim's.  Every record is checked by the capture
 * reader first and every range against this guest's backing, so that a
 * damaged capture ends the replay with a message, never a wild write.
 */
#include "replay.h"

#include <stdbool.h>
#include <string.h>

#include "capture.h"
#include "check.h"
#include "client.h"
#include "../kernel/heap.h"
#include "../kernel/kprint.h"

struct replay_res {
	uint32_t recorded; /* the handle in the capture */
	uint32_t handle;   /* the handle here */
};

struct replay {
	struct client c;
	const char *label;
	struct replay_res *res;
	uint32_t nres, cap_res;
	uint32_t frames, matched;
	const struct capture_call *call; /* the record being replayed, for messages */
};

/* Why the replay cannot go on; the record it stopped at is named. */
static bool stop(struct replay *r, const char *why, long long value)
{
	const struct capture_call *call = r->call;

	kprintf("# replay %s: record %u (%s) at byte %llu: %s (%lld)\n", r->label, call->index,
		capture_type_name(call->type), (unsigned long long)call->pos, why, value);
	return false;
}

/* Room for one more live resource. */
static bool grow_res(struct replay *r)
{
	uint32_t new_cap = r->cap_res ? r->cap_res * 2u : 16u;
	struct replay_res *bigger;

	if (r->nres < r->cap_res)
		return true;
	if (new_cap > 0x100000u)
		return false;
	bigger = heap_alloc((size_t)new_cap * sizeof(*bigger));
	if (!bigger)
		return false;
	if (r->res)
		memcpy(bigger, r->res, (size_t)r->nres * sizeof(*bigger));
	heap_free(r->res);
	r->res = bigger;
	r->cap_res = new_cap;
	return true;
}

static struct replay_res *find_res(struct replay *r, uint32_t recorded)
{
	uint32_t i;

	for (i = 0; i < r->nres; i++)
		if (r->res[i].recorded == recorded)
			return &r->res[i];
	return NULL;
}

static struct replay_res *need_res(struct replay *r, uint32_t recorded)
{
	struct replay_res *res = find_res(r, recorded);

	if (!res)
		stop(r, "names a handle no live RESOURCE_CREATE gave", recorded);
	return res;
}

static bool call_ok(struct replay *r, int status)
{
	return status == VGPU_OK || stop(r, "the call failed here, status", status);
}

static int unmap(struct replay *r, uint32_t handle)
{
	struct vgpu_resource_map m = { .handle = handle };

	return client_call(&r->c, VGPU_IOCTL_RESOURCE_UNMAP, &m, sizeof(m));
}

/* [offset, offset + len) in this guest's mapping of the resource; unmap() when done. */
static uint8_t *map_range(struct replay *r, const struct replay_res *res, uint64_t offset,
			  uint64_t len)
{
	void *ptr;
	uint64_t size;

	if (!call_ok(r, client_map(&r->c, res->handle, &ptr, &size)))
		return NULL;
	if (offset > size || len > size - offset) {
		unmap(r, res->handle);
		stop(r, "a range outside the backing, at", (long long)offset);
		return NULL;
	}
	return (uint8_t *)ptr + offset;
}

static bool do_context(struct replay *r, const struct capture_call *call)
{
	struct vgpu_context_create cc = call->u.context;

	cc.ctx_id = 0;
	return call_ok(r, client_call(&r->c, VGPU_IOCTL_CONTEXT_CREATE, &cc, sizeof(cc)));
}

static bool do_resource_create(struct replay *r, const struct capture_call *call)
{
	struct vgpu_resource_create desc = call->u.resource;

	if (find_res(r, desc.handle))
		return stop(r, "a handle the capture already has live", desc.handle);
	if (!grow_res(r))
		return stop(r, "too many live resources for the replayer", r->nres);
	desc.handle = 0;
	desc.res_id = 0;
	if (!call_ok(r, client_resource(&r->c, &desc)))
		return false;
	r->res[r->nres++] =
		(struct replay_res){ .recorded = call->u.resource.handle, .handle = desc.handle };
	if (desc.res_id != call->u.resource.res_id) {
		kprintf("# replay %s: the device's resource id is %u, the capture's %u: "
			"the streams would name other resources (replay needs a fresh device)\n",
			r->label, desc.res_id, call->u.resource.res_id);
		return stop(r, "resource id mismatch", desc.res_id);
	}
	return true;
}

static bool do_resource_destroy(struct replay *r, const struct capture_call *call)
{
	struct replay_res *res = need_res(r, call->u.destroy.handle);

	if (!res || !call_ok(r, client_destroy(&r->c, res->handle)))
		return false;
	*res = r->res[--r->nres];
	return true;
}

static bool do_transfer(struct replay *r, const struct capture_call *call, bool to_host)
{
	struct replay_res *res = need_res(r, call->u.transfer.handle);
	struct vgpu_transfer t = call->u.transfer;

	if (!res)
		return false;
	t.handle = res->handle;
	return call_ok(r, client_call(&r->c,
				      to_host ? VGPU_IOCTL_TRANSFER_TO_HOST
					      : VGPU_IOCTL_TRANSFER_FROM_HOST,
				      &t, sizeof(t)));
}

/* What the client had written before it handed the resource to the device. */
static bool do_memory(struct replay *r, const struct capture_call *call)
{
	const struct capture_memory *m = &call->u.memory;
	struct replay_res *res = need_res(r, m->handle);
	uint8_t *bytes = res ? map_range(r, res, m->offset, m->len) : NULL;

	if (!bytes)
		return false;
	memcpy(bytes, call->data, (size_t)m->len);
	return call_ok(r, unmap(r, res->handle));
}

/* The payload with the capture's handles translated; the stream itself as recorded. */
static bool do_submit(struct replay *r, const struct capture_call *call)
{
	const struct vgpu_submit *s = &call->u.submit;
	uint8_t *payload = heap_alloc(call->data_size ? (size_t)call->data_size : 1u);
	uint32_t i;
	bool ok = true;

	if (!payload)
		return stop(r, "no memory for the payload", (long long)call->data_size);
	memcpy(payload, call->data, (size_t)call->data_size);
	for (i = 0; i < s->num_handles && ok; i++) {
		uint32_t handle;
		struct replay_res *res;

		memcpy(&handle, payload + 4u * i, 4u);
		res = need_res(r, handle);
		if (res)
			memcpy(payload + 4u * i, &res->handle, 4u);
		ok = res != NULL;
	}
	if (ok)
		ok = call_ok(r, client_call_direct(&r->c, VGPU_IOCTL_SUBMIT, s, sizeof(*s), payload,
						   (uint32_t)call->data_size, NULL));
	heap_free(payload);
	return ok;
}

/* The recorded WAIT succeeded there: here it gets time enough to succeed too. */
static bool do_wait(struct replay *r, const struct capture_call *call)
{
	struct vgpu_wait w = call->u.wait;

	if (w.kind == VGPU_WAIT_RESOURCE) {
		struct replay_res *res = need_res(r, w.handle);

		if (!res)
			return false;
		w.handle = res->handle;
	}
	w.timeout_ns = CLIENT_WAIT_NS;
	w.completed = 0;
	return call_ok(r, client_call(&r->c, VGPU_IOCTL_WAIT, &w, sizeof(w)));
}

/* What the device wrote, once the work that used the resource is done here too. */
static bool do_check(struct replay *r, const struct capture_call *call)
{
	const struct capture_check *want = &call->u.check;
	struct replay_res *res = need_res(r, want->handle);
	const uint8_t *bytes;
	uint64_t got;

	if (!res || !call_ok(r, client_wait(&r->c, want->signal, CLIENT_WAIT_NS, NULL)))
		return false;
	bytes = map_range(r, res, want->offset, want->len);
	if (!bytes)
		return false;
	got = capture_hash(CAPTURE_HASH_INIT, bytes, want->len);
	if (!call_ok(r, unmap(r, res->handle)))
		return false;
	r->frames++;
	if (got == want->hash)
		r->matched++;
	kprintf("# replay %s: frame %u (signal %llu, %llu bytes at %llu): sim %llx, here %llx\n",
		r->label, r->frames, (unsigned long long)want->signal,
		(unsigned long long)want->len, (unsigned long long)want->offset,
		(unsigned long long)want->hash, (unsigned long long)got);
	report_casef(got == want->hash, "replay.%s.frame.%u", r->label, r->frames);
	return true;
}

static bool replay_one(struct replay *r, const struct capture_call *call)
{
	r->call = call;
	switch (call->type) {
	case CAPTURE_CONTEXT_CREATE:
		return do_context(r, call);
	case CAPTURE_RESOURCE_CREATE:
		return do_resource_create(r, call);
	case CAPTURE_RESOURCE_DESTROY:
		return do_resource_destroy(r, call);
	case CAPTURE_TRANSFER_TO_HOST:
		return do_transfer(r, call, true);
	case CAPTURE_TRANSFER_FROM_HOST:
		return do_transfer(r, call, false);
	case CAPTURE_SUBMIT:
		return do_submit(r, call);
	case CAPTURE_WAIT:
		return do_wait(r, call);
	case CAPTURE_MEMORY:
		return do_memory(r, call);
	case CAPTURE_CHECK:
		return do_check(r, call);
	default:
		return stop(r, "a record type the replayer does not know", call->type);
	}
}

/* Run records until END, a damaged record or a call that fails; true at a clean END. */
static bool replay_records(struct replay *r, struct capture_reader *rd)
{
	struct capture_call call;
	int more;

	while ((more = capture_next(rd, &call)) > 0)
		if (!replay_one(r, &call))
			return false;
	if (more < 0) {
		kprintf("# replay %s: damaged capture at byte %llu: %s\n", r->label,
			(unsigned long long)rd->error_pos, rd->error);
		return false;
	}
	return true;
}

void replay_capture(struct testos_gpu *gpu, const char *label, const void *bytes, uint32_t len)
{
	struct replay r = { .label = label };
	struct capture_reader rd;
	bool whole = false;
	int ret;

	kprintf("# replay %s: %u bytes of capture\n", label, len);
	if (capture_reader_init(&rd, bytes, len) != 0) {
		kprintf("# replay %s: not a usable capture: %s (byte %llu)\n", label, rd.error,
			(unsigned long long)rd.error_pos);
	} else {
		ret = client_open(&r.c, gpu);
		if (ret == VGPU_OK)
			whole = replay_records(&r, &rd);
		else
			kprintf("# replay %s: vgpu_file_open failed (%d)\n", label, ret);
		client_close(&r.c);
	}
	heap_free(r.res);
	kprintf("# replay %s: %u records replayed, %u frames compared, %u equal\n", label,
		rd.records, r.frames, r.matched);
	report_casef(r.frames > 0 && r.matched == r.frames, "replay.%s.frames", label);
	report_casef(whole, "replay.%s.capture", label);
}
