/* SPDX-License-Identifier: MIT */
/*
 * The scenarios' checks: a failed check prints "# check failed: ..." with
 * its place and marks the running scenario failed; the scenario goes on,
 * so one run shows every failure.  A violation of a kernel rule by the
 * driver ends the scenario at once instead (nt_violation).
 */
#ifndef NTH_CHECK_H
#define NTH_CHECK_H

#include <stdbool.h>
#include <stdint.h>

void check_failed(const char *file, int line, const char *expr, int64_t got, int64_t want);
/* A case of its own beside the scenarios (platform checks, replays): "PASS name" / "FAIL name". */
void check_case(const char *name, bool ok);
/* Whether a check of the running scenario has failed. */
bool scenario_failing(void);

#define CHECK(expr)                                                                                \
	do {                                                                                       \
		if (!(expr))                                                                       \
			check_failed(__FILE__, __LINE__, #expr, 0, 0);                             \
	} while (0)

#define CHECK_EQ(got, want)                                                                        \
	do {                                                                                       \
		int64_t got_ = (int64_t)(got), want_ = (int64_t)(want);                            \
		if (got_ != want_)                                                                 \
			check_failed(__FILE__, __LINE__, #got " == " #want, got_, want_);          \
	} while (0)

#endif /* NTH_CHECK_H */
