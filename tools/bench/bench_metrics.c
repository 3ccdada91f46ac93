/* SPDX-License-Identifier: MIT */
/*
 * The metrics and the interleaving runner (bench_metrics.h).
 */
#include "bench_metrics.h"

#include <stddef.h>

#include "bench_streams.h"
#include "vgpu/vgpu_abi.h"

#define TINY_DWORDS 16u
#define NOP_SMALL_BYTES (64u << 10)
#define NOP_LARGE_BYTES (512u << 10)
#define TRANSFER_BYTES                                                                             \
	((uint64_t)BENCH_TRANSFER_SIDE * BENCH_TRANSFER_SIDE * BENCH_TEXTURE_BYTES_PER_PIXEL)

struct nop_stream {
	uint32_t bytes;
	uint32_t *dwords;
};

static uint32_t tiny_stream[TINY_DWORDS];
static uint32_t tiny_bytes;
static uint32_t nop_small[NOP_SMALL_BYTES / 4];
static uint32_t nop_large[NOP_LARGE_BYTES / 4];

static const struct nop_stream nop_streams[] = {
	{ NOP_SMALL_BYTES, nop_small },
	{ NOP_LARGE_BYTES, nop_large },
};

static const struct nop_stream *nop_stream_of(uint32_t bytes)
{
	for (size_t i = 0; i < sizeof(nop_streams) / sizeof(nop_streams[0]); i++) {
		if (nop_streams[i].bytes == bytes)
			return &nop_streams[i];
	}
	return NULL;
}

int bench_metrics_init(void)
{
	tiny_bytes = bench_tiny_stream(tiny_stream, TINY_DWORDS);
	if (!tiny_bytes)
		return -1;
	for (size_t i = 0; i < sizeof(nop_streams) / sizeof(nop_streams[0]); i++) {
		const struct nop_stream *s = &nop_streams[i];

		if (bench_nop_stream(s->dwords, s->bytes / 4, s->bytes) != 0)
			return -1;
	}
	return 0;
}

/* One fenced submit of a tiny stream, and the wait for its fence. */
static int run_round_trip(struct bench_target *t, const struct bench_metric *m, uint64_t *ns)
{
	const struct bench_way *w = &t->way;
	uint64_t start = bench_now_ns(), fence = 0;
	int ret = w->ops->submit(w->priv, tiny_stream, tiny_bytes, &fence);

	if (ret == VGPU_OK)
		ret = w->ops->wait(w->priv, fence);
	*ns = bench_now_ns() - start;
	return ret;
}

/* Several streams of NOPs in flight, then one wait for the last. */
static int run_throughput(struct bench_target *t, const struct bench_metric *m, uint64_t *ns)
{
	const struct bench_way *w = &t->way;
	const struct nop_stream *s = nop_stream_of(m->param);
	uint64_t start = bench_now_ns(), fence = 0;
	int ret = s ? VGPU_OK : VGPU_E_INVALID;

	for (unsigned int i = 0; ret == VGPU_OK && i < BENCH_STREAMS_IN_FLIGHT; i++)
		ret = w->ops->submit(w->priv, s->dwords, s->bytes, &fence);
	if (ret == VGPU_OK)
		ret = w->ops->wait(w->priv, fence);
	*ns = bench_now_ns() - start;
	return ret;
}

/* The whole transfer texture, one way (param 1: to the host), fenced and waited for. */
static int run_transfer(struct bench_target *t, const struct bench_metric *m, uint64_t *ns)
{
	const struct bench_way *w = &t->way;
	uint64_t start = bench_now_ns(), fence = 0;
	int ret = w->ops->transfer(w->priv, t->transfer_texture, BENCH_TRANSFER_SIDE,
				   BENCH_TRANSFER_SIDE, m->param != 0, &fence);

	if (ret == VGPU_OK)
		ret = w->ops->wait(w->priv, fence);
	*ns = bench_now_ns() - start;
	return ret;
}

/* A batch of small textures, each created and destroyed at once. */
static int run_create_destroy(struct bench_target *t, const struct bench_metric *m, uint64_t *ns)
{
	const struct bench_way *w = &t->way;
	uint64_t start = bench_now_ns();
	int ret = VGPU_OK;

	for (uint64_t i = 0; ret == VGPU_OK && i < m->work; i++) {
		uint32_t handle = 0;

		ret = w->ops->texture_create(w->priv, BENCH_SMALL_SIDE, BENCH_SMALL_SIDE, &handle);
		if (ret == VGPU_OK)
			ret = w->ops->texture_destroy(w->priv, handle);
	}
	*ns = bench_now_ns() - start;
	return ret;
}

const struct bench_metric bench_metrics[] = {
	{ "fenced submit round trip (1 small command)", BENCH_UNIT_MS, 1, 0, run_round_trip },
	{ "submit throughput, 8 x 64 KiB in flight", BENCH_UNIT_MB_S,
	  (uint64_t)BENCH_STREAMS_IN_FLIGHT *NOP_SMALL_BYTES, NOP_SMALL_BYTES, run_throughput },
	{ "submit throughput, 8 x 512 KiB in flight", BENCH_UNIT_MB_S,
	  (uint64_t)BENCH_STREAMS_IN_FLIGHT *NOP_LARGE_BYTES, NOP_LARGE_BYTES, run_throughput },
	{ "transfer to host, 1024x1024 RGBA", BENCH_UNIT_MB_S, TRANSFER_BYTES, 1, run_transfer },
	{ "transfer from host, 1024x1024 RGBA", BENCH_UNIT_MB_S, TRANSFER_BYTES, 0, run_transfer },
	{ "texture create + destroy, 64x64", BENCH_UNIT_PER_S, BENCH_CREATE_BATCH, 0,
	  run_create_destroy },
};
const unsigned int bench_num_metrics = sizeof(bench_metrics) / sizeof(bench_metrics[0]);

int bench_target_prepare(struct bench_target *t)
{
	const struct bench_way *w = &t->way;

	t->transfer_texture = 0;
	return w->ops->texture_create(w->priv, BENCH_TRANSFER_SIDE, BENCH_TRANSFER_SIDE,
				      &t->transfer_texture);
}

void bench_target_release(struct bench_target *t)
{
	const struct bench_way *w = &t->way;

	if (t->transfer_texture)
		w->ops->texture_destroy(w->priv, t->transfer_texture);
	t->transfer_texture = 0;
	w->ops->close(w->priv);
}

/* `count` repetitions; timings go to `samples` unless it is NULL (warm-up). */
static int run_reps(struct bench_target *t, const struct bench_metric *m, unsigned int count,
		    struct bench_samples *samples)
{
	for (unsigned int i = 0; i < count; i++) {
		uint64_t ns = 0;
		int ret = m->run(t, m, &ns);

		if (ret != VGPU_OK)
			return ret;
		if (samples)
			bench_samples_add(samples, ns);
	}
	return VGPU_OK;
}

int bench_measure(const struct bench_metric *m, struct bench_target *const *targets, unsigned int n,
		  const struct bench_plan *plan, struct bench_samples *samples,
		  struct bench_target **failed)
{
	unsigned int done = 0, block;
	int ret;

	if (!m || !targets || !n || !plan || !plan->reps || !plan->block || !samples || !failed)
		return VGPU_E_INVALID;
	for (unsigned int i = 0; i < n; i++) {
		ret = run_reps(targets[i], m, plan->warmup, NULL);
		if (ret != VGPU_OK) {
			*failed = targets[i];
			return ret;
		}
	}
	for (block = 0; done < plan->reps; block++) {
		unsigned int left = plan->reps - done;
		unsigned int count = left < plan->block ? left : plan->block;

		/* Alternate which way goes first, so neither always follows the other. */
		for (unsigned int j = 0; j < n; j++) {
			unsigned int i = (block + j) % n;

			ret = run_reps(targets[i], m, count, &samples[i]);
			if (ret != VGPU_OK) {
				*failed = targets[i];
				return ret;
			}
		}
		done += count;
	}
	return VGPU_OK;
}
