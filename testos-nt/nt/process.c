/* SPDX-License-Identifier: MIT */
/*
 * Processes: an address space, an id, threads.  The system process has no
 * user range.  A process ends when its last thread does (or at once when
 * terminated with none left): its handles are closed by the I/O manager
 * (CLEANUP, CLOSE), then the process-notify routines run in it, then its
 * address space goes.
 */
#include "internal.h"

#include <ntifs.h>

#define MAX_NOTIFY 64u           /* the limit since Windows Vista */
#define ATTACH_MAGIC 0x68637441u /* "Atch" */

struct user_pages {
	uint64_t va;
	void *pages;
	size_t npages;
	struct user_pages *next;
};

struct process_private {
	struct nt_process pub;
	bool finished;
	struct user_pages *pages;
};

static struct nt_process *system_process;
static ULONG_PTR next_pid = 4;
static PCREATE_PROCESS_NOTIFY_ROUTINE notify[MAX_NOTIFY];
#define MAX_EXIT_HOOKS 4u
static void (*exit_hooks[MAX_EXIT_HOOKS])(struct nt_process *proc);

void nt_sched_init(struct nt_process *system);
void nt_objects_init(void);

static struct nt_process *make_process(const char *name, bool with_space)
{
	struct process_private *p = nt_object_create(sizeof(*p), "Process", NULL);

	str_format(p->pub.name, sizeof(p->pub.name), "%s", name);
	p->pub.pid = (HANDLE)next_pid;
	next_pid += 4;
	if (with_space) {
		p->pub.space = vm_space_create();
		if (!p->pub.space)
			plat_exit(5);
	}
	p->pub.user_next = USER_VA_BASE + 0x10000u;
	return &p->pub;
}

void nt_init(void)
{
	system_process = make_process("System", false);
	nt_sched_init(system_process);
	nt_mm_init();
	nt_clock_tick();
}

struct nt_process *nt_system_process(void)
{
	return system_process;
}

struct nt_process *nt_process_create(const char *name)
{
	struct nt_process *proc = make_process(name, true);

	nt_process_notify(proc, true);
	return proc;
}

struct nt_process *nt_current_process(void)
{
	struct nt_thread *t = nt_current_thread();

	return t->attached ? t->attached : t->process;
}

void nt_process_set_exit_hook(void (*on_last_thread)(struct nt_process *proc))
{
	unsigned i;

	for (i = 0; i < MAX_EXIT_HOOKS; i++) {
		if (exit_hooks[i] == on_last_thread)
			return;
		if (!exit_hooks[i]) {
			exit_hooks[i] = on_last_thread;
			return;
		}
	}
	plat_exit(5);
}

uint64_t nt_user_alloc(struct nt_process *proc, size_t bytes)
{
	struct process_private *p = (struct process_private *)proc;
	size_t npages = (bytes + PLAT_PAGE_SIZE - 1) / PLAT_PAGE_SIZE;
	struct vm_space *was = vm_space_current();
	struct user_pages *rec;
	uint64_t va = nt_user_reserve(proc, npages);
	void *pages;

	if (!va)
		return 0;
	pages = page_alloc(npages);
	rec = heap_alloc(sizeof(*rec));
	if (!pages || !rec)
		return 0;
	vm_space_switch(proc->space);
	if (vm_map(va, (uint64_t)(uintptr_t)pages, npages, VM_WRITE | VM_USER | VM_NX) != 0)
		plat_exit(5);
	vm_space_switch(was);
	rec->va = va;
	rec->pages = pages;
	rec->npages = npages;
	rec->next = p->pages;
	p->pages = rec;
	return va;
}

uint64_t nt_user_reserve(struct nt_process *proc, size_t npages)
{
	uint64_t va = proc->user_next;

	if (!proc->space || !npages || va + npages * PLAT_PAGE_SIZE > USER_VA_END)
		return 0;
	/* a page left unmapped after each range: overruns fault */
	proc->user_next = va + (npages + 1) * PLAT_PAGE_SIZE;
	return va;
}

/* Runs in the process (its last thread, or the terminating caller attached to it). */
void nt_process_finish(struct nt_process *proc)
{
	struct process_private *p = (struct process_private *)proc;
	struct nt_thread *self = nt_current_thread();
	struct nt_process *was_attached = self->attached;
	struct user_pages *rec;
	unsigned i;

	if (p->finished)
		return;
	p->finished = true;
	proc->terminating = true;
	self->attached = proc;
	nt_thread_space_sync();
	for (i = 0; i < MAX_EXIT_HOOKS && exit_hooks[i]; i++)
		exit_hooks[i](proc);
	nt_process_notify(proc, false);
	self->attached = was_attached;
	nt_thread_space_sync();
	vm_space_destroy(proc->space);
	proc->space = NULL;
	while ((rec = p->pages)) {
		p->pages = rec->next;
		page_free(rec->pages, rec->npages);
		heap_free(rec);
	}
}

void nt_process_terminate(struct nt_process *proc)
{
	proc->terminating = true;
	if (proc->live_threads == 0)
		nt_process_finish(proc);
	ObfDereferenceObject(proc);
}

void nt_process_notify(struct nt_process *proc, bool create)
{
	unsigned i;

	for (i = 0; i < MAX_NOTIFY; i++)
		if (notify[i])
			notify[i]((HANDLE)4, proc->pid, create);
	if (nt_irql() != PASSIVE_LEVEL)
		nt_violation("process notify routine", "returns at PASSIVE_LEVEL", NULL, "IRQL %u",
			     nt_irql());
}

unsigned nt_process_notify_count(void)
{
	unsigned i, n = 0;

	for (i = 0; i < MAX_NOTIFY; i++)
		n += notify[i] != NULL;
	return n;
}

/* learn.microsoft.com: ntddk/nf-ntddk-pssetcreateprocessnotifyroutine */
NTSTATUS PsSetCreateProcessNotifyRoutine(PCREATE_PROCESS_NOTIFY_ROUTINE routine, BOOLEAN remove)
{
	unsigned i, free_slot = MAX_NOTIFY;

	ENTER("PsSetCreateProcessNotifyRoutine", PASSIVE_LEVEL);
	for (i = 0; i < MAX_NOTIFY; i++) {
		if (notify[i] == routine) {
			if (remove) {
				notify[i] = NULL;
				return STATUS_SUCCESS;
			}
			return STATUS_INVALID_PARAMETER;
		}
		if (!notify[i] && free_slot == MAX_NOTIFY)
			free_slot = i;
	}
	if (remove)
		return STATUS_PROCEDURE_NOT_FOUND;
	if (free_slot == MAX_NOTIFY)
		return STATUS_INVALID_PARAMETER;
	notify[free_slot] = routine;
	return STATUS_SUCCESS;
}

/* learn.microsoft.com: ntddk/nf-ntddk-psgetcurrentprocessid */
HANDLE PsGetCurrentProcessId(void)
{
	ENTER("PsGetCurrentProcessId", HIGH_LEVEL);
	return nt_current_process()->pid;
}

/* learn.microsoft.com: ntifs/nf-ntifs-kestackattachprocess */
VOID KeStackAttachProcess(PKPROCESS process, PRKAPC_STATE state)
{
	struct nt_thread *self = nt_current_thread();
	struct nt_process *target = (struct nt_process *)process;

	ENTER("KeStackAttachProcess", APC_LEVEL);
	if (!nt_is_object(target, "Process"))
		nt_violation("KeStackAttachProcess", "not a process", CALLER(), "%p", process);
	if (!target->space)
		nt_violation("KeStackAttachProcess", "attaching to a process that has exited",
			     CALLER(), "process %s", target->name);
	/* The caller's KAPC_STATE keeps what to go back to. */
	state->Process = (PKPROCESS)self->attached;
	state->ApcListHead[0].Flink = (PLIST_ENTRY)(uintptr_t)ATTACH_MAGIC;
	self->attached = target;
	nt_thread_space_sync();
}

/* learn.microsoft.com: ntifs/nf-ntifs-keunstackdetachprocess */
VOID KeUnstackDetachProcess(PRKAPC_STATE state)
{
	struct nt_thread *self = nt_current_thread();

	ENTER("KeUnstackDetachProcess", APC_LEVEL);
	if (!self->attached || state->ApcListHead[0].Flink != (PLIST_ENTRY)(uintptr_t)ATTACH_MAGIC)
		nt_violation("KeUnstackDetachProcess", "detach without a matching attach", CALLER(),
			     "KAPC_STATE %p", (void *)state);
	state->ApcListHead[0].Flink = NULL;
	self->attached = (struct nt_process *)state->Process;
	nt_thread_space_sync();
}
