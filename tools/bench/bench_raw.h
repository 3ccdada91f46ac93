/* SPDX-License-Identifier: MIT */
/*
 * The "raw" way (bench_way.h): the baseline without our core's engine.
 * In one process and one thread it starts the device backend, sets up
 * vhost-user and guest memory with the sim library's pieces, drives the
 * control queue with the core's own split virtqueue (vgpu_vq_*), and sends
 * hand-built virtio-gpu commands, polling the call eventfd for answers.
 * It keeps a few fixed request slots so that streams can be in flight
 * together, as the core allows; everything else runs one request at a
 * time.  No dispatcher, request pool, completion thread, socket or
 * libvgpu: what vgpu adds on top of this is what the ratio shows.
 */
#ifndef VGPU_BENCH_RAW_H
#define VGPU_BENCH_RAW_H

#include <stddef.h>

#include "bench_way.h"

/*
 * Start the backend (QEMU's vhost-user-gpu, as vgpu-sim does), bring the
 * device up and create a rendering context.  Returns VGPU_OK, or a status
 * and a line in `why`.
 */
int bench_raw_open(struct bench_way *way, char *why, size_t why_cap);

#endif /* VGPU_BENCH_RAW_H */
