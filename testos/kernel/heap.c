/* SPDX-License-Identifier: MIT */
#include "heap.h"

#include <stdbool.h>
#include <string.h>

#include "machine.h"
#include "pages.h"

#define HEADER_BYTES 16u
#define SMALLEST_CLASS 5u /* 32-byte blocks */
#define LARGEST_CLASS 11u /* 2 KiB blocks */
#define CLASSES (LARGEST_CLASS - SMALLEST_CLASS + 1u)
#define MAGIC_SMALL 0x5EA11u
#define MAGIC_LARGE 0x1A26Eu
#define MAGIC_FREE 0xF4EEu

/* Precedes every block; keeps the caller's memory 16-byte aligned. */
struct block_header {
	uint32_t magic;
	uint32_t units; /* small: class shift; large: pages */
	struct block_header *next_free;
	uint32_t pad;
};
_Static_assert(sizeof(struct block_header) == HEADER_BYTES, "header size");

static struct block_header *free_lists[CLASSES];
static uint32_t live;

static uint32_t class_for(size_t total)
{
	uint32_t shift = SMALLEST_CLASS;

	while (((size_t)1 << shift) < total)
		shift++;
	return shift;
}

/* Carve one fresh page into blocks of class `shift`. */
static bool refill(uint32_t shift)
{
	uint32_t page = pages_alloc_contiguous(1), offset;
	uint32_t size = 1u << shift;

	if (!page)
		return false;
	for (offset = 0; offset + size <= PAGE_SIZE; offset += size) {
		struct block_header *b = (struct block_header *)(uintptr_t)(page + offset);

		b->magic = MAGIC_FREE;
		b->units = shift;
		b->next_free = free_lists[shift - SMALLEST_CLASS];
		free_lists[shift - SMALLEST_CLASS] = b;
	}
	return true;
}

static struct block_header *alloc_small(uint32_t shift)
{
	struct block_header **list = &free_lists[shift - SMALLEST_CLASS];
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
	uint32_t pages = (uint32_t)((total + PAGE_SIZE - 1) / PAGE_SIZE);
	uint32_t pa = pages_alloc_contiguous(pages);
	struct block_header *b = (struct block_header *)(uintptr_t)pa;

	if (!pa)
		return NULL;
	b->magic = MAGIC_LARGE;
	b->units = pages;
	return b;
}

void *heap_alloc(size_t size)
{
	size_t total = size + HEADER_BYTES;
	struct block_header *b;

	if (size == 0 || total < size || total > PAGES_MAX_RAM)
		return NULL;
	b = total <= (1u << LARGEST_CLASS) ? alloc_small(class_for(total)) : alloc_large(total);
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
	b = (struct block_header *)ptr - 1;
	if (b->magic == MAGIC_LARGE) {
		b->magic = MAGIC_FREE;
		pages_free((uint32_t)(uintptr_t)b, b->units);
	} else if (b->magic == MAGIC_SMALL && b->units >= SMALLEST_CLASS &&
		   b->units <= LARGEST_CLASS) {
		b->magic = MAGIC_FREE;
		b->next_free = free_lists[b->units - SMALLEST_CLASS];
		free_lists[b->units - SMALLEST_CLASS] = b;
	} else {
		machine_panic("heap_free of a pointer the heap does not own");
	}
	live--;
}

uint32_t heap_live_allocations(void)
{
	return live;
}
