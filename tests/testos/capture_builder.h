/* SPDX-License-Identifier: MIT */
/*
 * Hand-built captures for the tests of the capture reader and the replay
 * engine: a header and records appended in order, with the counts END
 * must carry.
 */
#ifndef VGPU_TESTS_CAPTURE_BUILDER_H
#define VGPU_TESTS_CAPTURE_BUILDER_H

#include <stdint.h>
#include <string.h>

#include "capture.h"

struct builder {
	uint8_t bytes[1024];
	uint32_t len;
	uint32_t records; /* before END */
	uint32_t checks;
};

static inline void add(struct builder *b, const void *data, uint32_t len)
{
	memcpy(b->bytes + b->len, data, len);
	b->len += len;
}

static inline void add_record(struct builder *b, uint32_t type, const void *body, uint32_t size)
{
	struct capture_record_head head = { .type = type, .size = size };

	add(b, &head, sizeof(head));
	add(b, body, size);
	if (type == CAPTURE_CHECK)
		b->checks++;
	if (type != CAPTURE_END)
		b->records++;
}

#endif /* VGPU_TESTS_CAPTURE_BUILDER_H */
