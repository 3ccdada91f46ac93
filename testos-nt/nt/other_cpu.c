/* SPDX-License-Identifier: MIT */
/*
 * A second CPU, as far as user memory goes.  The harness runs on one CPU and
 * switches threads only where Windows could block, so a user thread could
 * never change its buffer while the driver runs between two of its reads.
 * On Windows another CPU can, at any instruction: the scenario's writer runs
 * at each kernel routine the driver calls, which is the finest grain the
 * harness sees.
 */
#include "internal.h"

static struct {
	struct nt_process *proc;
	void (*fn)(void *arg);
	void *arg;
	bool running;
} other;

void nt_set_other_cpu(struct nt_process *proc, void (*fn)(void *arg), void *arg)
{
	other.proc = fn ? proc : NULL;
	other.fn = fn;
	other.arg = arg;
}

void nt_other_cpu_step(const void *caller)
{
	if (!other.fn || other.running || !nt_is_driver_address(caller) ||
	    nt_current_process() != other.proc)
		return;
	other.running = true;
	other.fn(other.arg);
	other.running = false;
}
