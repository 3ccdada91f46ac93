/* SPDX-License-Identifier: MIT */
#include "check.h"

#include <stdarg.h>

#include "../kernel/clock.h"
#include "../kernel/kprint.h"

static bool failing;
static uint32_t passed, failed;

void check_failed(const char *what, const char *file, int line)
{
	failing = true;
	kprintf("# check failed: %s (%s:%d)\n", what, file, line);
}

void check_failed_eq(const char *what, long long got, long long want, const char *file, int line)
{
	failing = true;
	kprintf("# check failed: %s: got %lld, want %lld (%s:%d)\n", what, got, want, file, line);
}

bool case_failing(void)
{
	return failing;
}

void report_casef(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		passed++;
	else
		failed++;
	kprintf("%s ", ok ? "PASS" : "FAIL");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
}

void report_case(const char *name, bool ok)
{
	report_casef(ok, "%s", name);
}

void run_suite(const struct test_suite *suite, struct testos_gpu *gpu)
{
	uint32_t i;

	for (i = 0; i < suite->count; i++) {
		const struct test_case *c = &suite->cases[i];
		uint64_t start = clock_now_ns();

		failing = false;
		c->run(gpu);
		kprintf("# %s.%s took %llu us\n", suite->name, c->name,
			(unsigned long long)((clock_now_ns() - start) / 1000u));
		if (failing)
			failed++;
		else
			passed++;
		kprintf("%s %s.%s\n", failing ? "FAIL" : "PASS", suite->name, c->name);
	}
}

uint32_t cases_passed(void)
{
	return passed;
}

uint32_t cases_failed(void)
{
	return failed;
}
