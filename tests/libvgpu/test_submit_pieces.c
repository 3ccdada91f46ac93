/* SPDX-License-Identifier: MIT */
/*
 * How vgpu_submit hands its payload (handles, then the stream) to the
 * channel: in one piece when it already lies in one (no handles, or the
 * handles right before the stream, as the winsys's command buffers put
 * them), so that a channel needing it contiguous (the Windows IOCTL) does
 * not copy the stream; in two otherwise.  Over a recording channel.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "libvgpu.h"
#include "tap.h"

#define STREAM_WORDS 64u
#define PAYLOAD_MAX (4u * (8u + STREAM_WORDS))

struct recording_channel {
	struct vgpu_channel base;
	uint32_t submits;
	uint32_t num_pieces;
	uint8_t payload[PAYLOAD_MAX];
	uint32_t payload_len;
};

static struct recording_channel *rec;

static int rec_call(struct vgpu_channel *ch, struct vgpu_call *call)
{
	struct recording_channel *r = (struct recording_channel *)ch;

	if (call->code == VGPU_IOCTL_GET_INFO) {
		struct vgpu_get_info *info = call->fixed;

		info->abi_major = VGPU_ABI_VERSION_MAJOR;
		info->abi_minor = VGPU_ABI_VERSION_MINOR;
		return VGPU_OK;
	}
	if (call->code != VGPU_IOCTL_SUBMIT)
		return VGPU_E_UNSUPPORTED;
	r->submits++;
	r->num_pieces = call->num_pieces;
	r->payload_len = 0;
	for (uint32_t i = 0; i < call->num_pieces; i++) {
		if (r->payload_len + call->payload_in[i].len > PAYLOAD_MAX)
			return VGPU_E_BAD_SIZE;
		memcpy(r->payload + r->payload_len, call->payload_in[i].base,
		       call->payload_in[i].len);
		r->payload_len += call->payload_in[i].len;
	}
	return VGPU_OK;
}

static void rec_close(struct vgpu_channel *ch)
{
	free(ch);
}

static const struct vgpu_channel_ops rec_ops = { .call = rec_call, .close = rec_close };

static struct vgpu_dev *open_recorded(void)
{
	struct vgpu_dev *dev = NULL;

	rec = calloc(1, sizeof(*rec));
	if (!rec)
		return NULL;
	rec->base.ops = &rec_ops;
	if (vgpu_open_channel(&rec->base, &dev) != VGPU_OK)
		return NULL;
	return dev;
}

/* What the channel got is `handles` then `stream`, byte for byte. */
static int payload_is(const uint32_t *handles, uint32_t num_handles, const uint32_t *stream)
{
	uint32_t handle_bytes = num_handles * 4u;

	return rec->payload_len == handle_bytes + STREAM_WORDS * 4u &&
	       (!num_handles || memcmp(rec->payload, handles, handle_bytes) == 0) &&
	       memcmp(rec->payload + handle_bytes, stream, STREAM_WORDS * 4u) == 0;
}

static void fill(uint32_t *words, uint32_t n, uint32_t seed)
{
	for (uint32_t i = 0; i < n; i++)
		words[i] = seed + i * 7u;
}

static void test_handles_before_the_stream_go_in_one_piece(void)
{
	uint32_t block[3 + STREAM_WORDS];
	struct vgpu_dev *dev = open_recorded();

	CHECK(dev != NULL);
	if (!dev)
		return;
	fill(block, 3, 100);
	fill(block + 3, STREAM_WORDS, 5000);
	CHECK_EQ(vgpu_submit(dev, block + 3, STREAM_WORDS * 4, block, 3, NULL), VGPU_OK);
	CHECK_EQ(rec->submits, 1);
	CHECK_EQ(rec->num_pieces, 1);
	CHECK(payload_is(block, 3, block + 3));
	vgpu_close(dev);
}

static void test_handles_elsewhere_go_in_two_pieces(void)
{
	/* A word between them: the compiler may lay two arrays end to end. */
	struct {
		uint32_t handles[2];
		uint32_t gap;
		uint32_t stream[STREAM_WORDS];
	} m;
	struct vgpu_dev *dev = open_recorded();

	CHECK(dev != NULL);
	if (!dev)
		return;
	fill(m.handles, 2, 7);
	fill(m.stream, STREAM_WORDS, 900);
	CHECK_EQ(vgpu_submit(dev, m.stream, sizeof(m.stream), m.handles, 2, NULL), VGPU_OK);
	CHECK_EQ(rec->num_pieces, 2);
	CHECK(payload_is(m.handles, 2, m.stream));
	vgpu_close(dev);
}

static void test_no_handles_is_the_stream_alone(void)
{
	uint32_t stream[STREAM_WORDS];
	struct vgpu_dev *dev = open_recorded();

	CHECK(dev != NULL);
	if (!dev)
		return;
	fill(stream, STREAM_WORDS, 42);
	CHECK_EQ(vgpu_submit(dev, stream, sizeof(stream), NULL, 0, NULL), VGPU_OK);
	CHECK_EQ(rec->num_pieces, 1);
	CHECK(payload_is(NULL, 0, stream));
	vgpu_close(dev);
}

int main(void)
{
	RUN(test_handles_before_the_stream_go_in_one_piece);
	RUN(test_handles_elsewhere_go_in_two_pieces);
	RUN(test_no_handles_is_the_stream_alone);
	return tap_done();
}
