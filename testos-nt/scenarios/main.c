/* SPDX-License-Identifier: MIT */
/*
 * The guest's program: find vgpu.sys among the boot modules, then run the
 * scenarios in order and end with "testos-nt: N passed, N failed".  Booted
 * with captures (modules with role=capture), it replays those after the
 * bring-up instead of running the other scenarios, as testos does.
 *
 * A violation ends the boot in the middle of a scenario (the driver's
 * state is then unknown); the guest prints "testos-nt: resume-from K" and
 * run.sh boots it again with "resume=K" on the command line, which
 * brings the driver up silently and carries on with scenario K.
 */
#include "platform_checks.h"
#include "replay.h"
#include "scenario.h"

struct world world;

struct list {
	const struct scenario *items;
	const unsigned *count;
	bool needs_host_visible; /* run only when the pass set up host-visible memory */
};

static const struct list lists[] = {
	{ scenarios_bringup, &scenarios_bringup_count, false },
	{ scenarios_device, &scenarios_device_count, false },
	{ scenarios_misuse, &scenarios_misuse_count, false },
	{ scenarios_validation, &scenarios_validation_count, false },
	{ scenarios_cancel, &scenarios_cancel_count, false },
	{ scenarios_memory, &scenarios_memory_count, false },
	{ scenarios_blob, &scenarios_blob_count, false },
	{ scenarios_host_visible, &scenarios_host_visible_count, true },
	{ scenarios_lifecycle, &scenarios_lifecycle_count, false },
};

static unsigned passed, failed;
static unsigned current_index; /* in the whole ordered list */
static const char *current_name;
static const struct scenario *current; /* NULL outside the scenarios */
static bool current_failed;
static bool quiet; /* bring-up repeated after a resume: counted before */

void check_failed(const char *file, int line, const char *expr, int64_t got, int64_t want)
{
	if (got != want)
		con_printf("# check failed: %s:%d: %s (got %lld, want %lld)\n", file, line, expr,
			   (long long)got, (long long)want);
	else
		con_printf("# check failed: %s:%d: %s\n", file, line, expr);
	current_failed = true;
}

bool scenario_failing(void)
{
	return current_failed;
}

/* The platform's self-test (platform_checks.h): one case each. */
void check_case(const char *name, bool ok)
{
	con_printf("%s %s\n", ok ? "PASS" : "FAIL", name);
	if (ok)
		passed++;
	else
		failed++;
}

static void platform_self_test(void)
{
	check_console();
	check_memory();
	check_paging();
	check_traps();
	check_clock();
	check_contexts();
	check_virtio_gpu();
}

static void summary(void)
{
	con_printf("testos-nt: %u passed, %u failed\n", passed, failed);
}

static void on_violation(const char *rule)
{
	if (current && current->expected_violation && !strcmp(rule, current->expected_violation)) {
		con_printf("PASS %s (the violation it expects)\n", current_name);
		passed++;
	} else {
		con_printf("FAIL %s\n", current_name ? current_name : "testos-nt.harness");
		failed++;
	}
	summary();
	con_printf("# testos-nt: resume-from %u\n", current_index + 1);
	plat_exit(failed ? 1 : 0);
}

/* The number after "NAME=" on the guest's command line; 0 if it has none. */
static unsigned cmdline_number(const char *name)
{
	const char *p;
	size_t len = strlen(name);
	unsigned n = 0;

	for (p = plat_cmdline(); *p; p++) {
		if ((p == plat_cmdline() || p[-1] == ' ') && strncmp(p, name, len) == 0 &&
		    p[len] == '=') {
			for (p += len + 1; *p >= '0' && *p <= '9'; p++)
				n = n * 10 + (unsigned)(*p - '0');
			return n;
		}
	}
	return 0;
}

static bool has_role(const char *cmdline, const char *role)
{
	size_t n = strlen(role);
	const char *p;

	for (p = cmdline; *p; p++)
		if (strncmp(p, "role=", 5) == 0 && strncmp(p + 5, role, n) == 0 &&
		    (p[5 + n] == '\0' || p[5 + n] == ' '))
			return true;
	return false;
}

/* A capture module, labelled by its file name as testos labels them. */
static void add_capture(const void *base, size_t len, const char *cmdline)
{
	struct capture_module *c = &world.captures[world.ncaptures];

	if (world.ncaptures == CAPTURES_MAX) {
		con_printf("# more than %u captures: %s is not replayed\n", CAPTURES_MAX, cmdline);
		check_case("testos-nt.captures", false);
		return;
	}
	c->bytes = base;
	c->len = len;
	replay_label(c->label, sizeof(c->label), cmdline, world.ncaptures);
	world.ncaptures++;
}

static void find_modules(void)
{
	const void *base;
	const char *cmdline;
	size_t len;
	unsigned i;

	for (i = 0; plat_module(i, &base, &len, &cmdline) == 0; i++) {
		if (has_role(cmdline, "driver")) {
			world.sys = base;
			world.sys_len = len;
		} else if (has_role(cmdline, "symbols")) {
			world.symbols = base;
			world.symbols_len = len;
		} else if (has_role(cmdline, "capture")) {
			add_capture(base, len, cmdline);
		}
	}
}

static void run_one(const struct scenario *s)
{
	current = s;
	current_name = s->name;
	current_failed = false;
	if (!quiet)
		con_printf("# scenario %s\n", s->name);
	s->run();
	if (s->expected_violation) {
		con_printf("# the scenario ended without the violation it expects: %s\n",
			   s->expected_violation);
		current_failed = true;
	}
	if (quiet && !current_failed)
		return;
	con_printf("%s %s\n", current_failed ? "FAIL" : "PASS", s->name);
	if (current_failed)
		failed++;
	else
		passed++;
}

/* A capture's replay in the place of a scenario: a violation names it and resumes after it. */
static void run_replay(const struct capture_module *capture)
{
	static char name[CAPTURE_LABEL_MAX + 8];

	str_format(name, sizeof(name), "replay.%s", capture->label);
	current_name = name;
	if (!quiet)
		con_printf("# scenario %s\n", name);
	replay_module(capture);
}

void harness_main(void)
{
	unsigned resume = cmdline_number("resume"), l, i, nlists, bringup = scenarios_bringup_count;

	if (!resume)
		platform_self_test();
	nt_init();
	nt_set_violation_hook(on_violation);
	if (!resume)
		check_exceptions();
	find_modules();
	world.host_visible_mib = cmdline_number("host-visible");
	con_printf("# testos-nt: vgpu.sys %zu bytes, symbols %zu bytes, %u captures, "
		   "host-visible memory %u MiB%s\n",
		   world.sys_len, world.symbols_len, world.ncaptures, world.host_visible_mib,
		   resume ? " (resumed after a violation)" : "");
	/* With captures, their replays follow the bring-up instead of the other scenarios. */
	nlists = world.ncaptures ? 1 : sizeof(lists) / sizeof(lists[0]);
	current_index = 0;
	for (l = 0; l < nlists; l++) {
		if (lists[l].needs_host_visible && !world.host_visible_mib)
			continue;
		for (i = 0; i < *lists[l].count; i++, current_index++) {
			quiet = resume && current_index < bringup;
			if (resume && current_index >= bringup && current_index < resume)
				continue;
			run_one(&lists[l].items[i]);
		}
	}
	current = NULL;
	quiet = false;
	for (i = 0; i < world.ncaptures; i++, current_index++)
		if (current_index >= resume)
			run_replay(&world.captures[i]);
	current_name = NULL;
	summary();
	plat_exit(failed ? 1 : 0);
}
