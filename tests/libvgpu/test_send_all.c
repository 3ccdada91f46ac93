/* SPDX-License-Identifier: MIT */
/*
 * sock_link_send_all, the loop every OS half of the socket channel sends
 * through: pieces arrive whole and in order however few bytes each send
 * takes (one, a few, across piece boundaries), a failed send fails it, and
 * more pieces than a send takes are refused.  Over a scripted stream.
 */
#include <stdint.h>
#include <string.h>

#include "sock_link.h"
#include "tap.h"

#define SINK_BYTES 256u

struct stingy_stream {
	size_t per_send;  /* the most a send takes */
	uint32_t fail_at; /* the send that fails (0: none) */
	uint32_t sends;
	uint8_t sink[SINK_BYTES];
	size_t sunk;
};

static size_t stingy_send(void *stream, const struct vgpu_piece *pieces, uint32_t count)
{
	struct stingy_stream *s = stream;
	size_t took = 0;

	if (++s->sends == s->fail_at)
		return 0;
	for (uint32_t i = 0; i < count && took < s->per_send; i++) {
		size_t n = pieces[i].len;

		if (n > s->per_send - took)
			n = s->per_send - took;
		if (s->sunk + n > SINK_BYTES)
			return 0;
		memcpy(s->sink + s->sunk, pieces[i].base, n);
		s->sunk += n;
		took += n;
	}
	return took;
}

static const char text[] = "the quick brown fox jumps over the lazy dog";

/* The text in four pieces, one of them empty. */
static uint32_t four_pieces(struct vgpu_piece *p)
{
	p[0] = (struct vgpu_piece){ text, 10 };
	p[1] = (struct vgpu_piece){ text + 10, 0 };
	p[2] = (struct vgpu_piece){ text + 10, 1 };
	p[3] = (struct vgpu_piece){ text + 11, (uint32_t)sizeof(text) - 11 };
	return 4;
}

static void test_whole_in_order_at_any_pace(void)
{
	struct vgpu_piece p[4];
	uint32_t count = four_pieces(p);

	for (size_t per_send = 1; per_send <= sizeof(text) + 1; per_send++) {
		struct stingy_stream s = { .per_send = per_send };

		CHECK(sock_link_send_all(&s, stingy_send, p, count));
		CHECK_EQ(s.sunk, sizeof(text));
		CHECK(memcmp(s.sink, text, sizeof(text)) == 0);
	}
	/* the caller's pieces are left as they were */
	CHECK(p[0].base == text && p[0].len == 10 && p[3].base == text + 11);
}

static void test_failed_send_fails(void)
{
	struct vgpu_piece p[4];
	uint32_t count = four_pieces(p);
	struct stingy_stream s = { .per_send = 3, .fail_at = 4 };

	CHECK(!sock_link_send_all(&s, stingy_send, p, count));
	CHECK_EQ(s.sends, 4);
}

static void test_too_many_pieces_refused(void)
{
	struct vgpu_piece p[SOCK_LINK_MAX_PIECES + 1];
	struct stingy_stream s = { .per_send = SINK_BYTES };

	for (uint32_t i = 0; i <= SOCK_LINK_MAX_PIECES; i++)
		p[i] = (struct vgpu_piece){ text, 1 };
	CHECK(!sock_link_send_all(&s, stingy_send, p, SOCK_LINK_MAX_PIECES + 1));
	CHECK_EQ(s.sends, 0);
	CHECK(sock_link_send_all(&s, stingy_send, p, SOCK_LINK_MAX_PIECES));
	CHECK_EQ(s.sunk, SOCK_LINK_MAX_PIECES);
}

int main(void)
{
	RUN(test_whole_in_order_at_any_pace);
	RUN(test_failed_send_fails);
	RUN(test_too_many_pieces_refused);
	return tap_done();
}
