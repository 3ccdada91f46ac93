/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the capture reader (lib/capture/capture.c) that
 * replay trusts with files from anywhere: it must refuse a broken capture
 * with a reason, and what it hands out must lie inside the input, one
 * record after the other.
 */
#include <stdio.h>
#include <stdlib.h>

#include "capture.h"

static void fail(const char *what, uint64_t pos)
{
	fprintf(stderr, "fuzz_capture: %s at %llu\n", what, (unsigned long long)pos);
	abort();
}

static void check_call(const struct capture_reader *r, const struct capture_call *c,
		       uint64_t last_pos)
{
	const uint8_t *end = r->bytes + r->len;

	if (c->pos >= r->len || (last_pos != UINT64_MAX && c->pos <= last_pos))
		fail("record out of order", c->pos);
	if (c->data_size &&
	    (c->data < r->bytes || c->data > end || c->data_size > (uint64_t)(end - c->data)))
		fail("record data outside the capture", c->pos);
	/* Touch every byte handed out: ASan tells if any is not the input's. */
	(void)capture_hash(CAPTURE_HASH_INIT, c->data, c->data_size);
	(void)capture_type_name(c->type);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct capture_reader r;
	struct capture_call c;
	uint64_t last_pos = UINT64_MAX;
	int ret;

	if (capture_reader_init(&r, data, size) != 0) {
		if (!r.error)
			fail("header refused without a reason", 0);
		return 0;
	}
	while ((ret = capture_next(&r, &c)) == 1) {
		check_call(&r, &c, last_pos);
		last_pos = c.pos;
	}
	if (ret < 0 && !r.error)
		fail("capture refused without a reason", r.pos);
	if (ret < 0 && capture_next(&r, &c) != -1)
		fail("a failed reader went on", r.pos);
	return 0;
}
