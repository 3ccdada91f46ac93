/* SPDX-License-Identifier: MIT */
/*
 * A minimal TAP producer for vgpu's tests: one test program, several named
 * cases, each "ok N - name" or "not ok N - name" with the failed checks as
 * diagnostics.  The runner counts the cases.
 *
 *   static void test_x(void) { CHECK(a == b); CHECK_EQ(x, 3); }
 *   int main(void) { RUN(test_x); return tap_done(); }
 */
#ifndef VGPU_TESTS_TAP_H
#define VGPU_TESTS_TAP_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_case_failed;
static int tap_cases;
static int tap_failures;

static inline void tap_check(int ok, const char *what, const char *file, int line)
{
	if (!ok) {
		tap_case_failed = 1;
		printf("# check failed: %s (%s:%d)\n", what, file, line);
		fflush(stdout);
	}
}

static inline void tap_check_eq(long long got, long long want, const char *what, const char *file,
				int line)
{
	if (got != want) {
		tap_case_failed = 1;
		printf("# check failed: %s: got %lld, want %lld (%s:%d)\n", what, got, want, file,
		       line);
		fflush(stdout);
	}
}

#define CHECK(cond) tap_check(!!(cond), #cond, __FILE__, __LINE__)
#define CHECK_EQ(got, want)                                                                        \
	tap_check_eq((long long)(got), (long long)(want), #got, __FILE__, __LINE__)

static inline void tap_run(void (*fn)(void), const char *name)
{
	tap_case_failed = 0;
	fn();
	tap_cases++;
	if (tap_case_failed)
		tap_failures++;
	printf("%s %d - %s\n", tap_case_failed ? "not ok" : "ok", tap_cases, name);
	fflush(stdout);
}

#define RUN(fn) tap_run(fn, #fn)

/* Print the plan and return the process's exit status. */
static inline int tap_done(void)
{
	printf("1..%d\n", tap_cases);
	return tap_failures ? 1 : 0;
}

#endif /* VGPU_TESTS_TAP_H */
