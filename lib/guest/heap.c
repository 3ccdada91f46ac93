/* SPDX-License-Identifier: MIT */
#include "heap.h"

#include <stdbool.h>
#include <string.h>

#define HEADER_BYTES 16u
#define SMALLEST_SHIFT 5u /* 32-byte blocks */
#define LARGEST_SHIFT 11u /* 2 KiB blocks */
#define CLASSES (LARGEST_SHIFT - SMALLEST_SHIFT + 1u)
#define MAGIC_SMALL 0x5EA11u
#define MAGIC_LARGE 0x1A26Eu
#define MAGIC_FREE 0xF4EEu

/* Precedes every block; keeps the caller's memory 16-byte aligned on 32 and 64-bit guests. */
struct block_header {
	uint32_t magic;
	uint32_t units; /* small: the class's shift; large: pages */
	union {
		struct block_header *next_free;
		uint64_t pad;
	};
};
_Static_assert(sizeof(struct block_header) == HEADER_BYTES, "header size");

static struct block_header *free_lists[CLASSES];
static uint32_t live;

static uint32_t shift_for(size_t total)
{
	uint32_t shift = SMALLEST_SHIFT;

	while (((size_t)1 << shift) < total)
		shift++;
	return shift;
}

/* Carve one fresh page into blocks of size 1 << shift. */
static bool refill(uint32_t shift)
{
	uint8_t *page = heap_pages(1);
	size_t size = (size_t)1 << shift;

	if (!page)
		return false;
	for (size_t offset = 0; offset + size <= HEAP_PAGE_SIZE; offset += size) {
		struct block_header *b = (struct block_header *)(page + offset);

		b->magic = MAGIC_FREE;
		b->units = shift;
		b->next_free = free_lists[shift - SMALLEST_SHIFT];
		free_lists[shift - SMALLEST_SHIFT] = b;
	}
	return true;
}

static struct block_header *alloc_small(uint32_t shift)
{
	struct block_header **list = &free_lists[shift - SMALLEST_SHIFT];
	struct block_header *b;

	if (!*list && !refill(shift))
		return NULL;
	b = *list;
	*list = b->next_free;
	b->magic = MAGIC_SMALL;
	return b;
}

static struct block_header *alloc_large(size_t total)
{
	size_t pages = (total + HEAP_PAGE_SIZE - 1) / HEAP_PAGE_SIZE;
	struct block_header *b = heap_pages(pages);

	if (!b)
		return NULL;
	b->magic = MAGIC_LARGE;
	b->units = (uint32_t)pages;
	return b;
}

void *heap_alloc(size_t size)
{
	size_t total = (size ? size : 1) + HEADER_BYTES;
	struct block_header *b;

	if (total < size || total / HEAP_PAGE_SIZE >= UINT32_MAX)
		return NULL;
	b = total <= ((size_t)1 << LARGEST_SHIFT) ? alloc_small(shift_for(total))
						  : alloc_large(total);
	if (!b)
		return NULL;
	b->next_free = NULL;
	live++;
	memset(b + 1, 0, size);
	return b + 1;
}

void heap_free(void *ptr)
{
	struct block_header *b;

	if (!ptr)
		return;
	if ((uintptr_t)ptr % HEADER_BYTES)
		heap_misuse("heap_free of a pointer that is not a heap block");
	b = (struct block_header *)ptr - 1;
	if (b->magic == MAGIC_LARGE) {
		b->magic = MAGIC_FREE;
		heap_pages_free(b, b->units);
	} else if (b->magic == MAGIC_SMALL && b->units >= SMALLEST_SHIFT &&
		   b->units <= LARGEST_SHIFT) {
		b->magic = MAGIC_FREE;
		b->next_free = free_lists[b->units - SMALLEST_SHIFT];
		free_lists[b->units - SMALLEST_SHIFT] = b;
	} else {
		heap_misuse(b->magic == MAGIC_FREE
				    ? "heap_free of a block freed already"
				    : "heap_free of a pointer the heap never gave out");
	}
	live--;
}

uint32_t heap_live_allocations(void)
{
	return live;
}
