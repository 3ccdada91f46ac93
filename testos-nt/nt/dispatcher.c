/* SPDX-License-Identifier: MIT */
/*
 * Dispatcher objects (events, mutexes) and waiting on them, with the
 * objects' state kept where Windows keeps it, in the driver's own
 * DISPATCHER_HEADER; the harness remembers which addresses were
 * initialised, so a wait on anything else is a violation.  Fast mutexes
 * (the DDK initialises them inline) are waited for the same way.
 */
#include "internal.h"

#define MAX_OBJECTS 4096u
/* DISPATCHER_HEADER.Type values (the kernel's object types) */
#define TYPE_EVENT_NOTIFICATION 0
#define TYPE_EVENT_SYNCHRONIZATION 1
#define TYPE_MUTANT 2

static const void *known[MAX_OBJECTS];
static unsigned nknown;

static void remember(const void *object)
{
	unsigned i;

	for (i = 0; i < nknown; i++)
		if (known[i] == object)
			return;
	if (nknown == MAX_OBJECTS) {
		/* forget the oldest half: objects on stacks come and go */
		memmove(known, known + MAX_OBJECTS / 2, sizeof(known) / 2);
		nknown = MAX_OBJECTS / 2;
	}
	known[nknown++] = object;
}

static bool known_object(const void *object)
{
	unsigned i;

	for (i = 0; i < nknown; i++)
		if (known[i] == object)
			return true;
	return false;
}

/* learn.microsoft.com: wdm/nf-wdm-keinitializeevent */
VOID KeInitializeEvent(PRKEVENT event, EVENT_TYPE type, BOOLEAN state)
{
	ENTER("KeInitializeEvent", HIGH_LEVEL);
	if (type != NotificationEvent && type != SynchronizationEvent)
		nt_violation("KeInitializeEvent", "unknown event type", CALLER(), "type %d", type);
	event->Header.Type =
		type == NotificationEvent ? TYPE_EVENT_NOTIFICATION : TYPE_EVENT_SYNCHRONIZATION;
	event->Header.Size = sizeof(KEVENT) / sizeof(LONG);
	event->Header.SignalState = state ? 1 : 0;
	InitializeListHead(&event->Header.WaitListHead);
	remember(event);
}

/* learn.microsoft.com: wdm/nf-wdm-kesetevent */
LONG KeSetEvent(PRKEVENT event, KPRIORITY increment, BOOLEAN wait)
{
	LONG previous;

	ENTER("KeSetEvent", DISPATCH_LEVEL);
	if (!known_object(event) || event->Header.Type > TYPE_EVENT_SYNCHRONIZATION)
		nt_violation("KeSetEvent", "not an initialised event", CALLER(), "%p",
			     (void *)event);
	if (wait)
		nt_violation("KeSetEvent", "Wait TRUE needs an immediate wait", CALLER(),
			     "the harness does not model KeSetEvent(.., TRUE)");
	previous = event->Header.SignalState;
	event->Header.SignalState = 1;
	return previous;
}

/* learn.microsoft.com: wdm/nf-wdm-keinitializemutex */
VOID KeInitializeMutex(PRKMUTEX mutex, ULONG level)
{
	ENTER("KeInitializeMutex", PASSIVE_LEVEL);
	mutex->Header.Type = TYPE_MUTANT;
	mutex->Header.Size = sizeof(KMUTEX) / sizeof(LONG);
	mutex->Header.SignalState = 1;
	InitializeListHead(&mutex->Header.WaitListHead);
	mutex->OwnerThread = NULL;
	mutex->Abandoned = FALSE;
	mutex->ApcDisable = 1;
	remember(mutex);
}

/* learn.microsoft.com: wdm/nf-wdm-kereleasemutex */
LONG KeReleaseMutex(PRKMUTEX mutex, BOOLEAN wait)
{
	struct nt_thread *self = nt_current_thread();
	LONG previous;

	ENTER("KeReleaseMutex", DISPATCH_LEVEL);
	if (!known_object(mutex) || mutex->Header.Type != TYPE_MUTANT)
		nt_violation("KeReleaseMutex", "not an initialised mutex", CALLER(), "%p",
			     (void *)mutex);
	if (mutex->OwnerThread != (struct _KTHREAD *)self)
		nt_violation("KeReleaseMutex", "released by a thread that does not own it",
			     CALLER(), "mutex %p", (void *)mutex);
	if (wait)
		nt_violation("KeReleaseMutex", "Wait TRUE needs an immediate wait", CALLER(),
			     "the harness does not model KeReleaseMutex(.., TRUE)");
	previous = mutex->Header.SignalState;
	if (++mutex->Header.SignalState == 1)
		mutex->OwnerThread = NULL;
	nt_sched_point();
	return previous;
}

/* Whether `object` can be taken by `t` now; takes it if so. */
static bool try_take(struct nt_thread *t, void *object)
{
	DISPATCHER_HEADER *h = object;
	KMUTEX *m = object;

	switch (h->Type) {
	case TYPE_EVENT_NOTIFICATION:
		return h->SignalState > 0;
	case TYPE_EVENT_SYNCHRONIZATION:
		if (h->SignalState <= 0)
			return false;
		h->SignalState = 0;
		return true;
	default:
		if (h->SignalState <= 0 && m->OwnerThread != (struct _KTHREAD *)t)
			return false;
		h->SignalState--;
		m->OwnerThread = (struct _KTHREAD *)t;
		return true;
	}
}

/* learn.microsoft.com: wdm/nf-wdm-kewaitforsingleobject */
NTSTATUS KeWaitForSingleObject(PVOID object, KWAIT_REASON reason, KPROCESSOR_MODE mode,
			       BOOLEAN alertable, PLARGE_INTEGER timeout)
{
	uint64_t deadline = 0, now;
	bool zero = timeout && timeout->QuadPart == 0;

	ENTER("KeWaitForSingleObject", zero ? DISPATCH_LEVEL : APC_LEVEL);
	if (!known_object(object))
		nt_violation("KeWaitForSingleObject", "waiting on an object never initialised",
			     CALLER(), "%p", object);
	if (nt_current_thread()->spin_locks_held)
		nt_violation("KeWaitForSingleObject", "waiting while holding a spin lock", CALLER(),
			     "%u held", nt_current_thread()->spin_locks_held);
	if (try_take(nt_current_thread(), object))
		return STATUS_SUCCESS;
	if (zero)
		return STATUS_TIMEOUT;
	if (timeout) {
		now = nt_interrupt_time();
		/* negative: relative, in 100 ns; positive: absolute (the clock starts at boot here) */
		deadline = timeout->QuadPart < 0 ? now + (uint64_t)(-timeout->QuadPart)
						 : (uint64_t)timeout->QuadPart;
		/* A timeout ends the wait at the clock's tick, not before. */
		deadline = nt_clock_at_tick(deadline);
		if (!deadline)
			deadline = 1;
	}
	return nt_block(try_take, object, deadline) ? STATUS_SUCCESS : STATUS_TIMEOUT;
}

/* What a fast mutex's waiter waits for: no owner. */
static bool fast_mutex_free(struct nt_thread *t, void *what)
{
	FAST_MUTEX *m = what;

	return m->Owner == NULL;
}

/* learn.microsoft.com: wdm/nf-wdm-exacquirefastmutex */
VOID ExAcquireFastMutex(PFAST_MUTEX mutex)
{
	struct nt_thread *self = nt_current_thread();
	KIRQL old = nt_irql();

	ENTER("ExAcquireFastMutex", APC_LEVEL);
	if (!known_object(&mutex->Event))
		nt_violation("ExAcquireFastMutex", "not an initialised fast mutex", CALLER(), "%p",
			     (void *)mutex);
	if (mutex->Owner == (PKTHREAD)self)
		nt_violation("ExAcquireFastMutex", "recursive acquire (fast mutexes are not)",
			     CALLER(), "mutex %p", (void *)mutex);
	if (mutex->Owner)
		nt_block(fast_mutex_free, mutex, 0);
	mutex->Owner = (PKTHREAD)self;
	mutex->Count = 0;
	mutex->OldIrql = old;
	self->fast_mutexes_held++;
	__asm__ volatile("mov %0, %%cr8" : : "r"((uint64_t)APC_LEVEL) : "memory");
}

/* learn.microsoft.com: wdm/nf-wdm-exreleasefastmutex */
VOID ExReleaseFastMutex(PFAST_MUTEX mutex)
{
	struct nt_thread *self = nt_current_thread();

	ENTER("ExReleaseFastMutex", APC_LEVEL);
	if (mutex->Owner != (PKTHREAD)self)
		nt_violation("ExReleaseFastMutex", "released by a thread that does not own it",
			     CALLER(), "mutex %p", (void *)mutex);
	if (nt_irql() != APC_LEVEL)
		nt_violation("ExReleaseFastMutex", "released at another IRQL than it raised to",
			     CALLER(), "IRQL %u", nt_irql());
	mutex->Owner = NULL;
	mutex->Count = FM_LOCK_BIT;
	self->fast_mutexes_held--;
	nt_set_irql((KIRQL)mutex->OldIrql);
	nt_sched_point();
}
