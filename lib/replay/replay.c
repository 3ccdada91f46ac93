/* SPDX-License-Identifier: MIT */
/*
 * Replaying a capture.  Handles are private to an opened handle, so the
 * capture's handles are translated to the ones this run gets; so are
 * timeline values, which the guest's client may number its own way.
 * Resource ids are what the command streams name, so they must come out
 * equal (the core numbers them from 1 on a fresh device) and a difference
 * stops the replay.  MEMORY records put the client's bytes into the
 * backing before the call that hands it to the device; CHECK records
 * compare what the device wrote with the sim's.  Every record is checked
 * by the capture reader first and every range against this run's backing,
 * so that a damaged capture ends the replay with a message, never a wild
 * write.
 */
#include "replay.h"

#include <string.h>

#include "capture.h"

struct replay_res {
	uint32_t recorded; /* the handle in the capture */
	uint32_t handle;   /* the handle here */
};

/* A call that signalled the timeline: its value in the capture and here. */
struct replay_signal {
	uint64_t recorded;
	uint64_t here;
};

struct replay {
	const struct replay_ops *ops;
	void *client;
	const char *label;
	struct replay_res *res;
	uint32_t nres, cap_res;
	struct replay_signal *signals; /* in timeline order, recorded values increasing */
	uint32_t nsignals, cap_signals;
	uint32_t frames, matched;
	const struct capture_call *call; /* the record being replayed, for messages */
};

/* Why the replay cannot go on; the record it stopped at is named. */
static bool stop(struct replay *r, const char *why, long long value)
{
	const struct capture_call *call = r->call;

	r->ops->print("# replay %s: record %u (%s) at byte %llu: %s (%lld)\n", r->label,
		      call->index, capture_type_name(call->type), (unsigned long long)call->pos,
		      why, value);
	return false;
}

/* Room for one more element in the array *items of *count, capacity *cap. */
static bool grow(struct replay *r, void **items, uint32_t count, uint32_t *cap, size_t size)
{
	uint32_t new_cap = *cap ? *cap * 2u : 16u;
	void *bigger;

	if (count < *cap)
		return true;
	if (new_cap > 0x100000u)
		return false;
	bigger = r->ops->alloc((size_t)new_cap * size);
	if (!bigger)
		return false;
	if (*items)
		memcpy(bigger, *items, (size_t)count * size);
	r->ops->free(*items);
	*items = bigger;
	*cap = new_cap;
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

/* Remember what a signalling call's recorded value became here. */
static bool signalled(struct replay *r, uint64_t recorded, uint64_t here)
{
	if (r->nsignals && recorded <= r->signals[r->nsignals - 1].recorded)
		return stop(r, "a timeline value not above the previous one", (long long)recorded);
	if (!grow(r, (void **)&r->signals, r->nsignals, &r->cap_signals, sizeof(*r->signals)))
		return stop(r, "too many signalling calls for the replayer", r->nsignals);
	r->signals[r->nsignals++] = (struct replay_signal){ .recorded = recorded, .here = here };
	return true;
}

/*
 * The value here that a wait for `recorded` must reach: that of the last
 * call the recorded value covers (0, nothing to wait for, if none).
 */
static uint64_t timeline_here(const struct replay *r, uint64_t recorded)
{
	uint32_t lo = 0, hi = r->nsignals;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2u;

		if (r->signals[mid].recorded <= recorded)
			lo = mid + 1u;
		else
			hi = mid;
	}
	return lo ? r->signals[lo - 1u].here : 0;
}

/* [offset, offset + len) in this run's view of the resource; unmap when done. */
static uint8_t *map_range(struct replay *r, const struct replay_res *res, uint64_t offset,
			  uint64_t len)
{
	uint8_t *bytes;
	uint64_t size;

	if (!call_ok(r, r->ops->map(r->client, res->handle, &bytes, &size)))
		return NULL;
	if (offset > size || len > size - offset) {
		r->ops->unmap(r->client, res->handle);
		stop(r, "a range outside the backing, at", (long long)offset);
		return NULL;
	}
	return bytes + offset;
}

static bool do_context(struct replay *r, const struct capture_call *call)
{
	struct vgpu_context_create cc = call->u.context;

	cc.ctx_id = 0;
	return call_ok(r, r->ops->context_create(r->client, &cc));
}

static bool do_resource_create(struct replay *r, const struct capture_call *call)
{
	struct vgpu_resource_create desc = call->u.resource;

	if (find_res(r, desc.handle))
		return stop(r, "a handle the capture already has live", desc.handle);
	if (!grow(r, (void **)&r->res, r->nres, &r->cap_res, sizeof(*r->res)))
		return stop(r, "too many live resources for the replayer", r->nres);
	desc.handle = 0;
	desc.res_id = 0;
	if (!call_ok(r, r->ops->resource_create(r->client, &desc)))
		return false;
	r->res[r->nres++] =
		(struct replay_res){ .recorded = call->u.resource.handle, .handle = desc.handle };
	if (desc.res_id != call->u.resource.res_id) {
		r->ops->print("# replay %s: the device's resource id is %u, the capture's %u: "
			      "the streams would name other resources (replay needs a fresh "
			      "device)\n",
			      r->label, desc.res_id, call->u.resource.res_id);
		return stop(r, "resource id mismatch", desc.res_id);
	}
	return true;
}

static bool do_resource_destroy(struct replay *r, const struct capture_call *call)
{
	struct replay_res *res = need_res(r, call->u.destroy.handle);

	if (!res || !call_ok(r, r->ops->resource_destroy(r->client, res->handle)))
		return false;
	*res = r->res[--r->nres];
	return true;
}

static bool do_transfer(struct replay *r, const struct capture_call *call, bool to_host)
{
	struct replay_res *res = need_res(r, call->u.transfer.handle);
	struct vgpu_transfer t = call->u.transfer;
	uint64_t fence = 0;

	if (!res)
		return false;
	t.handle = res->handle;
	return call_ok(r, r->ops->transfer(r->client, to_host, &t, &fence)) &&
	       signalled(r, t.signal, fence);
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
	return call_ok(r, r->ops->unmap(r->client, res->handle));
}

/* The payload with the capture's handles translated; the stream itself as recorded. */
static bool do_submit(struct replay *r, const struct capture_call *call)
{
	const struct vgpu_submit *s = &call->u.submit;
	uint8_t *payload = r->ops->alloc(call->data_size ? (size_t)call->data_size : 1u);
	uint64_t fence = 0;
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
		ok = call_ok(r, r->ops->submit(r->client, s, payload, &fence)) &&
		     signalled(r, s->signal, fence);
	r->ops->free(payload);
	return ok;
}

static bool wait_here(struct replay *r, struct vgpu_wait *w)
{
	w->timeout_ns = REPLAY_WAIT_NS;
	w->completed = 0;
	return call_ok(r, r->ops->wait(r->client, w));
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
	} else {
		w.value = timeline_here(r, w.value);
	}
	return wait_here(r, &w);
}

/* What the device wrote, once the work that used the resource is done here too. */
static bool do_check(struct replay *r, const struct capture_call *call)
{
	const struct capture_check *want = &call->u.check;
	struct replay_res *res = need_res(r, want->handle);
	struct vgpu_wait w = { .kind = VGPU_WAIT_FENCE, .value = timeline_here(r, want->signal) };
	const uint8_t *bytes;
	uint64_t got;

	if (!res || !wait_here(r, &w))
		return false;
	bytes = map_range(r, res, want->offset, want->len);
	if (!bytes)
		return false;
	got = capture_hash(CAPTURE_HASH_INIT, bytes, want->len);
	if (!call_ok(r, r->ops->unmap(r->client, res->handle)))
		return false;
	r->frames++;
	if (got == want->hash)
		r->matched++;
	r->ops->print("# replay %s: frame %u (signal %llu, %llu bytes at %llu): sim %llx, "
		      "here %llx\n",
		      r->label, r->frames, (unsigned long long)want->signal,
		      (unsigned long long)want->len, (unsigned long long)want->offset,
		      (unsigned long long)want->hash, (unsigned long long)got);
	r->ops->report(got == want->hash, "replay.%s.frame.%u", r->label, r->frames);
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
		r->ops->print("# replay %s: damaged capture at byte %llu: %s\n", r->label,
			      (unsigned long long)rd->error_pos, rd->error);
		return false;
	}
	return true;
}

void replay_capture(const struct replay_ops *ops, void *client, const char *label,
		    const void *bytes, uint64_t len)
{
	struct replay r = { .ops = ops, .client = client, .label = label };
	struct capture_reader rd;
	bool whole = false;
	int ret;

	ops->print("# replay %s: %llu bytes of capture\n", label, (unsigned long long)len);
	if (capture_reader_init(&rd, bytes, len) != 0) {
		ops->print("# replay %s: not a usable capture: %s (byte %llu)\n", label, rd.error,
			   (unsigned long long)rd.error_pos);
	} else {
		ret = ops->open(client);
		if (ret == VGPU_OK)
			whole = replay_records(&r, &rd);
		else
			ops->print("# replay %s: opening the device failed (%d)\n", label, ret);
		ops->close(client);
	}
	ops->free(r.res);
	ops->free(r.signals);
	ops->print("# replay %s: %u records replayed, %u frames compared, %u equal\n", label,
		   rd.records, r.frames, r.matched);
	ops->report(r.frames > 0 && r.matched == r.frames, "replay.%s.frames", label);
	ops->report(whole, "replay.%s.capture", label);
}

static bool label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* `number` in decimal at label[n...], as far as cap allows; returns the new length. */
static size_t put_number(char *label, size_t cap, size_t n, unsigned number)
{
	char digits[10];
	size_t count = 0;

	do {
		digits[count++] = (char)('0' + number % 10u);
		number /= 10u;
	} while (number && count < sizeof(digits));
	while (count && n + 1 < cap)
		label[n++] = digits[--count];
	return n;
}

void replay_label(char *label, size_t cap, const char *path, unsigned index)
{
	const char *base = path, *p;
	size_t n = 0;

	for (p = path; p && *p && *p != ' '; p++)
		if (*p == '/')
			base = p + 1;
	for (p = base; p && *p && *p != ' ' && *p != '.' && n + 1 < cap; p++)
		label[n++] = label_char(*p) ? *p : '_';
	if (n == 0) {
		label[n++] = 'm';
		n = put_number(label, cap, n, index + 1u);
	}
	label[n] = '\0';
}
