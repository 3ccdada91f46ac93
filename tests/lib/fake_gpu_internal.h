/* SPDX-License-Identifier: MIT */
/*
 * What the parts of the fake virtio-gpu share; tests use fake_gpu.h only.
 *
 *   fake_gpu.c           the transport side: status, features, queues,
 *                        interrupt line, life cycle and snapshots
 *   fake_gpu_requests.c  requests from the rings to their answers: records,
 *                        fault rules, deferred and fenced completion
 *   fake_gpu_commands.c  the command set and its tables of contexts and
 *                        resources
 *   fake_gpu_blob.c      the blob commands
 *
 * Every function here runs with gpu->mutex held, except where it says.
 */
#ifndef VGPU_TESTS_FAKE_GPU_INTERNAL_H
#define VGPU_TESTS_FAKE_GPU_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fake_gpu.h"

/* The longest answer: a header and the larger capset. */
#define FAKE_GPU_ANSWER_MAX (sizeof(struct wire_hdr) + FAKE_GPU_CAPSET2_SIZE)

struct fake_gpu_answer {
	uint32_t len;
	uint8_t buf[FAKE_GPU_ANSWER_MAX];
};

/* A request the device holds: answered, but not yet given back. */
struct fake_gpu_pending {
	struct fake_gpu_pending *next;
	uint16_t queue;
	bool fenced;
	bool bogus;
	bool polled; /* FAKE_GPU_POLLED: answered at the next notification */
	uint64_t fence_id;
	uint32_t report_len;
	struct fake_gpu_answer answer;
	struct vring_dev_req req;
};

/* Count and report something the core did wrong. */
__attribute__((format(printf, 2, 3))) void fake_gpu_violation(struct fake_gpu *gpu, const char *fmt,
							      ...);
/* A counter read under the lock (the caller does not hold it). */
unsigned fake_gpu_read_count(struct fake_gpu *gpu, const unsigned *count);

/* The interrupt line (fake_gpu.c). */
void fake_gpu_raise_irq(struct fake_gpu *gpu, uint16_t queue);
/* Run the handler inline if the mode says so; releases the mutex. */
void fake_gpu_unlock_and_deliver_inline(struct fake_gpu *gpu);

/* Requests (fake_gpu_requests.c). */
void fake_gpu_process_queue(struct fake_gpu *gpu, uint16_t queue);
void fake_gpu_drop_pending(struct fake_gpu *gpu);
/* Answer, in arrival order, every request FAKE_GPU_POLLED holds. */
void fake_gpu_poll_fences(struct fake_gpu *gpu);

/* What one command handler sees. */
struct fake_gpu_command {
	struct fake_gpu *gpu;
	const uint8_t *buf;
	size_t len;
	struct wire_hdr hdr;
	int ctx_slot; /* slot of hdr.ctx_id, -1 if none */
	struct fake_gpu_answer *answer;
};

/* The command set (fake_gpu_commands.c). */
struct fake_gpu_res *fake_gpu_find_resource(struct fake_gpu *gpu, uint32_t id);
/* The resource a command names at `offset`, or NULL (a violation: the core sent it). */
struct fake_gpu_res *fake_gpu_named_resource(struct fake_gpu_command *c, size_t offset);
/* An unused entry of the resource table, NULL when it is full. */
struct fake_gpu_res *fake_gpu_free_resource_slot(struct fake_gpu *gpu);
/* A gallium description the device accepts (as RESOURCE_CREATE_3D carries it). */
bool fake_gpu_resource_desc_ok(const struct wire_resource_create_3d *r);
/* Check the command in `buf` against its type, size and context, run it; the answer type. */
uint32_t fake_gpu_execute(struct fake_gpu *gpu, uint16_t queue, const uint8_t *buf, size_t len,
			  struct fake_gpu_answer *answer);
/* The id a command is about, for the record: resource, or capset for GET_CAPSET. */
uint32_t fake_gpu_command_subject(const uint8_t *buf, size_t len);
/* Forget every context and resource; returns how many were live. */
unsigned fake_gpu_tables_clear(struct fake_gpu *gpu);

/* Blob commands (fake_gpu_blob.c). */
uint32_t fake_gpu_cmd_create_blob(struct fake_gpu_command *c);
uint32_t fake_gpu_cmd_map_blob(struct fake_gpu_command *c);
uint32_t fake_gpu_cmd_unmap_blob(struct fake_gpu_command *c);

#endif /* VGPU_TESTS_FAKE_GPU_INTERNAL_H */
