/* SPDX-License-Identifier: MIT */
/*
 * Pool, tracked per block: tag, type, size and the caller that allocated
 * it.  Fresh driver pool is filled with a pattern, not zeros, so reading
 * it uninitialised shows; freed blocks are poisoned and held back a while,
 * so a write after free is caught when they leave quarantine.  At unload,
 * every block still held is a leak (nt_pool_report).
 */
#include "internal.h"

#define BLOCK_MAGIC 0x6c6f6f50u /* "Pool" */
#define FREED_MAGIC 0x65657246u /* "Free" */
#define FRESH_FILL 0xCDu
#define FREED_FILL 0xDDu
#define QUARANTINE 64u
#define TAG_CHARS(t) (char)(t), (char)((t) >> 8), (char)((t) >> 16), (char)((t) >> 24)

struct pool_block {
	uint32_t magic;
	ULONG tag;
	POOL_TYPE type;
	bool harness;
	SIZE_T size;
	const void *caller;
	struct pool_block *prev, *next;
};
_Static_assert(sizeof(struct pool_block) % 16 == 0, "pool body alignment");

static struct pool_block *live;
static struct pool_block *quarantine[QUARANTINE];
static unsigned quarantine_next;

static void *body_of(struct pool_block *b)
{
	return b + 1;
}

static struct pool_block *block_of(const void *p)
{
	return (struct pool_block *)p - 1;
}

static bool is_nonpaged(POOL_TYPE type)
{
	return (type & 1) == 0; /* PagedPool types are the odd ones */
}

static void *allocate(POOL_TYPE type, SIZE_T size, ULONG tag, bool harness, const void *caller)
{
	struct pool_block *b;

	if (size > ((SIZE_T)1 << 32))
		return NULL;
	b = heap_alloc(sizeof(*b) + (size ? size : 1));
	if (!b)
		return NULL;
	b->magic = BLOCK_MAGIC;
	b->tag = tag;
	b->type = type;
	b->harness = harness;
	b->size = size;
	b->caller = caller;
	b->next = live;
	if (live)
		live->prev = b;
	live = b;
	if (!harness)
		memset(body_of(b), FRESH_FILL, size);
	return body_of(b);
}

static void check_quarantined(struct pool_block *b)
{
	const uint8_t *p = body_of(b);
	SIZE_T i;

	for (i = 0; i < b->size; i++)
		if (p[i] != FREED_FILL)
			nt_violation("ExFreePoolWithTag", "pool written after it was freed",
				     b->caller,
				     "block of %llu bytes, tag '%c%c%c%c': byte %llu changed",
				     (unsigned long long)b->size, TAG_CHARS(b->tag),
				     (unsigned long long)i);
	heap_free(b);
}

static void release(void *p, ULONG tag, bool check_tag, bool harness, const char *routine,
		    const void *caller)
{
	struct pool_block *b;

	if (!p)
		nt_violation(routine, "freeing NULL", caller, "ExFreePool(NULL) bugchecks");
	b = block_of(p);
	if (b->magic == FREED_MAGIC)
		nt_violation(routine, "double free", caller, "block %p was already freed", p);
	if (b->magic != BLOCK_MAGIC)
		nt_violation(routine, "not a pool block", caller, "%p was not allocated from pool",
			     p);
	if (b->harness != harness)
		nt_violation(routine, "freeing pool the caller does not own", caller,
			     "block %p (tag '%c%c%c%c') belongs to the %s", p, TAG_CHARS(b->tag),
			     b->harness ? "I/O manager" : "driver");
	if (check_tag && b->tag != tag)
		nt_violation(routine, "tag mismatch", caller,
			     "block tagged '%c%c%c%c' freed as '%c%c%c%c'", TAG_CHARS(b->tag),
			     TAG_CHARS(tag));
	if (b->prev)
		b->prev->next = b->next;
	else
		live = b->next;
	if (b->next)
		b->next->prev = b->prev;
	b->magic = FREED_MAGIC;
	b->caller = caller;
	memset(body_of(b), FREED_FILL, b->size);
	if (quarantine[quarantine_next])
		check_quarantined(quarantine[quarantine_next]);
	quarantine[quarantine_next] = b;
	quarantine_next = (quarantine_next + 1) % QUARANTINE;
}

/* learn.microsoft.com: wdm/nf-wdm-exallocatepoolwithtag */
PVOID ExAllocatePoolWithTag(POOL_TYPE type, SIZE_T size, ULONG tag)
{
	ENTER("ExAllocatePoolWithTag", is_nonpaged(type) ? DISPATCH_LEVEL : APC_LEVEL);
	if (tag == 0)
		nt_violation("ExAllocatePoolWithTag", "a driver tags its pool", CALLER(),
			     "tag 0x%lx", (unsigned long)tag);
	if (nt_fault_now("ExAllocatePoolWithTag", CALLER()))
		return NULL;
	return allocate(type, size, tag, false, CALLER());
}

/* learn.microsoft.com: wdm/nf-wdm-exfreepoolwithtag */
VOID ExFreePoolWithTag(PVOID p, ULONG tag)
{
	ENTER("ExFreePoolWithTag", DISPATCH_LEVEL);
	release(p, tag, true, false, "ExFreePoolWithTag", CALLER());
}

/* learn.microsoft.com: wdm/nf-wdm-exfreepool */
VOID ExFreePool(PVOID p)
{
	ENTER("ExFreePool", DISPATCH_LEVEL);
	release(p, 0, false, false, "ExFreePool", CALLER());
}

void *nt_pool_alloc_harness(POOL_TYPE type, SIZE_T size, ULONG tag)
{
	void *p = allocate(type, size, tag, true, CALLER());

	if (!p)
		plat_exit(5);
	return p;
}

void nt_pool_free_harness(void *p)
{
	release(p, 0, false, true, "harness pool", CALLER());
}

void nt_pool_free_any(void *p, const char *routine, const void *caller)
{
	release(p, 0, false, p && block_of(p)->harness, routine, caller);
}

/* Pool the driver gets from another routine (MmAllocatePagesForMdlEx's MDL, a name...). */
void *nt_pool_alloc_for_driver(POOL_TYPE type, SIZE_T size, ULONG tag, const void *caller)
{
	if (nt_fault_now("pool for the driver", caller))
		return NULL;
	return allocate(type, size, tag, false, caller);
}

unsigned nt_pool_report(void)
{
	struct pool_block *b;
	unsigned n = 0;
	char where[160];

	for (b = live; b; b = b->next) {
		if (b->harness)
			continue;
		nt_describe_address(b->caller, where, sizeof(where));
		con_printf("#   pool leak: %llu bytes, tag '%c%c%c%c', allocated by %s\n",
			   (unsigned long long)b->size, TAG_CHARS(b->tag), where);
		n++;
	}
	return n;
}
