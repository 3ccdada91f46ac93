/* SPDX-License-Identifier: MIT */
/*
 * The sim's read-ahead of request frames (kmd/sim/frame_reader.h): bytes
 * past a frame kept for the next, frames that arrive in pieces, the stall
 * limit inside a frame and none between frames, the end of the stream, and
 * payloads larger than the buffer.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "frame_reader.h"
#include "tap.h"

#define STALL_MS 100

static int pair[2];
static struct frame_reader reader;

static void open_pair(void)
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0)
		abort();
	frame_reader_init(&reader, pair[0], STALL_MS);
}

static void close_pair(void)
{
	close(pair[0]);
	close(pair[1]);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fill_pattern(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static bool send_all(const void *p, size_t len)
{
	return send(pair[1], p, len, MSG_NOSIGNAL) == (ssize_t)len;
}

/* A writer thread: `pieces` sends of `len / pieces` bytes, `gap_ms` apart, after `delay_ms`. */
struct writer {
	const uint8_t *bytes;
	size_t len;
	unsigned pieces;
	unsigned delay_ms, gap_ms;
	pthread_t thread;
};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void *write_main(void *arg)
{
	struct writer *w = arg;
	size_t piece = w->len / w->pieces, at = 0;

	sleep_ms(w->delay_ms);
	for (unsigned i = 0; i < w->pieces; i++) {
		size_t n = i + 1 == w->pieces ? w->len - at : piece;

		if (i)
			sleep_ms(w->gap_ms);
		if (!send_all(w->bytes + at, n))
			break;
		at += n;
	}
	return NULL;
}

static void start_writer(struct writer *w)
{
	if (pthread_create(&w->thread, NULL, write_main, w) != 0)
		abort();
}

/* Two frames sent as one: the second's bytes wait in the reader for their turn. */
static void test_bytes_past_a_frame_kept(void)
{
	uint8_t sent[40], got[40] = { 0 };

	open_pair();
	fill_pattern(sent, sizeof(sent), 1);
	CHECK(send_all(sent, sizeof(sent)));
	CHECK(!frame_reader_has_bytes(&reader));
	CHECK_EQ(frame_reader_read(&reader, got, 8, false), 0);
	CHECK_EQ(frame_reader_read(&reader, got + 8, 22, true), 0);
	CHECK(frame_reader_has_bytes(&reader));
	CHECK_EQ(frame_reader_read(&reader, got + 30, 10, false), 0);
	CHECK(!frame_reader_has_bytes(&reader));
	CHECK(memcmp(sent, got, sizeof(sent)) == 0);
	close_pair();
}

/* A frame in three pieces, each well within the stall limit of the last. */
static void test_frame_in_pieces(void)
{
	uint8_t sent[300], got[300] = { 0 };
	struct writer w = { sent, sizeof(sent), 3, 0, STALL_MS / 4, 0 };

	open_pair();
	fill_pattern(sent, sizeof(sent), 2);
	start_writer(&w);
	CHECK_EQ(frame_reader_read(&reader, got, 16, false), 0);
	CHECK_EQ(frame_reader_read(&reader, got + 16, sizeof(got) - 16, true), 0);
	pthread_join(w.thread, NULL);
	CHECK(memcmp(sent, got, sizeof(sent)) == 0);
	close_pair();
}

/* Half a frame, then nothing: the read fails after the stall limit, not before. */
static void test_stall_inside_a_frame(void)
{
	uint8_t half[4] = { 1, 2, 3, 4 }, got[8];
	int64_t start;

	open_pair();
	CHECK(send_all(half, sizeof(half)));
	start = now_ms();
	CHECK_EQ(frame_reader_read(&reader, got, sizeof(got), false), -1);
	CHECK(now_ms() - start >= STALL_MS - 5);
	CHECK(now_ms() - start < STALL_MS + 2000);
	close_pair();
}

/* Between frames a client may be silent for longer than the stall limit. */
static void test_no_limit_between_frames(void)
{
	uint8_t sent[8], got[8] = { 0 };
	struct writer w = { sent, sizeof(sent), 1, 3 * STALL_MS, 0, 0 };

	open_pair();
	fill_pattern(sent, sizeof(sent), 3);
	start_writer(&w);
	CHECK_EQ(frame_reader_read(&reader, got, sizeof(got), false), 0);
	pthread_join(w.thread, NULL);
	CHECK(memcmp(sent, got, sizeof(sent)) == 0);
	close_pair();
}

/* The peer's end: inside a frame and between frames, a failure either way. */
static void test_end_of_stream(void)
{
	uint8_t half[4] = { 0 }, got[8];

	open_pair();
	CHECK(send_all(half, sizeof(half)));
	shutdown(pair[1], SHUT_WR);
	CHECK_EQ(frame_reader_read(&reader, got, sizeof(got), false), -1);
	close_pair();
	open_pair();
	shutdown(pair[1], SHUT_WR);
	CHECK_EQ(frame_reader_read(&reader, got, sizeof(got), false), -1);
	close_pair();
}

/* A payload several times the buffer, in pieces: every byte in place. */
static void test_payload_larger_than_buffer(void)
{
	size_t len = 5 * FRAME_READER_BYTES + 123;
	uint8_t *sent = malloc(len), *got = calloc(1, len);
	struct writer w = { sent, len, 7, 0, 2, 0 };

	if (!sent || !got)
		abort();
	open_pair();
	fill_pattern(sent, len, 4);
	start_writer(&w);
	CHECK_EQ(frame_reader_read(&reader, got, 24, false), 0);
	CHECK_EQ(frame_reader_read(&reader, got + 24, len - 24, true), 0);
	pthread_join(w.thread, NULL);
	CHECK(memcmp(sent, got, len) == 0);
	CHECK(!frame_reader_has_bytes(&reader));
	close_pair();
	free(sent);
	free(got);
}

int main(void)
{
	RUN(test_bytes_past_a_frame_kept);
	RUN(test_frame_in_pieces);
	RUN(test_stall_inside_a_frame);
	RUN(test_no_limit_between_frames);
	RUN(test_end_of_stream);
	RUN(test_payload_larger_than_buffer);
	return tap_done();
}
