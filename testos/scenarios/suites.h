/* SPDX-License-Identifier: MIT */
/* Every scenario suite the guest runs, in order. */
#ifndef TESTOS_SCENARIOS_SUITES_H
#define TESTOS_SCENARIOS_SUITES_H

#include "check.h"

extern const struct test_suite suite_caps;
extern const struct test_suite suite_render;
extern const struct test_suite suite_inflight;
extern const struct test_suite suite_errors;
extern const struct test_suite suite_release;
extern const struct test_suite suite_validation;

#endif /* TESTOS_SCENARIOS_SUITES_H */
