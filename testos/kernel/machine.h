/* SPDX-License-Identifier: MIT */
/*
 * Ending the run.  QEMU's isa-debug-exit device (port 0xf4) turns a write
 * of v into the exit status (v << 1) | 1, so the host runner tells "all
 * passed" (1), "some failed" (3) and "died" (anything else) apart.
 */
#ifndef TESTOS_MACHINE_H
#define TESTOS_MACHINE_H

#include <stdbool.h>

/* Status 1 when all_passed, 3 otherwise. */
__attribute__((noreturn)) void machine_exit(bool all_passed);

/* Report a broken invariant of the guest itself and end the run (status 5). */
__attribute__((noreturn)) void machine_panic(const char *why);

#endif /* TESTOS_MACHINE_H */
