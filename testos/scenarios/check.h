/* SPDX-License-Identifier: MIT */
/*
 * Scenario cases and their checks.  Each case prints one line the host
 * runner collects, "PASS suite.case" or "FAIL suite.case", after a
 * "# check failed: ..." line per failed check.
 */
#ifndef TESTOS_SCENARIOS_CHECK_H
#define TESTOS_SCENARIOS_CHECK_H

#include <stdbool.h>
#include <stdint.h>

struct testos_gpu;

struct test_case {
	const char *name;
	void (*run)(struct testos_gpu *gpu);
};

struct test_suite {
	const char *name;
	const struct test_case *cases;
	uint32_t count;
};

#define TEST_SUITE(suite_name, case_array)                                                         \
	const struct test_suite suite_##suite_name = {                                             \
		#suite_name, case_array, sizeof(case_array) / sizeof(case_array[0])                \
	}

void check_failed(const char *what, const char *file, int line);
void check_failed_eq(const char *what, long long got, long long want, const char *file, int line);

#define CHECK(cond) ((cond) ? (void)0 : check_failed(#cond, __FILE__, __LINE__))
#define CHECK_EQ(got, want)                                                                        \
	do {                                                                                       \
		long long got_ = (long long)(got), want_ = (long long)(want);                      \
		if (got_ != want_)                                                                 \
			check_failed_eq(#got, got_, want_, __FILE__, __LINE__);                    \
	} while (0)

/* Has a check of the running case failed?  Lets a case stop before using what failed. */
bool case_failing(void);

void run_suite(const struct test_suite *suite, struct testos_gpu *gpu);
/* One result outside any suite (boot, teardown). */
void report_case(const char *name, bool passed);
/* The same, with a name made like kprintf's output. */
void report_casef(bool passed, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

uint32_t cases_passed(void);
uint32_t cases_failed(void);

#endif /* TESTOS_SCENARIOS_CHECK_H */
