/* SPDX-License-Identifier: MIT */
/* A user program of the guest: one process, one thread, run to its end. */
#include "scenario.h"

void run_app(const char *name, void (*fn)(void *arg), void *arg)
{
	struct nt_process *proc = nt_process_create(name);
	struct nt_thread *thread = nt_thread_start(proc, name, fn, arg);

	nt_join(thread);
	nt_process_terminate(proc);
	nt_join(NULL);
}
