/* SPDX-License-Identifier: MIT */
/*
 * DPCs: queued from any IRQL (an ISR's), run at DISPATCH_LEVEL as soon as
 * the IRQL drops below it, in queue order.  A DPC routine must return at
 * DISPATCH_LEVEL with no lock held.
 */
#include "internal.h"

#define MAX_QUEUED 64u
#define DPC_OBJECT_TYPE 19 /* the kernel's DpcObject */
#define DPC_QUEUED_MARK ((PVOID)0x51A4Eull)

static PKDPC queue[MAX_QUEUED];
static unsigned head, count;

/* learn.microsoft.com: wdm/nf-wdm-keinitializedpc */
VOID KeInitializeDpc(PRKDPC dpc, PKDEFERRED_ROUTINE routine, PVOID context)
{
	ENTER("KeInitializeDpc", HIGH_LEVEL);
	memset(dpc, 0, sizeof(*dpc));
	dpc->Type = DPC_OBJECT_TYPE;
	dpc->Importance = MediumImportance;
	dpc->DeferredRoutine = routine;
	dpc->DeferredContext = context;
}

/* learn.microsoft.com: wdm/nf-wdm-keinsertqueuedpc */
BOOLEAN KeInsertQueueDpc(PRKDPC dpc, PVOID arg1, PVOID arg2)
{
	ENTER("KeInsertQueueDpc", HIGH_LEVEL);
	if (dpc->Type != DPC_OBJECT_TYPE || !dpc->DeferredRoutine)
		nt_violation("KeInsertQueueDpc", "not an initialised DPC", CALLER(), "%p",
			     (void *)dpc);
	if (dpc->DpcData == DPC_QUEUED_MARK)
		return FALSE;
	if (count == MAX_QUEUED)
		nt_violation("KeInsertQueueDpc", "harness limit", CALLER(), "%u DPCs queued",
			     count);
	dpc->DpcData = DPC_QUEUED_MARK;
	dpc->SystemArgument1 = arg1;
	dpc->SystemArgument2 = arg2;
	queue[(head + count++) % MAX_QUEUED] = dpc;
	return TRUE;
}

bool nt_dpc_pending(void)
{
	return count != 0;
}

void nt_dpc_drain(void)
{
	KIRQL was = nt_irql();
	struct nt_thread *self = nt_current_thread();

	if (was >= DISPATCH_LEVEL || !count)
		return;
	__asm__ volatile("mov %0, %%cr8" : : "r"((uint64_t)DISPATCH_LEVEL) : "memory");
	while (count) {
		PKDPC dpc = queue[head];
		unsigned locks = self->spin_locks_held;

		head = (head + 1) % MAX_QUEUED;
		count--;
		dpc->DpcData = NULL;
		dpc->DeferredRoutine(dpc, dpc->DeferredContext, dpc->SystemArgument1,
				     dpc->SystemArgument2);
		if (nt_irql() != DISPATCH_LEVEL || self->spin_locks_held != locks)
			nt_violation("DPC routine", "returns at DISPATCH_LEVEL holding no new lock",
				     (const void *)dpc->DeferredRoutine,
				     "IRQL %u, %u locks held after it", nt_irql(),
				     self->spin_locks_held - locks);
		irq_window();
	}
	__asm__ volatile("mov %0, %%cr8" : : "r"((uint64_t)was) : "memory");
}

/* learn.microsoft.com: wdm/nf-wdm-keflushqueueddpcs */
VOID KeFlushQueuedDpcs(void)
{
	ENTER("KeFlushQueuedDpcs", PASSIVE_LEVEL);
	nt_dpc_drain();
}
