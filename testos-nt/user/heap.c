/* SPDX-License-Identifier: MIT */
/*
 * malloc and friends for the user-mode code in the guest (libvgpu, the
 * scenarios' programs): memory in the calling process's own user address
 * range, so that every buffer handed to DeviceIoControl is a user address
 * of that process, as on Windows, and the I/O manager really probes and
 * locks it.  First fit over one free list per process, blocks split and
 * merged; each process's arena grows by whole chunks of fresh pages.
 */
#include <stddef.h>
#include <stdint.h>

#include "nt.h"
#include "user.h"

#define ALIGN 16u
#define CHUNK_BYTES (1u << 20)
#define BLOCK_MAGIC 0x6b6c4275u /* "uBlk" */
#define MAX_PROCESSES 32u

struct block {
	uint64_t size; /* bytes after the header */
	uint32_t magic;
	uint32_t free;
	struct block *next; /* in address order within the arena, for merging */
};

struct arena {
	struct nt_process *owner;
	struct block *blocks; /* every block, address order */
};

static struct arena arenas[MAX_PROCESSES];

static void forget(struct nt_process *proc);

static struct arena *arena_of(struct nt_process *proc)
{
	static bool hooked;
	unsigned i;

	if (!hooked) {
		nt_process_set_exit_hook(forget);
		hooked = true;
	}
	for (i = 0; i < MAX_PROCESSES; i++)
		if (arenas[i].owner == proc)
			return &arenas[i];
	for (i = 0; i < MAX_PROCESSES; i++) {
		if (!arenas[i].owner) {
			arenas[i].owner = proc;
			arenas[i].blocks = NULL;
			return &arenas[i];
		}
	}
	return NULL;
}

/* The process is gone, and its pages with its address space. */
static void forget(struct nt_process *proc)
{
	unsigned i;

	for (i = 0; i < MAX_PROCESSES; i++) {
		if (arenas[i].owner == proc) {
			arenas[i].owner = NULL;
			arenas[i].blocks = NULL;
		}
	}
}

static uint64_t round_up(uint64_t n, uint64_t to)
{
	return (n + to - 1) / to * to;
}

/* A fresh chunk (at least `need` usable bytes) appended as one free block. */
static struct block *grow(struct arena *a, uint64_t need)
{
	uint64_t bytes = round_up(need + sizeof(struct block), CHUNK_BYTES);
	uint64_t va = nt_user_alloc(a->owner, bytes);
	struct block *b, **tail;

	if (!va)
		return NULL;
	b = (struct block *)(uintptr_t)va;
	b->size = bytes - sizeof(*b);
	b->magic = BLOCK_MAGIC;
	b->free = 1;
	b->next = NULL;
	for (tail = &a->blocks; *tail; tail = &(*tail)->next)
		;
	*tail = b;
	return b;
}

static void split(struct block *b, uint64_t size)
{
	struct block *rest;

	if (b->size < size + sizeof(*rest) + ALIGN)
		return;
	rest = (struct block *)((char *)(b + 1) + size);
	rest->size = b->size - size - sizeof(*rest);
	rest->magic = BLOCK_MAGIC;
	rest->free = 1;
	rest->next = b->next;
	b->next = rest;
	b->size = size;
}

static bool adjacent(const struct block *a, const struct block *b)
{
	return (const char *)(a + 1) + a->size == (const char *)b;
}

void *malloc(size_t size)
{
	struct arena *a = arena_of(nt_current_process());
	uint64_t want = round_up(size ? size : 1, ALIGN);
	struct block *b;

	if (!a || size > (1ull << 32))
		return NULL;
	for (b = a->blocks; b; b = b->next)
		if (b->free && b->size >= want)
			break;
	if (!b)
		b = grow(a, want);
	if (!b)
		return NULL;
	split(b, want);
	b->free = 0;
	return b + 1;
}

void free(void *p)
{
	struct arena *a;
	struct block *b, *prev = NULL, *cur;

	if (!p)
		return;
	b = (struct block *)p - 1;
	a = arena_of(nt_current_process());
	if (b->magic != BLOCK_MAGIC || b->free || !a)
		nt_violation("free", "user heap", __builtin_return_address(0),
			     "%p is not a live block of this process's heap", p);
	b->free = 1;
	for (cur = a->blocks; cur && cur != b; cur = cur->next)
		prev = cur;
	if (b->next && b->next->free && adjacent(b, b->next)) {
		b->size += sizeof(*b) + b->next->size;
		b->next = b->next->next;
	}
	if (prev && prev->free && adjacent(prev, b)) {
		prev->size += sizeof(*b) + b->size;
		prev->next = b->next;
	}
}

void *calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	p = malloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void *realloc(void *p, size_t size)
{
	struct block *b;
	void *q;

	if (!p)
		return malloc(size);
	b = (struct block *)p - 1;
	if (b->magic != BLOCK_MAGIC || b->free)
		nt_violation("realloc", "user heap", __builtin_return_address(0),
			     "%p is not a live block of this process's heap", p);
	if (b->size >= size)
		return p;
	q = malloc(size);
	if (!q)
		return NULL;
	memcpy(q, p, b->size);
	free(p);
	return q;
}
