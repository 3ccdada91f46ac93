/* SPDX-License-Identifier: MIT */
/*
 * The harness's own heap: power-of-two blocks up to 2 KiB carved from
 * pages, larger requests as whole pages.  A header before each block says
 * which, so kfree needs no size and catches pointers it never gave out.
 */
#include "internal.h"

#define HEADER_BYTES 16u
#define SMALLEST_SHIFT 5u /* 32-byte blocks */
#define LARGEST_SHIFT 11u /* 2 KiB blocks */
#define CLASSES (LARGEST_SHIFT - SMALLEST_SHIFT + 1u)
#define MAGIC_SMALL 0x5EA11u
#define MAGIC_LARGE 0x1A26Eu
#define MAGIC_FREE 0xF4EEu

/* Precedes every block; keeps the caller's memory 16-byte aligned. */
struct block_header {
	uint32_t magic;
	uint32_t units; /* small: the class's shift; large: pages */
	struct block_header *next_free;
};
_Static_assert(sizeof(struct block_header) == HEADER_BYTES, "header size");

static struct block_header *free_lists[CLASSES];

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
	uint8_t *page = page_alloc(1);
	size_t size = (size_t)1 << shift;

	if (!page)
		return false;
	for (size_t offset = 0; offset + size <= PLAT_PAGE_SIZE; offset += size) {
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
	size_t pages = (total + PLAT_PAGE_SIZE - 1) / PLAT_PAGE_SIZE;
	struct block_header *b = page_alloc(pages);

	if (!b)
		return NULL;
	b->magic = MAGIC_LARGE;
	b->units = (uint32_t)pages;
	return b;
}

void *kzalloc(size_t size)
{
	size_t total = (size ? size : 1) + HEADER_BYTES;
	struct block_header *b;

	if (total < size || total / PLAT_PAGE_SIZE >= UINT32_MAX)
		return NULL;
	b = total <= ((size_t)1 << LARGEST_SHIFT) ? alloc_small(shift_for(total))
						  : alloc_large(total);
	if (!b)
		return NULL;
	b->next_free = NULL;
	memset(b + 1, 0, size);
	return b + 1;
}

void kfree(void *p)
{
	struct block_header *b;

	if (!p)
		return;
	b = (struct block_header *)p - 1;
	if ((uintptr_t)p % HEADER_BYTES)
		plat_panic("kfree(%p): not a heap block", p);
	if (b->magic == MAGIC_LARGE) {
		b->magic = MAGIC_FREE;
		page_free(b, b->units);
	} else if (b->magic == MAGIC_SMALL && b->units >= SMALLEST_SHIFT &&
		   b->units <= LARGEST_SHIFT) {
		b->magic = MAGIC_FREE;
		b->next_free = free_lists[b->units - SMALLEST_SHIFT];
		free_lists[b->units - SMALLEST_SHIFT] = b;
	} else {
		plat_panic("kfree(%p): not a live heap block (%s)", p,
			   b->magic == MAGIC_FREE ? "freed already" : "never allocated");
	}
}
