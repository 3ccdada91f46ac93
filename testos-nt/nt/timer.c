/* SPDX-License-Identifier: MIT */
/*
 * EX_TIMER (Windows 8.1), for its callback: ExAllocateTimer, ExSetTimer,
 * ExCancelTimer, ExDeleteTimer.  A timer that is due runs its callback at
 * DISPATCH_LEVEL when the scheduler delivers interrupts and DPCs, and the
 * idle CPU wakes for it; a periodic one is due again a period later.  A
 * high-resolution timer is due when asked, any other at the clock's tick
 * after that, as on Windows (nt_clock_at_tick).  A timer never has a
 * callback in progress while a thread runs, the harness having one CPU.
 */
#include "internal.h"

#include <ntifs.h>

#define MAX_TIMERS 8u
#define KNOWN_ATTRIBUTES (EX_TIMER_HIGH_RESOLUTION | EX_TIMER_NO_WAKE | EX_TIMER_NOTIFICATION)
#define MAX_PERIOD 0x7fffffffll /* MAXLONG */

struct _EX_TIMER {
	bool used;
	bool set;
	bool high_resolution;
	PEXT_CALLBACK callback;
	PVOID context;
	uint64_t due;    /* interrupt time, 100 ns */
	uint64_t period; /* 100 ns; 0: one-shot */
};

static struct _EX_TIMER timers[MAX_TIMERS];

static PEX_TIMER known_timer(PEX_TIMER timer, const char *routine, const void *caller)
{
	if (timer < timers || timer >= timers + MAX_TIMERS || !timer->used)
		nt_violation(routine, "not a timer ExAllocateTimer gave", caller, "%p",
			     (void *)timer);
	return timer;
}

/* learn.microsoft.com: wdm/nf-wdm-exallocatetimer */
PEX_TIMER ExAllocateTimer(PEXT_CALLBACK callback, PVOID context, ULONG attributes)
{
	unsigned i;

	ENTER("ExAllocateTimer", DISPATCH_LEVEL);
	if (attributes & ~(ULONG)KNOWN_ATTRIBUTES)
		nt_violation("ExAllocateTimer", "unknown attributes", CALLER(), "%#x",
			     (unsigned)attributes);
	if ((attributes & EX_TIMER_HIGH_RESOLUTION) && (attributes & EX_TIMER_NO_WAKE))
		nt_violation("ExAllocateTimer",
			     "high resolution and no-wake together (a bug check)", CALLER(), "%#x",
			     (unsigned)attributes);
	if (nt_fault_now("ExAllocateTimer", CALLER()))
		return NULL;
	for (i = 0; i < MAX_TIMERS; i++)
		if (!timers[i].used)
			break;
	if (i == MAX_TIMERS)
		return NULL;
	timers[i] = (struct _EX_TIMER){
		.used = true,
		.high_resolution = attributes & EX_TIMER_HIGH_RESOLUTION,
		.callback = callback,
		.context = context,
	};
	return &timers[i];
}

static bool cancel(PEX_TIMER timer)
{
	bool was = timer->set;

	timer->set = false;
	return was;
}

/* learn.microsoft.com: wdm/nf-wdm-exsettimer */
BOOLEAN ExSetTimer(PEX_TIMER timer, LONGLONG due, LONGLONG period, PEXT_SET_PARAMETERS params)
{
	uint64_t now = nt_interrupt_time(), at;
	bool was;

	ENTER("ExSetTimer", DISPATCH_LEVEL);
	known_timer(timer, "ExSetTimer", CALLER());
	if (timer->high_resolution && due >= 0)
		nt_violation("ExSetTimer", "a high-resolution timer's due time must be relative",
			     CALLER(), "%lld", (long long)due);
	if (period < 0 || period > MAX_PERIOD)
		nt_violation("ExSetTimer", "period out of range", CALLER(), "%lld",
			     (long long)period);
	if (params && params->Version != 0)
		nt_violation("ExSetTimer", "parameters not from ExInitializeSetTimerParameters",
			     CALLER(), "version %u", (unsigned)params->Version);
	was = cancel(timer);
	at = due < 0 ? now + (uint64_t)-due : (uint64_t)due;
	timer->due = timer->high_resolution ? at : nt_clock_at_tick(at);
	timer->period = (uint64_t)period;
	timer->set = true;
	return was;
}

/* learn.microsoft.com: wdm/nf-wdm-excanceltimer */
BOOLEAN ExCancelTimer(PEX_TIMER timer, PEXT_CANCEL_PARAMETERS params)
{
	ENTER("ExCancelTimer", DISPATCH_LEVEL);
	return cancel(known_timer(timer, "ExCancelTimer", CALLER()));
}

/* learn.microsoft.com: wdm/nf-wdm-exdeletetimer */
BOOLEAN ExDeleteTimer(PEX_TIMER timer, BOOLEAN cancel_it, BOOLEAN wait,
		      PEXT_DELETE_PARAMETERS params)
{
	bool was;

	ENTER("ExDeleteTimer", wait ? PASSIVE_LEVEL : DISPATCH_LEVEL);
	known_timer(timer, "ExDeleteTimer", CALLER());
	if (wait && !cancel_it)
		nt_violation("ExDeleteTimer", "Wait without Cancel", CALLER(), "%p", (void *)timer);
	if (!cancel_it && timer->set)
		nt_violation("ExDeleteTimer", "deleting a set timer without cancelling it",
			     CALLER(), "%p", (void *)timer);
	was = cancel(timer);
	timer->used = false;
	return was;
}

uint64_t nt_timers_next_due(void)
{
	uint64_t next = 0;
	unsigned i;

	for (i = 0; i < MAX_TIMERS; i++)
		if (timers[i].used && timers[i].set && (!next || timers[i].due < next))
			next = timers[i].due;
	return next;
}

unsigned nt_timers_live(void)
{
	unsigned i, n = 0;

	for (i = 0; i < MAX_TIMERS; i++)
		n += timers[i].used;
	return n;
}

void nt_timers_run(void)
{
	struct nt_thread *self = nt_current_thread();
	KIRQL was = nt_irql();
	uint64_t now = nt_interrupt_time();
	unsigned i;

	if (was >= DISPATCH_LEVEL)
		return;
	__asm__ volatile("mov %0, %%cr8" : : "r"((uint64_t)DISPATCH_LEVEL) : "memory");
	for (i = 0; i < MAX_TIMERS; i++) {
		PEX_TIMER t = &timers[i];
		unsigned locks = self->spin_locks_held;

		if (!t->used || !t->set || t->due > now)
			continue;
		/* A period that went by unseen is not made up for. */
		if (t->period)
			t->due = t->due + t->period > now ? t->due + t->period : now + t->period;
		else
			t->set = false;
		if (!t->callback)
			continue;
		t->callback(t, t->context);
		if (nt_irql() != DISPATCH_LEVEL || self->spin_locks_held != locks)
			nt_violation("ExTimerCallback",
				     "returns at DISPATCH_LEVEL holding no new lock",
				     (const void *)t->callback, "IRQL %u, %u locks held after it",
				     nt_irql(), self->spin_locks_held - locks);
	}
	__asm__ volatile("mov %0, %%cr8" : : "r"((uint64_t)was) : "memory");
}
