/* SPDX-License-Identifier: MIT */
/*
 * Threads on one CPU, switched only at scheduling points: where a thread
 * waits, and where the IRQL drops below DISPATCH_LEVEL.  Seed 0 keeps the
 * running thread until it blocks and opens an interrupt window at every
 * point; another seed lets a generator decide, at each point, whether to
 * run another ready thread first.  The step count, printed with any
 * violation, says where in the schedule it happened.
 *
 * Nothing is preempted; a waiting thread is ready again when the
 * condition it waits for holds (checked whenever the scheduler looks),
 * or when its deadline passes.  When every thread waits, the CPU idles
 * with interrupts enabled until the earliest deadline; waiting with no
 * deadline and nothing happening for DEADLOCK_NS is a deadlock.
 */
#include "internal.h"

#include <ntifs.h>

#define STACK_PAGES 16u
#define DEADLOCK_NS (30ull * 1000000000ull)
#define IDLE_SLICE_NS 1000000ull

static struct nt_thread boot_thread;
static struct nt_thread *threads = &boot_thread;
static struct nt_thread *current = &boot_thread;
static uint64_t seed_state, steps;
/*
 * Set while the scheduler itself takes interrupts and runs DPCs: a DPC's
 * IRQL drop is a scheduling point, and switching threads from inside the
 * scheduler would lose the state of the thread it is deciding about.
 */
static unsigned delivering;

/* Interrupts and DPCs due now, without thread switches in between. */
static void deliver(uint64_t idle_until)
{
	delivering++;
	if (idle_until)
		irq_idle(idle_until);
	else
		irq_window();
	if (nt_dpc_pending() && nt_irql() < DISPATCH_LEVEL)
		nt_dpc_drain();
	nt_timers_run();
	delivering--;
}

struct nt_thread *nt_current_thread(void)
{
	return current;
}

uint64_t nt_sched_steps(void)
{
	return steps;
}

void nt_sched_seed(uint64_t seed)
{
	seed_state = seed;
}

static bool coin(void)
{
	if (!seed_state)
		return false;
	seed_state ^= seed_state << 13;
	seed_state ^= seed_state >> 7;
	seed_state ^= seed_state << 17;
	return seed_state & 1;
}

void nt_sched_init(struct nt_process *system);
void nt_sched_init(struct nt_process *system)
{
	boot_thread.process = system;
	boot_thread.name = "boot";
	boot_thread.state = THREAD_RUNNING;
}

void nt_thread_space_sync(void)
{
	struct nt_process *p = current->attached ? current->attached : current->process;

	if (vm_space_current() != p->space)
		vm_space_switch(p->space);
}

static bool can_run(struct nt_thread *t, uint64_t now)
{
	if (t->state == THREAD_READY)
		return true;
	if (t->state != THREAD_WAITING)
		return false;
	if (t->ready(t, t->what)) {
		t->state = THREAD_READY;
		t->timed_out = false;
		return true;
	}
	if (t->deadline && now >= t->deadline) {
		t->state = THREAD_READY;
		t->timed_out = true;
		return true;
	}
	return false;
}

/* The next thread able to run after `from` in creation order (wrapping), or NULL. */
static struct nt_thread *pick(struct nt_thread *from, bool include_from)
{
	uint64_t now = nt_interrupt_time();
	struct nt_thread *t = from->next ? from->next : threads;

	for (;;) {
		if (t == from)
			return include_from && can_run(t, now) ? t : NULL;
		if (can_run(t, now))
			return t;
		t = t->next ? t->next : threads;
	}
}

static void switch_to(struct nt_thread *next)
{
	struct nt_thread *prev = current;

	if (next == prev) {
		prev->state = THREAD_RUNNING;
		return;
	}
	prev->irql = nt_irql();
	current = next;
	next->state = THREAD_RUNNING;
	__asm__ volatile("mov %0, %%cr8" : : "r"((uint64_t)next->irql) : "memory");
	nt_thread_space_sync();
	plat_context_switch(&prev->ctx, &next->ctx);
	/* back in prev */
	nt_thread_space_sync();
}

static void report_deadlock(void)
{
	struct nt_thread *t;

	static const char *const states[] = { "ready", "running", "waiting", "finished" };

	for (t = threads; t; t = t->next)
		if (t->state != THREAD_FINISHED)
			con_printf("#   thread %s (%s): %s %p%s\n", t->name, t->process->name,
				   states[t->state], t->what,
				   t->deadline ? " (with a deadline)" : "");
	nt_violation("KeWaitForSingleObject", "deadlock", NULL,
		     "every thread waits and nothing has happened for %llu s",
		     (unsigned long long)(DEADLOCK_NS / 1000000000ull));
}

/* Run something else until the current thread can run again. */
static void reschedule(void)
{
	uint64_t idle_since = 0, timer_ns, idle_until;
	struct nt_thread *next;

	for (;;) {
		deliver(0);
		next = pick(current, true);
		if (next) {
			switch_to(next);
			return;
		}
		if (!idle_since)
			idle_since = plat_now_ns();
		else if (plat_now_ns() - idle_since > DEADLOCK_NS)
			report_deadlock();
		/* A timer wakes the idle CPU when it is due. */
		idle_until = plat_now_ns() + IDLE_SLICE_NS;
		timer_ns = nt_timers_next_due() * 100u;
		if (timer_ns && timer_ns < idle_until)
			idle_until = timer_ns;
		deliver(idle_until);
	}
}

bool nt_block(bool (*ready)(struct nt_thread *self, void *what), void *what, uint64_t deadline)
{
	steps++;
	if (ready(current, what))
		return true;
	current->ready = ready;
	current->what = what;
	current->deadline = deadline;
	current->state = THREAD_WAITING;
	reschedule();
	return !current->timed_out;
}

void nt_sched_point(void)
{
	struct nt_thread *other;

	steps++;
	nt_clock_tick();
	if (nt_irql() >= DISPATCH_LEVEL || delivering)
		return;
	deliver(0);
	if (!coin())
		return;
	other = pick(current, false);
	if (other) {
		current->state = THREAD_READY;
		switch_to(other);
	}
}

#define USER_STACK_BYTES (64u * 1024u)

void nt_syscall(void (*fn)(void *arg), void *arg)
{
	struct nt_thread *self = current;

	if (!self->in_user_mode) {
		fn(arg);
		return;
	}
	self->in_user_mode = false;
	nt_stack_call(fn, arg, self->kernel_rsp, NULL);
	/* A thread of a terminated process ends on its way back to user mode. */
	if (self->process->terminating)
		__builtin_longjmp(self->exit_jump, 1);
	self->in_user_mode = true;
}

/* learn.microsoft.com: ntifs/nf-ntifs-psisthreadterminating */
BOOLEAN PsIsThreadTerminating(PETHREAD thread)
{
	struct nt_thread *t;

	ENTER("PsIsThreadTerminating", DISPATCH_LEVEL);
	for (t = threads; t && t != (struct nt_thread *)thread; t = t->next)
		;
	if (!t)
		nt_violation("PsIsThreadTerminating", "the argument must be a thread", CALLER(),
			     "%p is no thread", (void *)thread);
	return t->process->terminating;
}

void nt_yield(void)
{
	struct nt_thread *other;

	nt_sched_point();
	if (delivering)
		return;
	other = pick(current, false);
	if (other) {
		current->state = THREAD_READY;
		switch_to(other);
	}
}

static void thread_main(void *arg)
{
	struct nt_thread *self = arg;

	__asm__ volatile("mov %0, %%cr8" : : "r"(0ull) : "memory");
	if (self->user_stack) {
		if (!__builtin_setjmp(self->exit_jump)) {
			self->in_user_mode = true;
			nt_stack_call(self->fn, self->arg,
				      (uint8_t *)self->user_stack + USER_STACK_BYTES,
				      &self->kernel_rsp);
		}
		self->in_user_mode = false;
	} else {
		self->fn(self->arg);
	}
	if (self->spin_locks_held || self->fast_mutexes_held || nt_irql() != PASSIVE_LEVEL)
		nt_violation("thread exit", "a thread ends holding locks or above PASSIVE_LEVEL",
			     NULL, "thread %s: %u spin locks, %u fast mutexes, IRQL %u", self->name,
			     self->spin_locks_held, self->fast_mutexes_held, nt_irql());
	if (self->attached)
		nt_violation("thread exit", "KeStackAttachProcess without KeUnstackDetachProcess",
			     NULL, "thread %s ends attached", self->name);
	if (--self->process->live_threads == 0 && self->process->terminating)
		nt_process_finish(self->process);
	ObfDereferenceObject(self->process);
	self->state = THREAD_FINISHED;
	reschedule();
	plat_exit(5); /* a finished thread is never picked again */
}

struct nt_thread *nt_thread_start(struct nt_process *proc, const char *name, nt_thread_fn fn,
				  void *arg)
{
	struct nt_thread *t = heap_alloc(sizeof(*t)), **tail;

	if (!t)
		plat_exit(5);
	t->stack = page_alloc(STACK_PAGES);
	if (!t->stack)
		plat_exit(5);
	t->stack_pages = STACK_PAGES;
	t->process = proc;
	t->name = name;
	t->fn = fn;
	t->arg = arg;
	t->state = THREAD_READY;
	if (proc->space) {
		t->user_stack = (void *)(uintptr_t)nt_user_alloc(proc, USER_STACK_BYTES);
		if (!t->user_stack)
			plat_exit(5);
	}
	ObfReferenceObject(proc);
	plat_context_init(&t->ctx, t->stack, STACK_PAGES * PLAT_PAGE_SIZE, thread_main, t);
	proc->live_threads++;
	for (tail = &threads; *tail; tail = &(*tail)->next)
		;
	*tail = t;
	return t;
}

bool nt_thread_finished(const struct nt_thread *thread)
{
	return thread->state == THREAD_FINISHED;
}

static bool thread_done(struct nt_thread *self, void *what)
{
	struct nt_thread *t;

	if (what)
		return nt_thread_finished(what);
	for (t = threads; t; t = t->next)
		if (t != self && t->state != THREAD_FINISHED)
			return false;
	return true;
}

/*
 * Finished threads give their stacks back; the thread structures stay
 * (they are small, and whoever still holds one may ask whether it ended).
 */
static void reap(void)
{
	struct nt_thread *t;

	for (t = threads; t; t = t->next) {
		if (t->state == THREAD_FINISHED && t->stack && t != current) {
			page_free(t->stack, t->stack_pages);
			t->stack = NULL;
		}
	}
}

void nt_join(struct nt_thread *thread)
{
	nt_block(thread_done, thread, 0);
	reap();
}
