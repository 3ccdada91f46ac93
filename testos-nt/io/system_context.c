/* SPDX-License-Identifier: MIT */
/*
 * Where the PnP and power managers run: a system thread at PASSIVE_LEVEL.
 * A request made from a thread of another process is handed to a system
 * thread and waited for, as Windows queues it to its PnP worker.
 */
#include "io_internal.h"

void io_in_system_context(void (*fn)(void *arg), void *arg)
{
	if (nt_irql() != PASSIVE_LEVEL)
		nt_violation("I/O manager", "PnP and power requests are made at PASSIVE_LEVEL",
			     IO_HERE(), "IRQL %u", nt_irql());
	if (nt_current_process() == nt_system_process()) {
		fn(arg);
		return;
	}
	nt_join(nt_thread_start(nt_system_process(), "pnp worker", fn, arg));
}
