/* SPDX-License-Identifier: MIT */
/*
 * Spin locks on one CPU: the lock word holds its owner.  Taking a lock the
 * same thread holds, or one another thread holds (which, at
 * DISPATCH_LEVEL on this CPU, could never be released), is a deadlock.
 */
#include "internal.h"

/* learn.microsoft.com: wdm/nf-wdm-keacquirespinlockraisetodpc */
KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK lock)
{
	struct nt_thread *self = nt_current_thread();
	KIRQL old = nt_irql();

	ENTER("KeAcquireSpinLockRaiseToDpc", DISPATCH_LEVEL);
	if (*lock == (KSPIN_LOCK)self)
		nt_violation("KeAcquireSpinLock", "recursive acquire: a deadlock", CALLER(),
			     "lock %p", (void *)lock);
	if (*lock)
		nt_violation("KeAcquireSpinLock", "taking a lock another thread holds", CALLER(),
			     "lock %p: on one CPU at DISPATCH_LEVEL its owner never runs",
			     (void *)lock);
	*lock = (KSPIN_LOCK)self;
	self->spin_locks_held++;
	__asm__ volatile("mov %0, %%cr8" : : "r"((uint64_t)DISPATCH_LEVEL) : "memory");
	return old;
}

/* learn.microsoft.com: wdm/nf-wdm-kereleasespinlock */
VOID KeReleaseSpinLock(PKSPIN_LOCK lock, KIRQL new_irql)
{
	struct nt_thread *self = nt_current_thread();

	ENTER("KeReleaseSpinLock", DISPATCH_LEVEL);
	if (*lock != (KSPIN_LOCK)self)
		nt_violation("KeReleaseSpinLock", "releasing a lock the thread does not hold",
			     CALLER(), "lock %p", (void *)lock);
	if (nt_irql() != DISPATCH_LEVEL)
		nt_violation("KeReleaseSpinLock", "released below DISPATCH_LEVEL", CALLER(),
			     "IRQL %u", nt_irql());
	if (new_irql > DISPATCH_LEVEL)
		nt_violation("KeReleaseSpinLock", "NewIrql is not the IRQL the acquire returned",
			     CALLER(), "NewIrql %u", new_irql);
	*lock = 0;
	self->spin_locks_held--;
	nt_set_irql(new_irql);
}
