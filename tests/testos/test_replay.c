/* SPDX-License-Identifier: MIT */
/*
 * The replay engine (lib/replay) on hand-built captures, against a fake
 * client that numbers handles and its timeline its own way (as libvgpu
 * does in the NT harness): the client's bytes land where the capture
 * says, handles and timeline values reach the client translated, a frame
 * is compared, and a range past the backing is refused before any write.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "capture_builder.h"
#include "replay.h"
#include "tap.h"

#define BACKING_BYTES 4096u
#define HANDLE_BASE 100u /* the fake's handles: HANDLE_BASE, HANDLE_BASE + 1... */
#define FENCE_BASE 1000u /* the fake's timeline: FENCE_BASE, FENCE_BASE + 1... */
#define MAX_CALLS 16u

static struct {
	uint8_t backing[BACKING_BYTES];
	uint32_t resources;
	uint64_t fences;
	uint32_t submitted_handle;
	uint32_t destroyed_handle;
	uint64_t waited[MAX_CALLS];
	uint32_t waits;
	uint32_t mapped; /* maps not yet unmapped */
	bool open;
	char reports[MAX_CALLS][64];
	bool passed[MAX_CALLS];
	uint32_t nreports;
} fake;

static int fake_open(void *client)
{
	fake.open = true;
	return VGPU_OK;
}

static void fake_close(void *client)
{
	fake.open = false;
}

static int fake_context(void *client, struct vgpu_context_create *cc)
{
	return VGPU_OK;
}

static int fake_create(void *client, struct vgpu_resource_create *desc)
{
	desc->handle = HANDLE_BASE + fake.resources;
	desc->res_id = ++fake.resources;
	return VGPU_OK;
}

static int fake_destroy(void *client, uint32_t handle)
{
	fake.destroyed_handle = handle;
	return VGPU_OK;
}

static int fake_transfer(void *client, bool to_host, const struct vgpu_transfer *t, uint64_t *fence)
{
	*fence = FENCE_BASE + fake.fences++;
	return VGPU_OK;
}

static int fake_submit(void *client, const struct vgpu_submit *s, const uint8_t *payload,
		       uint64_t *fence)
{
	if (s->num_handles)
		memcpy(&fake.submitted_handle, payload, 4);
	*fence = FENCE_BASE + fake.fences++;
	return VGPU_OK;
}

static int fake_wait(void *client, const struct vgpu_wait *w)
{
	if (fake.waits < MAX_CALLS)
		fake.waited[fake.waits++] = w->value;
	return w->timeout_ns == REPLAY_WAIT_NS ? VGPU_OK : VGPU_E_BUSY;
}

static int fake_map(void *client, uint32_t handle, uint8_t **bytes, uint64_t *size)
{
	if (handle != HANDLE_BASE)
		return VGPU_E_BAD_HANDLE;
	fake.mapped++;
	*bytes = fake.backing;
	*size = BACKING_BYTES;
	return VGPU_OK;
}

static int fake_unmap(void *client, uint32_t handle)
{
	fake.mapped--;
	return VGPU_OK;
}

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

static void report(bool passed, const char *fmt, ...)
{
	va_list ap;

	if (fake.nreports == MAX_CALLS)
		return;
	va_start(ap, fmt);
	vsnprintf(fake.reports[fake.nreports], sizeof(fake.reports[0]), fmt, ap);
	va_end(ap);
	fake.passed[fake.nreports++] = passed;
}

static const struct replay_ops fake_ops = {
	.open = fake_open,
	.close = fake_close,
	.context_create = fake_context,
	.resource_create = fake_create,
	.resource_destroy = fake_destroy,
	.transfer = fake_transfer,
	.submit = fake_submit,
	.wait = fake_wait,
	.map = fake_map,
	.unmap = fake_unmap,
	.alloc = malloc,
	.free = free,
	.print = say,
	.report = report,
};

/* The verdict the engine reported for `name`: 1 passed, 0 failed, -1 not reported. */
static int verdict(const char *name)
{
	uint32_t i;

	for (i = 0; i < fake.nreports; i++)
		if (strcmp(fake.reports[i], name) == 0)
			return fake.passed[i];
	return -1;
}

/*
 * A resource (recorded handle 7), "abcd" written at `memory_offset`, a
 * transfer (signal 3) and a submit naming it (signal 5), a WAIT for 3, and
 * a CHECK after 5 of the first 512 bytes as the device is expected to
 * leave them: with "abcd" at 256; then the resource destroyed.
 */
static void build(struct builder *b, uint64_t memory_offset)
{
	struct capture_header h = { CAPTURE_MAGIC, CAPTURE_VERSION, sizeof(h), 0 };
	struct vgpu_context_create ctx = { .capset_id = VGPU_CAPSET_VIRGL2 };
	struct vgpu_resource_create res = { .size = BACKING_BYTES, .handle = 7, .res_id = 1 };
	uint8_t memory[sizeof(struct capture_memory) + 4];
	struct capture_memory m = { .handle = 7, .offset = memory_offset, .len = 4 };
	struct vgpu_transfer t = { .handle = 7, .signal = 3 };
	uint8_t submit[sizeof(struct vgpu_submit) + 12] = { 0 };
	struct vgpu_submit s = { .size = 8, .num_handles = 1, .signal = 5 };
	uint32_t recorded_handle = 7;
	struct vgpu_wait w = { .kind = VGPU_WAIT_FENCE, .value = 3 };
	uint8_t expected[512] = { 0 };
	struct capture_check c = { .handle = 7, .signal = 5, .len = sizeof(expected) };
	struct vgpu_resource_destroy d = { .handle = 7 };
	struct capture_end end;

	memset(b, 0, sizeof(*b));
	add(b, &h, sizeof(h));
	add_record(b, CAPTURE_CONTEXT_CREATE, &ctx, sizeof(ctx));
	add_record(b, CAPTURE_RESOURCE_CREATE, &res, sizeof(res));
	memcpy(memory, &m, sizeof(m));
	memcpy(memory + sizeof(m), "abcd", 4);
	add_record(b, CAPTURE_MEMORY, memory, sizeof(memory));
	add_record(b, CAPTURE_TRANSFER_TO_HOST, &t, sizeof(t));
	memcpy(submit, &s, sizeof(s));
	memcpy(submit + sizeof(s), &recorded_handle, 4);
	add_record(b, CAPTURE_SUBMIT, submit, sizeof(submit));
	add_record(b, CAPTURE_WAIT, &w, sizeof(w));
	memcpy(expected + 256, "abcd", 4);
	c.hash = capture_hash(CAPTURE_HASH_INIT, expected, sizeof(expected));
	add_record(b, CAPTURE_CHECK, &c, sizeof(c));
	add_record(b, CAPTURE_RESOURCE_DESTROY, &d, sizeof(d));
	end = (struct capture_end){ .records = b->records, .checks = b->checks };
	add_record(b, CAPTURE_END, &end, sizeof(end));
}

static void test_translated_replay(void)
{
	struct builder b;

	memset(&fake, 0, sizeof(fake));
	build(&b, 256);
	replay_capture(&fake_ops, NULL, "good", b.bytes, b.len);
	CHECK(memcmp(fake.backing + 256, "abcd", 4) == 0);
	CHECK_EQ(fake.submitted_handle, HANDLE_BASE);
	CHECK_EQ(fake.destroyed_handle, HANDLE_BASE);
	/* The WAIT for recorded 3 is the transfer's; the CHECK after 5 the submit's. */
	CHECK_EQ(fake.waits, 2);
	CHECK_EQ(fake.waited[0], FENCE_BASE);
	CHECK_EQ(fake.waited[1], FENCE_BASE + 1);
	CHECK_EQ(verdict("replay.good.frame.1"), 1);
	CHECK_EQ(verdict("replay.good.frames"), 1);
	CHECK_EQ(verdict("replay.good.capture"), 1);
	CHECK_EQ(fake.mapped, 0);
	CHECK(!fake.open);
}

static void test_range_past_backing(void)
{
	struct builder b;
	uint8_t zeros[BACKING_BYTES] = { 0 };

	memset(&fake, 0, sizeof(fake));
	build(&b, BACKING_BYTES - 2);
	replay_capture(&fake_ops, NULL, "range", b.bytes, b.len);
	CHECK(memcmp(fake.backing, zeros, sizeof(zeros)) == 0);
	CHECK_EQ(verdict("replay.range.frames"), 0);
	CHECK_EQ(verdict("replay.range.capture"), 0);
	CHECK_EQ(fake.mapped, 0);
	CHECK(!fake.open);
}

static void test_labels(void)
{
	char label[8];

	replay_label(label, sizeof(label), "dir/demo.vgcap role=capture", 0);
	CHECK(strcmp(label, "demo") == 0);
	replay_label(label, sizeof(label), "a b.c/x y", 0);
	CHECK(strcmp(label, "a") == 0);
	replay_label(label, sizeof(label), "d/w!rd name.vgcap", 0);
	CHECK(strcmp(label, "w_rd") == 0);
	replay_label(label, sizeof(label), "dir/.vgcap", 11);
	CHECK(strcmp(label, "m12") == 0);
	replay_label(label, sizeof(label), NULL, 0);
	CHECK(strcmp(label, "m1") == 0);
	replay_label(label, sizeof(label), "long-capture-name", 0);
	CHECK(strcmp(label, "long-ca") == 0);
}

int main(void)
{
	RUN(test_translated_replay);
	RUN(test_range_past_backing);
	RUN(test_labels);
	return tap_done();
}
