/* SPDX-License-Identifier: MIT */
/*
 * The replay capture format (docs/replay.md): the ABI calls of one client
 * connection that matter for rendering, as the sim recorded them, with
 * what the client wrote into resource memory before the device read it
 * and hashes of what the device wrote there; and a reader that checks
 * every record before handing it out.  Pure, freestanding C11, so that
 * the test guest can replay what the sim wrote.
 *
 * A capture is a header, then records: a struct capture_record_head and
 * `size` body bytes.  Call records hold the ABI struct of the call as the
 * core left it (out fields filled), all little-endian.
 */
#ifndef VGPU_LIB_CAPTURE_H
#define VGPU_LIB_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "vgpu/vgpu_abi.h"

#define CAPTURE_MAGIC 0x50434756u /* "VGCP" */
#define CAPTURE_VERSION 1u

struct capture_header {
	uint32_t magic;
	uint32_t version;
	uint32_t header_size; /* where the first record starts */
	uint32_t reserved;    /* 0 */
};
VGPU_ABI_ASSERT_SIZE(struct capture_header, 16);

enum capture_type {
	CAPTURE_CONTEXT_CREATE = 1,     /* struct vgpu_context_create */
	CAPTURE_RESOURCE_CREATE = 2,    /* struct vgpu_resource_create, handle and res_id filled */
	CAPTURE_RESOURCE_DESTROY = 3,   /* struct vgpu_resource_destroy */
	CAPTURE_TRANSFER_TO_HOST = 4,   /* struct vgpu_transfer */
	CAPTURE_TRANSFER_FROM_HOST = 5, /* struct vgpu_transfer */
	CAPTURE_SUBMIT = 6,             /* struct vgpu_submit, handles, command stream */
	CAPTURE_WAIT = 7,               /* struct vgpu_wait, completed filled */
	CAPTURE_MEMORY = 8,             /* struct capture_memory, len bytes */
	CAPTURE_CHECK = 9,              /* struct capture_check */
	CAPTURE_END = 10,               /* struct capture_end: the recording finished */
};

struct capture_record_head {
	uint32_t type; /* enum capture_type */
	uint32_t size; /* body bytes that follow */
};
VGPU_ABI_ASSERT_SIZE(struct capture_record_head, 8);

/*
 * What the client had written into a resource's backing when it handed
 * the resource to the device: the replay writes these bytes at `offset`
 * before the call that follows.
 */
struct capture_memory {
	uint32_t handle;
	uint32_t pad;
	uint64_t offset;
	uint64_t len;
};
VGPU_ABI_ASSERT_SIZE(struct capture_memory, 24);

/*
 * What the device wrote into a resource's backing: once the handle's
 * timeline reached `signal` (all the work that used the resource), the
 * bytes at [offset, offset + len) hashed to `hash` (capture_hash).
 */
struct capture_check {
	uint32_t handle;
	uint32_t pad;
	uint64_t signal;
	uint64_t offset;
	uint64_t len;
	uint64_t hash;
};
VGPU_ABI_ASSERT_SIZE(struct capture_check, 40);

struct capture_end {
	uint32_t records; /* records before this one */
	uint32_t checks;  /* of which CHECK */
};
VGPU_ABI_ASSERT_SIZE(struct capture_end, 8);

/* One record, checked and decoded. */
struct capture_call {
	uint32_t type;
	uint32_t index; /* 1 for the first record */
	uint64_t pos;   /* of its head in the capture */
	union {
		struct vgpu_context_create context;
		struct vgpu_resource_create resource;
		struct vgpu_resource_destroy destroy;
		struct vgpu_transfer transfer;
		struct vgpu_submit submit;
		struct vgpu_wait wait;
		struct capture_memory memory;
		struct capture_check check;
		struct capture_end end;
	} u;
	const uint8_t *data; /* MEMORY: its bytes; SUBMIT: its payload */
	uint64_t data_size;
};

struct capture_reader {
	const uint8_t *bytes;
	uint64_t len;
	uint64_t pos;
	uint32_t records;
	uint32_t checks;
	bool ended;
	const char *error; /* why the capture was refused, with error_pos */
	uint64_t error_pos;
};

/* Check the header.  Returns 0, or -1 with r->error set. */
int capture_reader_init(struct capture_reader *r, const void *bytes, uint64_t len);

/*
 * The next record: 1 with *call filled, 0 once END has been read (and the
 * capture ends there), -1 with r->error set for a capture that breaks the
 * format (the reader then stays failed).
 */
int capture_next(struct capture_reader *r, struct capture_call *call);

const char *capture_type_name(uint32_t type);

/* FNV-1a, 64 bits; hash pieces in order starting from CAPTURE_HASH_INIT. */
#define CAPTURE_HASH_INIT 0xcbf29ce484222325ull
uint64_t capture_hash(uint64_t hash, const void *bytes, uint64_t len);

#endif /* VGPU_LIB_CAPTURE_H */
