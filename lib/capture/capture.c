/* SPDX-License-Identifier: MIT */
#include "capture.h"

#include <stddef.h>
#include <string.h>

static const char *const type_names[] = {
	[CAPTURE_CONTEXT_CREATE] = "CONTEXT_CREATE",
	[CAPTURE_RESOURCE_CREATE] = "RESOURCE_CREATE",
	[CAPTURE_RESOURCE_DESTROY] = "RESOURCE_DESTROY",
	[CAPTURE_TRANSFER_TO_HOST] = "TRANSFER_TO_HOST",
	[CAPTURE_TRANSFER_FROM_HOST] = "TRANSFER_FROM_HOST",
	[CAPTURE_SUBMIT] = "SUBMIT",
	[CAPTURE_WAIT] = "WAIT",
	[CAPTURE_MEMORY] = "MEMORY",
	[CAPTURE_CHECK] = "CHECK",
	[CAPTURE_END] = "END",
};

const char *capture_type_name(uint32_t type)
{
	if (type >= sizeof(type_names) / sizeof(type_names[0]) || !type_names[type])
		return "unknown";
	return type_names[type];
}

uint64_t capture_hash(uint64_t hash, const void *bytes, uint64_t len)
{
	const uint8_t *p = bytes;
	uint64_t i;

	for (i = 0; i < len; i++) {
		hash ^= p[i];
		hash *= 0x100000001b3ull;
	}
	return hash;
}

static int refuse(struct capture_reader *r, const char *why, uint64_t pos)
{
	if (!r->error) {
		r->error = why;
		r->error_pos = pos;
	}
	return -1;
}

int capture_reader_init(struct capture_reader *r, const void *bytes, uint64_t len)
{
	struct capture_header h;

	memset(r, 0, sizeof(*r));
	r->bytes = bytes;
	r->len = len;
	if (!bytes || len < sizeof(h))
		return refuse(r, "shorter than the capture header", 0);
	memcpy(&h, bytes, sizeof(h));
	if (h.magic != CAPTURE_MAGIC)
		return refuse(r, "bad magic: not a vgpu capture", 0);
	if (h.version != CAPTURE_VERSION)
		return refuse(r, "unsupported capture version", 4);
	if (h.header_size < sizeof(h) || h.header_size > len || h.reserved)
		return refuse(r, "bad header size or reserved field", 8);
	r->pos = h.header_size;
	return 0;
}

/* The fixed part each type starts with; 0 for an unknown type. */
static uint32_t fixed_size(uint32_t type)
{
	switch (type) {
	case CAPTURE_CONTEXT_CREATE:
		return sizeof(struct vgpu_context_create);
	case CAPTURE_RESOURCE_CREATE:
		return sizeof(struct vgpu_resource_create);
	case CAPTURE_RESOURCE_DESTROY:
		return sizeof(struct vgpu_resource_destroy);
	case CAPTURE_TRANSFER_TO_HOST:
	case CAPTURE_TRANSFER_FROM_HOST:
		return sizeof(struct vgpu_transfer);
	case CAPTURE_SUBMIT:
		return sizeof(struct vgpu_submit);
	case CAPTURE_WAIT:
		return sizeof(struct vgpu_wait);
	case CAPTURE_MEMORY:
		return sizeof(struct capture_memory);
	case CAPTURE_CHECK:
		return sizeof(struct capture_check);
	case CAPTURE_END:
		return sizeof(struct capture_end);
	default:
		return 0;
	}
}

/* The bytes that follow the fixed part, as the fixed part says; false if they cannot fit. */
static bool variable_size(struct capture_call *call, uint64_t *size)
{
	switch (call->type) {
	case CAPTURE_MEMORY:
		*size = call->u.memory.len;
		return call->u.memory.len <= VGPU_MAX_RESOURCE_BYTES;
	case CAPTURE_SUBMIT:
		*size = (uint64_t)call->u.submit.num_handles * 4u + call->u.submit.size;
		return call->u.submit.num_handles <= VGPU_MAX_SUBMIT_HANDLES &&
		       call->u.submit.size <= VGPU_MAX_SUBMIT_BYTES;
	default:
		*size = 0;
		return true;
	}
}

static int check_end(struct capture_reader *r, const struct capture_call *call, uint64_t next)
{
	if (call->u.end.records != r->records || call->u.end.checks != r->checks)
		return refuse(r, "END counts do not match the records before it", call->pos);
	if (next != r->len)
		return refuse(r, "bytes after the END record", next);
	r->ended = true;
	r->pos = next;
	return 0;
}

int capture_next(struct capture_reader *r, struct capture_call *call)
{
	struct capture_record_head head;
	const uint8_t *body;
	uint64_t pos = r->pos, var;
	uint32_t fixed;

	if (r->error)
		return -1;
	if (r->ended)
		return 0;
	if (pos == r->len)
		return refuse(r, "truncated: no END record (the recording did not finish)", pos);
	if (r->len - pos < sizeof(head))
		return refuse(r, "truncated record head", pos);
	memcpy(&head, r->bytes + pos, sizeof(head));
	if (head.size > r->len - pos - sizeof(head))
		return refuse(r, "truncated record: its size runs past the end", pos);
	fixed = fixed_size(head.type);
	if (!fixed)
		return refuse(r, "unknown record type", pos);
	if (head.size < fixed)
		return refuse(r, "record shorter than its type's fixed part", pos);

	memset(call, 0, sizeof(*call));
	call->type = head.type;
	call->pos = pos;
	call->index = r->records + 1u;
	body = r->bytes + pos + sizeof(head);
	memcpy(&call->u, body, fixed);
	if (!variable_size(call, &var) || head.size - fixed != var)
		return refuse(r, "record size does not match its contents", pos);
	call->data = body + fixed;
	call->data_size = var;

	if (head.type == CAPTURE_END)
		return check_end(r, call, pos + sizeof(head) + head.size);
	r->records++;
	if (head.type == CAPTURE_CHECK)
		r->checks++;
	r->pos = pos + sizeof(head) + head.size;
	return 1;
}
