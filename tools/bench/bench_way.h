/* SPDX-License-Identifier: MIT */
/*
 * A "way" to the device: what vgpu-bench measures through.  Both ways
 * offer the same few operations, so that every metric is one piece of code
 * run twice and only the path under it differs:
 *  - raw (bench_raw.h): in-process, hand-built virtio-gpu commands on the
 *    core's split virtqueue, straight to the device backend;
 *  - vgpu (bench_vgpu.h): libvgpu -> socket -> vgpu-sim (the kmd core) ->
 *    the same device backend.
 * Every operation returns a vgpu_status (VGPU_OK = 0); after a failure
 * error() says in one line what failed.
 */
#ifndef VGPU_BENCH_WAY_H
#define VGPU_BENCH_WAY_H

#include <stdbool.h>
#include <stdint.h>

/* How long one wait for the device may take before we call it stuck. */
#define BENCH_WAIT_NS (10ull * 1000000000ull)

/* The textures the metrics use: 2D, B8G8R8A8, one level, tightly packed. */
#define BENCH_TEXTURE_BYTES_PER_PIXEL 4u

struct bench_way_ops {
	/* Queue a fenced command stream; *fence is what wait() takes. */
	int (*submit)(void *priv, const void *cmds, uint32_t size, uint64_t *fence);
	/* Wait until `fence` and everything queued before it are done. */
	int (*wait)(void *priv, uint64_t fence);
	/* A width x height texture with guest backing, attached to the context. */
	int (*texture_create)(void *priv, uint32_t width, uint32_t height, uint32_t *handle);
	int (*texture_destroy)(void *priv, uint32_t handle);
	/* Queue a fenced copy of the whole texture to or from the host. */
	int (*transfer)(void *priv, uint32_t handle, uint32_t width, uint32_t height, bool to_host,
			uint64_t *fence);
	const char *(*error)(void *priv);
	/* Release everything the way holds (safe after any failure). */
	void (*close)(void *priv);
};

struct bench_way {
	const char *name;
	const struct bench_way_ops *ops;
	void *priv;
};

#endif /* VGPU_BENCH_WAY_H */
