/* SPDX-License-Identifier: MIT */
/*
 * Writes what one connection does into a replay capture.
 *
 * Data reaches the device through resource memory in two ways: transfer
 * calls, and (Mesa's virgl driver does this) transfer commands inside the
 * command stream.  The recorder parses no stream: it watches memory.  It
 * keeps, per 256-byte block of every backing, the hash of what the replay
 * will hold there.  Before a call hands resources to the device, blocks
 * that changed are written out (MEMORY); once a WAIT shows that all the
 * work that used a resource is done, blocks that changed are the device's
 * output, and their hash is written out (CHECK).
 *
 * The recorder learns where each backing lies in guest memory once, right
 * after RESOURCE_CREATE, by mapping and unmapping the fresh resource
 * itself (the client cannot have mapped it yet, so it sees no difference).
 */
#include "recorder.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"

#define PAGE_BYTES 4096u
#define BLOCK_BYTES 256u
#define BLOCKS_PER_PAGE (PAGE_BYTES / BLOCK_BYTES)
/* The longest MEMORY record; longer runs of changed blocks take several. */
#define RUN_BLOCKS 256u

struct rec_resource {
	struct rec_resource *next;
	uint32_t handle;
	uint32_t nblocks;
	const uint8_t **pages; /* each page of the backing, in the sim's view of guest memory */
	uint64_t *known;       /* per block: the hash of what the replay holds there */
	uint64_t work_signal;  /* the latest submit or transfer that used it */
	bool unchecked;        /* work since its output was last checked */
};

struct recorder {
	struct vgpu_file *file;
	struct user_maps *maps;
	struct guest_mem *mem;
	FILE *out;
	char *path;
	bool stopped;
	uint32_t records;
	uint32_t checks;
	uint64_t zero_block_hash; /* backings start zeroed, here and in the replay */
	struct rec_resource *resources;
	uint8_t run[RUN_BLOCKS * BLOCK_BYTES]; /* the MEMORY record being gathered */
};

/* Connections that created a context so far, in this process. */
static atomic_uint captures_started;

struct recorder *recorder_create(struct vgpu_file *file, struct user_maps *maps,
				 struct guest_mem *mem)
{
	static const uint8_t zeros[BLOCK_BYTES];
	const char *path = getenv(RECORDER_ENV);
	struct recorder *rec;

	if (!file || !maps || !mem || !path || !path[0])
		return NULL;
	rec = calloc(1, sizeof(*rec));
	if (!rec) {
		fprintf(stderr, "vgpu-sim: no memory to record this connection\n");
		return NULL;
	}
	rec->file = file;
	rec->maps = maps;
	rec->mem = mem;
	rec->zero_block_hash = capture_hash(CAPTURE_HASH_INIT, zeros, sizeof(zeros));
	return rec;
}

static void stop(struct recorder *rec, const char *why)
{
	if (rec->stopped)
		return;
	rec->stopped = true;
	fprintf(stderr, "vgpu-sim: recording %s stopped: %s (the capture stays incomplete)\n",
		rec->path ? rec->path : "(not started)", why);
	if (rec->out)
		fclose(rec->out);
	rec->out = NULL;
}

static void put(struct recorder *rec, const void *bytes, uint64_t len)
{
	if (rec->out && len && fwrite(bytes, 1, len, rec->out) != len)
		stop(rec, "cannot write the capture file");
}

static void put_record(struct recorder *rec, uint32_t type, const void *fixed, uint32_t size,
		       const void *data, uint32_t data_size)
{
	struct capture_record_head head = { .type = type, .size = size + data_size };

	put(rec, &head, sizeof(head));
	put(rec, fixed, size);
	put(rec, data, data_size);
	if (type != CAPTURE_END)
		rec->records++;
	if (type == CAPTURE_CHECK)
		rec->checks++;
}

static void start_capture(struct recorder *rec)
{
	const struct capture_header header = { .magic = CAPTURE_MAGIC,
					       .version = CAPTURE_VERSION,
					       .header_size = sizeof(header) };
	const char *base = getenv(RECORDER_ENV);
	unsigned int n = atomic_fetch_add(&captures_started, 1u) + 1u;
	size_t len = strlen(base) + 16;

	rec->path = malloc(len);
	if (!rec->path) {
		stop(rec, "no memory");
		return;
	}
	if (n == 1)
		snprintf(rec->path, len, "%s", base);
	else
		snprintf(rec->path, len, "%s.%u", base, n);
	rec->out = fopen(rec->path, "wb");
	if (!rec->out) {
		stop(rec, "cannot create the capture file");
		return;
	}
	fprintf(stderr, "vgpu-sim: recording a connection to %s\n", rec->path);
	put(rec, &header, sizeof(header));
}

static struct rec_resource *find_resource(struct recorder *rec, uint32_t handle)
{
	struct rec_resource *res;

	for (res = rec->resources; res; res = res->next)
		if (res->handle == handle)
			return res;
	return NULL;
}

/* Each page of the backing made of `n` ranges of the guest memory file. */
static int place_pages(struct recorder *rec, struct rec_resource *res, uint64_t size,
		       const struct vgpu_sock_extent *ranges, uint32_t n)
{
	const uint8_t *base = guest_mem_base_va(rec->mem);
	uint64_t npages = size / PAGE_BYTES, k = 0, off;
	uint32_t i;

	if (size == 0 || size % PAGE_BYTES || npages > UINT32_MAX / BLOCKS_PER_PAGE)
		return -1;
	res->pages = calloc(npages, sizeof(*res->pages));
	res->known = calloc(npages * BLOCKS_PER_PAGE, sizeof(*res->known));
	if (!res->pages || !res->known)
		return -1;
	for (i = 0; i < n; i++) {
		if (ranges[i].len % PAGE_BYTES)
			return -1;
		for (off = 0; off < ranges[i].len && k < npages; off += PAGE_BYTES)
			res->pages[k++] = base + ranges[i].offset + off;
	}
	if (k != npages)
		return -1;
	res->nblocks = (uint32_t)(npages * BLOCKS_PER_PAGE);
	for (k = 0; k < res->nblocks; k++)
		res->known[k] = rec->zero_block_hash;
	return 0;
}

/* The call the client could have made itself: map, look the pieces up, unmap. */
static int learn_backing(struct recorder *rec, struct rec_resource *res)
{
	struct vgpu_resource_map m = { .handle = res->handle };
	struct vgpu_ioctl_bufs b = {
		.in = &m, .in_size = sizeof(m), .out = &m, .out_size = sizeof(m)
	};
	struct vgpu_sock_extent *ranges = NULL;
	struct user_map_kind kind;
	uint32_t n = 0;
	int ret;

	if (vgpu_file_ioctl(rec->file, VGPU_IOCTL_RESOURCE_MAP, &b) != VGPU_OK)
		return -1;
	ret = user_maps_lookup(rec->maps, m.address, &ranges, &n, &kind);
	/* Only guest memory can be watched: the recorder knows no other file. */
	if (ret == 0 && kind.file != VGPU_SOCK_FILE_GUEST_MEMORY)
		ret = -1;
	if (ret == 0)
		ret = place_pages(rec, res, m.size, ranges, n);
	free(ranges);
	m = (struct vgpu_resource_map){ .handle = res->handle };
	if (vgpu_file_ioctl(rec->file, VGPU_IOCTL_RESOURCE_UNMAP, &b) != VGPU_OK)
		ret = -1;
	return ret;
}

static void free_resource(struct rec_resource *res)
{
	free(res->pages);
	free(res->known);
	free(res);
}

static void forget_resource(struct recorder *rec, struct rec_resource *res)
{
	struct rec_resource **link = &rec->resources;

	while (*link != res)
		link = &(*link)->next;
	*link = res->next;
	free_resource(res);
}

static const uint8_t *block_at(const struct rec_resource *res, uint32_t block)
{
	return res->pages[block / BLOCKS_PER_PAGE] + (block % BLOCKS_PER_PAGE) * BLOCK_BYTES;
}

static void put_memory(struct recorder *rec, const struct rec_resource *res, uint32_t first,
		       uint32_t count)
{
	const struct capture_memory m = { .handle = res->handle,
					  .offset = (uint64_t)first * BLOCK_BYTES,
					  .len = (uint64_t)count * BLOCK_BYTES };

	put_record(rec, CAPTURE_MEMORY, &m, sizeof(m), rec->run, count * BLOCK_BYTES);
}

/*
 * What the client wrote since the replay last heard: runs of changed
 * blocks, each copied once so that the bytes written are the bytes hashed.
 */
static void snapshot(struct recorder *rec, struct rec_resource *res)
{
	uint32_t i, first = 0, count = 0;

	for (i = 0; i < res->nblocks; i++) {
		uint8_t *copy = rec->run + (size_t)count * BLOCK_BYTES;
		uint64_t hash;

		memcpy(copy, block_at(res, i), BLOCK_BYTES);
		hash = capture_hash(CAPTURE_HASH_INIT, copy, BLOCK_BYTES);
		if (hash != res->known[i]) {
			res->known[i] = hash;
			if (count == 0)
				first = i;
			if (++count < RUN_BLOCKS)
				continue;
		}
		if (count)
			put_memory(rec, res, first, count);
		count = 0;
	}
	if (count)
		put_memory(rec, res, first, count);
}

static void put_check(struct recorder *rec, const struct rec_resource *res, uint32_t first,
		      uint32_t count, uint64_t hash)
{
	const struct capture_check c = { .handle = res->handle,
					 .signal = res->work_signal,
					 .offset = (uint64_t)first * BLOCK_BYTES,
					 .len = (uint64_t)count * BLOCK_BYTES,
					 .hash = hash };

	put_record(rec, CAPTURE_CHECK, &c, sizeof(c), NULL, 0);
}

/* The device is done with the resource: what changed is its output. */
static void check(struct recorder *rec, struct rec_resource *res)
{
	uint8_t copy[BLOCK_BYTES];
	uint32_t i, first = 0, count = 0;
	uint64_t run_hash = CAPTURE_HASH_INIT;

	for (i = 0; i < res->nblocks; i++) {
		uint64_t hash;

		memcpy(copy, block_at(res, i), BLOCK_BYTES);
		hash = capture_hash(CAPTURE_HASH_INIT, copy, BLOCK_BYTES);
		if (hash != res->known[i]) {
			res->known[i] = hash;
			if (count++ == 0)
				first = i;
			run_hash = capture_hash(run_hash, copy, BLOCK_BYTES);
			continue;
		}
		if (count)
			put_check(rec, res, first, count, run_hash);
		count = 0;
		run_hash = CAPTURE_HASH_INIT;
	}
	if (count)
		put_check(rec, res, first, count, run_hash);
	res->unchecked = false;
}

static void used_by_device(struct rec_resource *res, uint64_t signal)
{
	res->work_signal = signal;
	res->unchecked = true;
}

/* The handles a SUBMIT names: its payload starts with them. */
static uint32_t submit_handle(const struct vgpu_ioctl_bufs *b, uint32_t i)
{
	uint32_t handle;

	memcpy(&handle, (const uint8_t *)b->payload + 4u * (size_t)i, sizeof(handle));
	return handle;
}

static bool submit_handles_ok(const struct vgpu_ioctl_bufs *b, const struct vgpu_submit *s)
{
	return b->in_size == sizeof(*s) && b->payload &&
	       (uint64_t)s->num_handles * 4u <= b->payload_size;
}

/* Memory the call is about to hand to the device. */
static void before_call(struct recorder *rec, uint32_t code, const struct vgpu_ioctl_bufs *b)
{
	struct rec_resource *res;
	uint32_t i;

	if (code == VGPU_IOCTL_TRANSFER_TO_HOST || code == VGPU_IOCTL_TRANSFER_FROM_HOST) {
		const struct vgpu_transfer *t = b->in;

		res = b->in_size == sizeof(*t) ? find_resource(rec, t->handle) : NULL;
		if (res)
			snapshot(rec, res);
	} else if (code == VGPU_IOCTL_SUBMIT) {
		const struct vgpu_submit *s = b->in;

		for (i = 0; submit_handles_ok(b, s) && i < s->num_handles; i++) {
			res = find_resource(rec, submit_handle(b, i));
			if (res)
				snapshot(rec, res);
		}
	}
}

static void record_resource_create(struct recorder *rec, const struct vgpu_resource_create *c)
{
	struct rec_resource *res = calloc(1, sizeof(*res));

	if (!res) {
		stop(rec, "no memory");
		return;
	}
	res->handle = c->handle;
	if (learn_backing(rec, res) != 0) {
		free_resource(res);
		stop(rec, "cannot find a resource's backing in guest memory");
		return;
	}
	res->next = rec->resources;
	rec->resources = res;
	put_record(rec, CAPTURE_RESOURCE_CREATE, c, sizeof(*c), NULL, 0);
}

static void record_resource_destroy(struct recorder *rec, const struct vgpu_resource_destroy *d)
{
	struct rec_resource *res = find_resource(rec, d->handle);

	if (res)
		forget_resource(rec, res);
	put_record(rec, CAPTURE_RESOURCE_DESTROY, d, sizeof(*d), NULL, 0);
}

static void record_transfer(struct recorder *rec, uint32_t type, const struct vgpu_transfer *t)
{
	struct rec_resource *res = find_resource(rec, t->handle);

	if (res)
		used_by_device(res, t->signal);
	put_record(rec, type, t, sizeof(*t), NULL, 0);
}

static void record_submit(struct recorder *rec, const struct vgpu_ioctl_bufs *b)
{
	const struct vgpu_submit *s = b->in;
	struct rec_resource *res;
	uint32_t i;

	for (i = 0; submit_handles_ok(b, s) && i < s->num_handles; i++) {
		res = find_resource(rec, submit_handle(b, i));
		if (res)
			used_by_device(res, s->signal);
	}
	put_record(rec, CAPTURE_SUBMIT, s, sizeof(*s), b->payload, b->payload_size);
}

/* The WAIT, then the output of every resource whose work it shows finished. */
static void record_wait(struct recorder *rec, const struct vgpu_wait *w)
{
	struct rec_resource *res;

	put_record(rec, CAPTURE_WAIT, w, sizeof(*w), NULL, 0);
	for (res = rec->resources; res; res = res->next)
		if (res->unchecked && res->work_signal <= w->completed)
			check(rec, res);
}

/* The call's struct size: the core checked it, the recorder does not rely on that. */
static uint32_t struct_size(uint32_t code)
{
	switch (code) {
	case VGPU_IOCTL_CONTEXT_CREATE:
		return sizeof(struct vgpu_context_create);
	case VGPU_IOCTL_RESOURCE_CREATE:
		return sizeof(struct vgpu_resource_create);
	case VGPU_IOCTL_RESOURCE_DESTROY:
		return sizeof(struct vgpu_resource_destroy);
	case VGPU_IOCTL_TRANSFER_TO_HOST:
	case VGPU_IOCTL_TRANSFER_FROM_HOST:
		return sizeof(struct vgpu_transfer);
	case VGPU_IOCTL_SUBMIT:
		return sizeof(struct vgpu_submit);
	case VGPU_IOCTL_WAIT:
		return sizeof(struct vgpu_wait);
	default:
		return 0;
	}
}

static void after_call(struct recorder *rec, uint32_t code, const struct vgpu_ioctl_bufs *b)
{
	/* Buffered calls answer in `out`; SUBMIT's struct stays in `in`. */
	const void *fixed = code == VGPU_IOCTL_SUBMIT ? b->in : b->out;

	if (code == VGPU_IOCTL_CONTEXT_CREATE)
		start_capture(rec);
	if (!rec->out || !fixed)
		return;
	switch (code) {
	case VGPU_IOCTL_CONTEXT_CREATE:
		put_record(rec, CAPTURE_CONTEXT_CREATE, fixed, sizeof(struct vgpu_context_create),
			   NULL, 0);
		break;
	case VGPU_IOCTL_RESOURCE_CREATE:
		record_resource_create(rec, fixed);
		break;
	case VGPU_IOCTL_RESOURCE_DESTROY:
		record_resource_destroy(rec, fixed);
		break;
	case VGPU_IOCTL_TRANSFER_TO_HOST:
		record_transfer(rec, CAPTURE_TRANSFER_TO_HOST, fixed);
		break;
	case VGPU_IOCTL_TRANSFER_FROM_HOST:
		record_transfer(rec, CAPTURE_TRANSFER_FROM_HOST, fixed);
		break;
	case VGPU_IOCTL_SUBMIT:
		if (submit_handles_ok(b, fixed))
			record_submit(rec, b);
		break;
	case VGPU_IOCTL_WAIT:
		record_wait(rec, fixed);
		break;
	}
}

int recorder_ioctl(struct recorder *rec, struct vgpu_file *file, uint32_t code,
		   struct vgpu_ioctl_bufs *bufs)
{
	bool recording;
	int status;

	recording = rec && !rec->stopped && struct_size(code) &&
		    bufs->in_size == struct_size(code) && bufs->in;
	if (recording && rec->out)
		before_call(rec, code, bufs);
	status = vgpu_file_ioctl(file, code, bufs);
	if (recording && status == VGPU_OK)
		after_call(rec, code, bufs);
	return status;
}

void recorder_destroy(struct recorder *rec)
{
	if (!rec)
		return;
	if (rec->out) {
		struct capture_end end = { .records = rec->records, .checks = rec->checks };

		put_record(rec, CAPTURE_END, &end, sizeof(end), NULL, 0);
	}
	if (rec->out && fclose(rec->out) != 0) {
		rec->out = NULL;
		stop(rec, "cannot finish the capture file");
	}
	rec->out = NULL;
	while (rec->resources)
		forget_resource(rec, rec->resources);
	free(rec->path);
	free(rec);
}
