/* SPDX-License-Identifier: MIT */
/* What the executive's files share (testos-nt/nt). */
#ifndef NTH_NT_INTERNAL_H
#define NTH_NT_INTERNAL_H

#include "nt.h"

#define CALLER() __builtin_return_address(0)

/* Highest IRQL a routine may be called at, checked on entry; also keeps the clock current. */
#define ENTER(routine, max) nt_enter(routine, max, CALLER())
void nt_enter(const char *routine, KIRQL max, const void *caller);

/* ---- threads (sched.c) ---- */
struct seh_guard;
struct seh_dispatch;
enum thread_state {
	THREAD_READY,
	THREAD_RUNNING,
	THREAD_WAITING,
	THREAD_FINISHED
};

struct nt_thread {
	struct plat_context ctx;
	struct nt_process *process;  /* the owner */
	struct nt_process *attached; /* KeStackAttachProcess: the process whose space is in use */
	const char *name;
	nt_thread_fn fn;
	void *arg;
	enum thread_state state;
	void *stack;
	size_t stack_pages;
	KIRQL irql; /* CR8 while switched out */
	/* while WAITING: what would end the wait */
	bool (*ready)(struct nt_thread *self, void *what);
	void *what;
	uint64_t deadline; /* interrupt time, 100 ns; 0: none */
	bool timed_out;
	void *user_stack;   /* in the process's user range; NULL for system threads */
	bool in_user_mode;  /* running on user_stack */
	void *kernel_rsp;   /* where the kernel stack was left when the thread went to user mode */
	void *exit_jump[5]; /* __builtin_setjmp's: where a terminated thread leaves user mode */
	unsigned spin_locks_held;
	unsigned fast_mutexes_held;
	struct seh_guard *guards;       /* nt_call_guarded's, innermost first */
	struct seh_dispatch *exception; /* the one being dispatched (seh.c) */
	struct nt_thread *next;         /* every thread, in creation order */
};

/*
 * Block the current thread until ready(self, what) says so or the
 * deadline (interrupt time, 0: none) passes; true if ready, false on timeout.
 */
bool nt_block(bool (*ready)(struct nt_thread *self, void *what), void *what, uint64_t deadline);
/* Run fn(arg) on `stack_top`; *saved_rsp (if not NULL) gets the stack pointer left (stack_call.S). */
void nt_stack_call(void (*fn)(void *arg), void *arg, void *stack_top, void **saved_rsp);
/* Switch the CPU's user range to what the current thread's context says. */
void nt_thread_space_sync(void);
/* Lets the other CPU of nt_set_other_cpu run, if the driver called and its process is current. */
void nt_other_cpu_step(const void *caller);

/* ---- processes (process.c) ---- */
void nt_process_finish(struct nt_process *proc);
void nt_process_notify(struct nt_process *proc, bool create);

/* ---- DPCs (dpc.c) ---- */
bool nt_dpc_pending(void);

/* ---- memory (pool.c, mm_*.c) ---- */
bool nt_is_driver_address(const void *addr);
uint64_t nt_driver_base(void);
uint64_t nt_driver_size(void);
void nt_mm_init(void);

/* ---- exception dispatch (seh.c) ---- */
__attribute__((noreturn)) void nt_raise(NTSTATUS code, const char *routine, const void *caller);
/* ntoskrnl's __C_specific_handler, under its own name (the CRT headers declare that one). */
EXCEPTION_DISPOSITION nt_c_specific_handler(struct _EXCEPTION_RECORD *record, void *frame,
					    struct _CONTEXT *context,
					    struct _DISPATCHER_CONTEXT *dispatcher_context);

/* ---- the clock (clock.c) ---- */
void nt_clock_tick(void);
/*
 * The clock's tick at or after `at` (interrupt time): when Windows ends a
 * timed wait or fires a timer that is not high-resolution.  Its default
 * period, 15.625 ms, as no program here asks for a finer one.
 */
#define NT_CLOCK_TICK_100NS 156250ull
uint64_t nt_clock_at_tick(uint64_t at);

/* ---- EX_TIMER (timer.c) ---- */
/* Run the callbacks of the timers that are due (below DISPATCH_LEVEL only). */
void nt_timers_run(void);
/* When the next timer is due (interrupt time), 0 if none is set. */
uint64_t nt_timers_next_due(void);

#endif /* NTH_NT_INTERNAL_H */

/* ---- pool for the driver made by other routines, and freeing either kind (pool.c) ---- */
/* Free a block whoever allocated it (RtlFreeUnicodeString of a name the I/O manager made). */
void nt_pool_free_any(void *p, const char *routine, const void *caller);

/* ---- user address ranges (process.c) ---- */
/* A free run of `npages` in `proc`'s user range (not mapped yet), 0 if none. */
uint64_t nt_user_reserve(struct nt_process *proc, size_t npages);

/* ---- MDL records (mdl.c) ---- */
enum mdl_source {
	MDL_FROM_IO_ALLOCATE,
	MDL_FROM_PAGES
};
void nt_mdl_track(PMDL mdl, enum mdl_source source);
void nt_mdl_untrack(PMDL mdl, const char *routine, const void *caller);
void nt_mdl_pages_locked(int64_t delta);

/* A pool tag from its four characters, in the order pool tools show them. */
#define NT_TAG(a, b, c, d) ((ULONG)(a) | (ULONG)(b) << 8 | (ULONG)(c) << 16 | (ULONG)(d) << 24)
