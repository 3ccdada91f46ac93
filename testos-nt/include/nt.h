/* SPDX-License-Identifier: MIT */
/*
 * The harness's executive (testos-nt/nt): what the I/O manager (io/) and
 * the scenarios use besides the exported routines themselves.  The
 * exported routines (the ones vgpu.sys imports, with the DDK's own
 * prototypes from <ntddk.h>) are also callable by the harness directly.
 *
 * Include this instead of <ntddk.h>: it sets what makes the DDK headers
 * declare the kernel's routines as ours rather than as imports.
 */
#ifndef NTH_NT_H
#define NTH_NT_H

#define _NTOSKRNL_
#define _NTHALDLL_
#define _NTSYSTEM_
#include <ntddk.h>

#include <stdbool.h>
#include <stdint.h>

#include "platform.h"

/*
 * Once, at boot, before anything else of the executive: the boot thread
 * becomes the system process's first thread, at PASSIVE_LEVEL.
 */
void nt_init(void);

/* ---- violations (nt/verifier.c) ------------------------------------------------ */

/*
 * A rule of the kernel broken by the driver: prints
 *   VIOLATION <routine>: <rule>: <details>
 *     called from vgpu.sys!<function>+0x<off> (or harness!0x<addr>)
 * and the schedule (seed, step) to replay it, then ends the scenario
 * through the hook the scenario runner set.  `caller` is the return address
 * into the driver (__builtin_return_address(0) in the exported routine).
 */
__attribute__((noreturn, format(gnu_printf, 4, 5))) void
nt_violation(const char *routine, const char *rule, const void *caller, const char *fmt, ...);
/* The rule of an exception that no frame handles, for a scenario that expects it. */
#define NT_RULE_EXCEPTION_NOT_HANDLED "an exception no frame handles (KMODE_EXCEPTION_NOT_HANDLED)"
/* Called with the rule broken; must not return. */
typedef void (*nt_violation_hook_fn)(const char *rule);
void nt_set_violation_hook(nt_violation_hook_fn hook);

/* The image whose addresses violations name (set once vgpu.sys is loaded). */
struct pe_symbols;
void nt_set_driver_image(uint64_t base, uint64_t size, const struct pe_symbols *syms);
/*
 * Its exception directory (pe_image's pdata and npdata), after
 * nt_set_driver_image: exceptions the executive raises unwind its frames
 * with it.
 */
void nt_set_driver_unwind(uint64_t pdata, uint64_t count);
/* "vgpu.sys!fn+0x1c" or "harness!0x..." */
void nt_describe_address(const void *addr, char *buf, size_t cap);

/* ---- IRQL (nt/irql.c): CR8, as on Windows x64 ---------------------------------- */

KIRQL nt_irql(void);
/* Fails the scenario unless the current IRQL is at most `max`. */
void nt_require_irql(const char *routine, KIRQL max, const void *caller);
/* Set the IRQL; dropping below DISPATCH_LEVEL runs the queued DPCs first. */
void nt_set_irql(KIRQL irql);
/* Run every queued DPC (at DISPATCH_LEVEL); the caller is below it. */
void nt_dpc_drain(void);

/* ---- low-resources simulation (nt/faults.c) ----------------------------------- */

/*
 * Like Driver Verifier's: while armed, each pool, MDL, page and contiguous
 * allocation the driver asks for fails with probability 1/one_in, decided
 * by a generator seeded with `seed` (so a failing run replays); so does
 * MmMapLockedPagesSpecifyCache(UserMode), by raising, as Windows does.
 * Failures are counted; the harness's own allocations never fail.
 */
void nt_faults_arm(uint64_t seed, uint32_t one_in);
void nt_faults_disarm(void);
uint64_t nt_faults_injected(void);
/* How many of them `routine` (its name as the log gives it) failed. */
uint64_t nt_faults_injected_in(const char *routine);
/* Whether this driver allocation fails (counted, and logged with `routine`). */
bool nt_fault_now(const char *routine, const void *caller);

/* ---- pool and objects (nt/pool.c, nt/object.c) --------------------------------- */

/* Each block still allocated, printed with tag, size and allocating caller; their count. */
unsigned nt_pool_report(void);
/* EX_TIMERs the driver allocated and has not deleted. */
unsigned nt_timers_live(void);
/* Pool for the harness's own structures that the driver sees (IRPs, MDLs...): never injected. */
void *nt_pool_alloc_harness(POOL_TYPE type, SIZE_T size, ULONG tag);
void nt_pool_free_harness(void *p);
/*
 * Pool a routine hands to the driver to free (IoRegisterDeviceInterface's
 * string, freed with RtlFreeUnicodeString): counted as the driver's,
 * allocated "at" `caller`; NULL when nt_fault_now decides so.
 */
void *nt_pool_alloc_for_driver(POOL_TYPE type, SIZE_T size, ULONG tag, const void *caller);

/*
 * Kernel objects the harness makes (processes, device objects, file
 * objects...) carry a header before their body: ObfReferenceObject and
 * ObfDereferenceObject check it (a pointer that is not such an object, or
 * a count going below zero, is a violation), and the last reference calls
 * `destroy`.
 */
void *nt_object_create(size_t body_size, const char *type_name, void (*destroy)(void *body));
bool nt_is_object(const void *body, const char *type_name);

/* ---- threads, processes, scheduling (nt/sched.c, nt/process.c) ----------------- */

struct io_handle_table;
struct nt_process {
	/* what PEPROCESS points to: the driver only compares and references it */
	struct vm_space *space;
	HANDLE pid;
	char name[32];
	bool terminating;
	unsigned live_threads;
	struct io_handle_table *handles; /* the I/O manager's, per process */
	uint64_t user_next;              /* nt_user_alloc's bump pointer */
};

struct nt_thread;
typedef void (*nt_thread_fn)(void *arg);

/*
 * A process with its own user address space; nt_process_create never fails
 * (harness).  The creator holds a reference until nt_process_terminate;
 * each thread holds one while it runs.
 */
struct nt_process *nt_process_create(const char *name);
/* The system process: where DriverEntry, PnP and DPCs run. */
struct nt_process *nt_system_process(void);
struct nt_process *nt_current_process(void);
struct nt_thread *nt_current_thread(void);

/* A thread of `proc` that runs fn(arg) once the scheduler picks it. */
struct nt_thread *nt_thread_start(struct nt_process *proc, const char *name, nt_thread_fn fn,
				  void *arg);
bool nt_thread_finished(const struct nt_thread *thread);
/*
 * Run the other threads until `thread` has finished (NULL: until every
 * thread has).  Threads that all wait with no timeout and no interrupt
 * pending is a deadlock: a violation naming each waiter and its object.
 */
void nt_join(struct nt_thread *thread);

/*
 * Terminate a process as Windows does: each of its threads ends when it
 * next returns to user mode (a thread blocked in the driver stays there
 * until the driver lets it go: a non-alertable wait is not cut short);
 * once the last one has, `on_last_thread` runs in the process (the I/O
 * manager closes its handles there: CLEANUP and CLOSE), then the process
 * notify routines, then the address space goes.  Drops the creator's
 * reference: `proc` may be gone when this returns.
 */
void nt_process_terminate(struct nt_process *proc);
/* Hooks run at a process's end, in registration order (the I/O manager's, the user heap's). */
void nt_process_set_exit_hook(void (*on_last_thread)(struct nt_process *proc));
/* Process-notify routines still registered (PsSetCreateProcessNotifyRoutine): the unload check. */
unsigned nt_process_notify_count(void);

/*
 * A system call: user-mode code of a process (running on its thread's user
 * stack, in the process's address range) enters the kernel, here the I/O
 * manager or the scheduler, on the thread's kernel stack.  Called in kernel
 * mode already, it just calls fn.
 */
void nt_syscall(void (*fn)(void *arg), void *arg);

/* Fresh zeroed user pages in `proc`'s address space; the address, 0 if out of room. */
uint64_t nt_user_alloc(struct nt_process *proc, size_t bytes);

/*
 * A scheduling point: where a thread waits or the IRQL drops below
 * DISPATCH_LEVEL, the seeded schedule may run another ready thread or open
 * an interrupt window.  `nt_sched_seed` picks the schedule (0: run each
 * thread until it blocks, take interrupts at every point); the step count
 * is printed with any violation.
 */
void nt_sched_point(void);
/* SwitchToThread: a scheduling point that runs another ready thread first, if there is one. */
void nt_yield(void);
/*
 * Another CPU running a thread of `proc` that writes the process's own
 * memory: until cleared (fn NULL), fn(arg) runs at the entry of every kernel
 * routine the driver calls while `proc`'s address space is in use, at any
 * IRQL.  On one CPU, that is what "at any moment" looks like to a driver
 * that reads user memory twice.
 */
void nt_set_other_cpu(struct nt_process *proc, void (*fn)(void *arg), void *arg);
void nt_sched_seed(uint64_t seed);
uint64_t nt_sched_steps(void);

/* ---- memory manager internals the I/O manager needs (nt/mm*.c) ------------------ */

/* The DDK's MmProbeAndLockPages / MmUnlockPages, for the I/O manager's own MDLs. */
/* (exported: the harness calls them directly) */

/*
 * After surprise removal or once resources are released, the device's
 * BARs must not be touched: every system mapping of [pa, pa+len) is made
 * not-present, so an access faults and becomes a violation naming the
 * driver's instruction.  Later MmMapIoSpace of the range is a violation too.
 */
void nt_mm_revoke_io(uint64_t pa, uint64_t len, const char *why);
void nt_mm_restore_io(uint64_t pa, uint64_t len);
/*
 * A function in D3 (decoding off) answers reads of its registers with all
 * ones, as PCI does for a cycle nobody claims, and takes no writes: every
 * system mapping of [pa, pa+len) reads as ones and a write faults (a
 * violation).  nt_mm_restore_io ends it.
 */
void nt_mm_float_io(uint64_t pa, uint64_t len);
/* Counts the leak check at unload looks at. */
uint64_t nt_mm_locked_pages(void);
uint64_t nt_mm_mapped_views(void);
/* The name of a process a user mapping of [pa, pa+len) lives in; NULL if none. */
const char *nt_mm_process_mapping(uint64_t pa, uint64_t len);
uint64_t nt_mm_contiguous_bytes(void);
/*
 * Whether MmAllocatePagesForMdlEx gives one run of pages to a caller that
 * prefers it (MM_ALLOCATE_PREFER_CONTIGUOUS) when there is one (the
 * default), or scattered pages as to everyone else; and how many runs of
 * adjacent pages its last allocation gave.
 */
void nt_mm_prefer_contiguous(bool honoured);
size_t nt_mm_last_pages_runs(void);
/* Mappings of device memory MmMapIoSpace(Ex) made and MmUnmapIoSpace has not undone. */
uint64_t nt_mm_io_mappings(void);
uint64_t nt_mm_mdls(void);

/*
 * The harness's __try/__except: fn(arg), or the code of an exception the
 * executive raised inside it (MmProbeAndLockPages on a bad user buffer)
 * with no driver frame in between.  An exception that passes driver
 * frames and none of them handles is KMODE_EXCEPTION_NOT_HANDLED, guard or
 * not.
 */
NTSTATUS nt_call_guarded(NTSTATUS (*fn)(void *arg), void *arg);

/* Time in 100 ns units since boot (KUSER_SHARED_DATA's InterruptTime, kept current). */
uint64_t nt_interrupt_time(void);

/* The routine table the loader binds imports against: NULL if not implemented. */
uint64_t nt_resolve_import(void *ctx, const char *dll, const char *name);

#endif /* NTH_NT_H */
