/* SPDX-License-Identifier: MIT */
/*
 * The capture reader (lib/capture/capture.c) on hand-built captures: a good
 * one read to its END, and each way of breaking the format refused with
 * its reason, without reading past the buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "capture_builder.h"
#include "tap.h"

/* Header, a context, a MEMORY of 4 bytes, a SUBMIT of one handle and 8 bytes, a CHECK, END. */
static void build_good(struct builder *b)
{
	struct capture_header h = { CAPTURE_MAGIC, CAPTURE_VERSION, sizeof(h), 0 };
	struct vgpu_context_create ctx = { .capset_id = VGPU_CAPSET_VIRGL2 };
	uint8_t memory[sizeof(struct capture_memory) + 4] = { 0 };
	struct capture_memory m = { .handle = 7, .offset = 256, .len = 4 };
	uint8_t submit[sizeof(struct vgpu_submit) + 12] = { 0 };
	struct vgpu_submit s = { .size = 8, .num_handles = 1, .signal = 1 };
	struct capture_check c = { .handle = 7, .signal = 1, .len = 256, .hash = 42 };
	struct capture_end end;

	memset(b, 0, sizeof(*b));
	add(b, &h, sizeof(h));
	add_record(b, CAPTURE_CONTEXT_CREATE, &ctx, sizeof(ctx));
	memcpy(memory, &m, sizeof(m));
	memcpy(memory + sizeof(m), "abcd", 4);
	add_record(b, CAPTURE_MEMORY, memory, sizeof(memory));
	memcpy(submit, &s, sizeof(s));
	add_record(b, CAPTURE_SUBMIT, submit, sizeof(submit));
	add_record(b, CAPTURE_CHECK, &c, sizeof(c));
	end = (struct capture_end){ .records = b->records, .checks = b->checks };
	add_record(b, CAPTURE_END, &end, sizeof(end));
}

/* Read to the end; the reader's verdict (0 clean END, -1 refused). */
static int read_all(const struct builder *b, uint32_t len, struct capture_reader *r)
{
	struct capture_call call;
	int ret;

	/* A private copy of exactly `len` bytes: reading past it is ASan's to catch. */
	uint8_t *copy = malloc(len ? len : 1);

	memcpy(copy, b->bytes, len);
	ret = capture_reader_init(r, copy, len);
	if (ret == 0)
		while ((ret = capture_next(r, &call)) > 0)
			;
	free(copy);
	return ret;
}

static void test_good_capture(void)
{
	struct capture_reader r;
	struct capture_call call;
	struct builder b;

	build_good(&b);
	CHECK_EQ(capture_reader_init(&r, b.bytes, b.len), 0);
	CHECK_EQ(capture_next(&r, &call), 1);
	CHECK_EQ(call.type, CAPTURE_CONTEXT_CREATE);
	CHECK_EQ(call.u.context.capset_id, VGPU_CAPSET_VIRGL2);
	CHECK_EQ(capture_next(&r, &call), 1);
	CHECK_EQ(call.type, CAPTURE_MEMORY);
	CHECK_EQ(call.u.memory.offset, 256);
	CHECK(call.data_size == 4 && memcmp(call.data, "abcd", 4) == 0);
	CHECK_EQ(capture_next(&r, &call), 1);
	CHECK_EQ(call.type, CAPTURE_SUBMIT);
	CHECK_EQ(call.data_size, 12);
	CHECK_EQ(capture_next(&r, &call), 1);
	CHECK_EQ(call.u.check.hash, 42);
	CHECK_EQ(call.index, 4);
	CHECK_EQ(capture_next(&r, &call), 0);
	CHECK_EQ(capture_next(&r, &call), 0);
	CHECK(r.error == NULL);
}

static void expect_refused(struct builder *b, uint32_t len, const char *reason)
{
	struct capture_reader r;

	CHECK_EQ(read_all(b, len, &r), -1);
	CHECK(r.error && strstr(r.error, reason));
	if (r.error && !strstr(r.error, reason))
		printf("# got \"%s\", want \"%s\"\n", r.error, reason);
}

static void test_bad_headers(void)
{
	struct builder b;

	build_good(&b);
	expect_refused(&b, 8, "shorter than the capture header");
	b.bytes[0] ^= 1;
	expect_refused(&b, b.len, "bad magic");
	build_good(&b);
	b.bytes[4] = 2;
	expect_refused(&b, b.len, "version");
	build_good(&b);
	b.bytes[8] = 200;
	expect_refused(&b, 100, "header size");
}

static void test_every_truncation(void)
{
	struct capture_reader r;
	struct builder b;
	uint32_t len, refused = 0;

	build_good(&b);
	for (len = sizeof(struct capture_header); len < b.len; len++)
		refused += read_all(&b, len, &r) == -1 && r.error && strstr(r.error, "truncated");
	CHECK_EQ(refused, b.len - sizeof(struct capture_header));
	CHECK_EQ(read_all(&b, b.len, &r), 0);
}

/* The record after the header, as bytes to damage. */
static struct capture_record_head *first_record(struct builder *b)
{
	return (struct capture_record_head *)(b->bytes + sizeof(struct capture_header));
}

static void test_bad_records(void)
{
	struct builder b;
	uint8_t extra = 0;

	build_good(&b);
	first_record(&b)->type = 77;
	expect_refused(&b, b.len, "unknown record type");
	build_good(&b);
	first_record(&b)->size = 4;
	expect_refused(&b, b.len, "shorter than its type");
	build_good(&b);
	first_record(&b)->size += 4; /* announces more than CONTEXT_CREATE has */
	expect_refused(&b, b.len, "does not match");
	build_good(&b);
	/* SUBMIT claims 2 handles: its payload no longer matches its size. */
	b.bytes[sizeof(struct capture_header) + 8 + 80 + 8 + 28 + 8 + 4] = 2;
	expect_refused(&b, b.len, "does not match");
	build_good(&b);
	b.bytes[b.len - 4] = 9; /* END's check count */
	expect_refused(&b, b.len, "END counts");
	build_good(&b);
	add(&b, &extra, 1);
	expect_refused(&b, b.len, "bytes after the END");
}

static void test_hash(void)
{
	uint64_t whole = capture_hash(CAPTURE_HASH_INIT, "abcdef", 6);

	/* FNV-1a 64 of the empty string and of "a", as published. */
	CHECK(capture_hash(CAPTURE_HASH_INIT, "", 0) == 0xcbf29ce484222325ull);
	CHECK(capture_hash(CAPTURE_HASH_INIT, "a", 1) == 0xaf63dc4c8601ec8cull);
	CHECK(capture_hash(capture_hash(CAPTURE_HASH_INIT, "abc", 3), "def", 3) == whole);
}

int main(void)
{
	RUN(test_good_capture);
	RUN(test_bad_headers);
	RUN(test_every_truncation);
	RUN(test_bad_records);
	RUN(test_hash);
	return tap_done();
}
