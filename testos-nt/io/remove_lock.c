/* SPDX-License-Identifier: MIT */
/*
 * Remove locks, with the tag tracking of Windows' checked form: every
 * acquisition is remembered with its tag, a release must name a tag that
 * is held, and IoReleaseRemoveLockAndWait waits for the count to drain,
 * after which every acquisition fails with STATUS_DELETE_PENDING.  The
 * lock itself (the driver's memory) holds only the common block; the
 * tracking sits in the I/O manager's memory, found by the lock's address.
 */
#include "io_internal.h"

struct held_tag {
	PVOID tag;
	const void *acquired_by;
	struct held_tag *next;
};

struct lock_track {
	PIO_REMOVE_LOCK lock;
	ULONG high_watermark;
	bool drained; /* IoReleaseRemoveLockAndWait returned */
	unsigned held;
	struct held_tag *tags;
	struct lock_track *next;
};

static struct lock_track *tracks;

static struct lock_track *track_of(PIO_REMOVE_LOCK lock)
{
	for (struct lock_track *t = tracks; t; t = t->next) {
		if (t->lock == lock)
			return t;
	}
	return NULL;
}

/* The sizes the DDK passes: the free build's lock, or the checked build's. */
static void check_size(const char *routine, ULONG size, const void *caller)
{
	if (size != sizeof(IO_REMOVE_LOCK_COMMON_BLOCK) &&
	    size != sizeof(IO_REMOVE_LOCK_COMMON_BLOCK) + sizeof(IO_REMOVE_LOCK_DBG_BLOCK))
		nt_violation(routine, "RemlockSize must be sizeof(IO_REMOVE_LOCK)", caller, "%lu",
			     (unsigned long)size);
}

/* The checks every routine on an initialized lock starts with. */
static struct lock_track *initialized(const char *routine, KIRQL max_irql, PIO_REMOVE_LOCK lock,
				      ULONG size, const void *caller)
{
	struct lock_track *t;

	nt_require_irql(routine, max_irql, caller);
	check_size(routine, size, caller);
	t = track_of(lock);
	if (!t)
		nt_violation(routine, "a remove lock must be initialized (IoInitializeRemoveLock)",
			     caller, "lock %p", (void *)lock);
	return t;
}

/* learn.microsoft.com: wdm/nf-wdm-ioinitializeremovelockex */
void IoInitializeRemoveLockEx(PIO_REMOVE_LOCK Lock, ULONG AllocateTag, ULONG MaxLockedMinutes,
			      ULONG HighWatermark, ULONG RemlockSize)
{
	const void *caller = __builtin_return_address(0);
	struct lock_track *t;

	nt_require_irql("IoInitializeRemoveLockEx", PASSIVE_LEVEL, caller);
	check_size("IoInitializeRemoveLockEx", RemlockSize, caller);
	t = track_of(Lock);
	if (t && t->held)
		nt_violation("IoInitializeRemoveLockEx",
			     "a remove lock must not be initialized again while it is held", caller,
			     "lock %p: %u acquisitions outstanding, the first by %p", (void *)Lock,
			     t->held, t->tags->acquired_by);
	if (!t) {
		t = io_zalloc(sizeof(*t));
		t->lock = Lock;
		t->next = tracks;
		tracks = t;
	}
	t->high_watermark = HighWatermark;
	t->drained = false;
	memset(Lock, 0, sizeof(IO_REMOVE_LOCK_COMMON_BLOCK));
	Lock->Common.Removed = FALSE;
	Lock->Common.IoCount = 1;
	KeInitializeEvent(&Lock->Common.RemoveEvent, SynchronizationEvent, FALSE);
}

/* One reference less; the last, once removal began, lets the waiter go. */
static void drop_reference(PIO_REMOVE_LOCK lock)
{
	if (--lock->Common.IoCount == 0)
		KeSetEvent(&lock->Common.RemoveEvent, IO_NO_INCREMENT, FALSE);
}

/* learn.microsoft.com: wdm/nf-wdm-ioacquireremovelockex */
NTSTATUS IoAcquireRemoveLockEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, PCSTR File, ULONG Line,
			       ULONG RemlockSize)
{
	const void *caller = __builtin_return_address(0);
	struct lock_track *t;
	struct held_tag *h;

	t = initialized("IoAcquireRemoveLockEx", DISPATCH_LEVEL, RemoveLock, RemlockSize, caller);
	RemoveLock->Common.IoCount++;
	if (RemoveLock->Common.Removed) {
		drop_reference(RemoveLock);
		return STATUS_DELETE_PENDING;
	}
	h = io_zalloc(sizeof(*h));
	h->tag = Tag;
	h->acquired_by = caller;
	h->next = t->tags;
	t->tags = h;
	t->held++;
	if (t->high_watermark && t->held > t->high_watermark)
		nt_violation("IoAcquireRemoveLockEx",
			     "a remove lock must not be held more often than its HighWatermark",
			     caller, "lock %p: %u acquisitions, watermark %lu", (void *)RemoveLock,
			     t->held, (unsigned long)t->high_watermark);
	return STATUS_SUCCESS;
}

/* Forget one acquisition with `tag`, or the violation. */
static void release_tag(const char *routine, struct lock_track *t, PVOID tag, const void *caller)
{
	struct held_tag **link = &t->tags, *h;

	while (*link && (*link)->tag != tag)
		link = &(*link)->next;
	if (!*link)
		nt_violation(routine,
			     "a remove lock must be released with a tag it was acquired with",
			     caller, "lock %p holds no acquisition with tag %p%s", (void *)t->lock,
			     tag, t->drained ? " (it was released and waited for already)" : "");
	h = *link;
	*link = h->next;
	heap_free(h);
	t->held--;
}

/* learn.microsoft.com: wdm/nf-wdm-ioreleaseremovelockex */
void IoReleaseRemoveLockEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, ULONG RemlockSize)
{
	const void *caller = __builtin_return_address(0);
	struct lock_track *t;

	t = initialized("IoReleaseRemoveLockEx", DISPATCH_LEVEL, RemoveLock, RemlockSize, caller);
	release_tag("IoReleaseRemoveLockEx", t, Tag, caller);
	drop_reference(RemoveLock);
}

/* learn.microsoft.com: wdm/nf-wdm-ioreleaseremovelockandwaitex */
void IoReleaseRemoveLockAndWaitEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, ULONG RemlockSize)
{
	const void *caller = __builtin_return_address(0);
	struct lock_track *t;

	t = initialized("IoReleaseRemoveLockAndWaitEx", PASSIVE_LEVEL, RemoveLock, RemlockSize,
			caller);
	if (RemoveLock->Common.Removed)
		nt_violation("IoReleaseRemoveLockAndWaitEx",
			     "a remove lock is released and waited for once", caller, "lock %p",
			     (void *)RemoveLock);
	release_tag("IoReleaseRemoveLockAndWaitEx", t, Tag, caller);
	RemoveLock->Common.Removed = TRUE;
	/* The caller's own acquisition, then the bias the lock was initialized with. */
	RemoveLock->Common.IoCount--;
	if (--RemoveLock->Common.IoCount > 0)
		KeWaitForSingleObject(&RemoveLock->Common.RemoveEvent, Executive, KernelMode, FALSE,
				      NULL);
	t->drained = true;
}
