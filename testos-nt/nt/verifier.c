/* SPDX-License-Identifier: MIT */
/*
 * Violations: a kernel rule the driver broke ends the scenario, naming the
 * routine, the rule and the driver's function that called it, and the
 * schedule step, so that the run can be read and replayed.
 */
#include "internal.h"
#include "pe_loader.h"

static nt_violation_hook_fn violation_hook;
static uint64_t driver_base, driver_size;
static const struct pe_symbols *driver_syms;
static bool in_violation;

void nt_set_violation_hook(nt_violation_hook_fn hook)
{
	violation_hook = hook;
}

void nt_set_driver_image(uint64_t base, uint64_t size, const struct pe_symbols *syms)
{
	driver_base = base;
	driver_size = size;
	driver_syms = syms;
}

bool nt_is_driver_address(const void *addr)
{
	uint64_t a = (uint64_t)(uintptr_t)addr;

	return driver_size && a >= driver_base && a - driver_base < driver_size;
}

uint64_t nt_driver_base(void)
{
	return driver_base;
}

uint64_t nt_driver_size(void)
{
	return driver_size;
}

void nt_describe_address(const void *addr, char *buf, size_t cap)
{
	uint64_t a = (uint64_t)(uintptr_t)addr;
	char name[128];

	if (nt_is_driver_address(addr) && driver_syms) {
		pe_symbolize(driver_syms, (uint32_t)(a - driver_base), name, sizeof(name));
		str_format(buf, cap, "vgpu.sys!%s", name);
	} else if (nt_is_driver_address(addr)) {
		str_format(buf, cap, "vgpu.sys+0x%llx", (unsigned long long)(a - driver_base));
	} else {
		str_format(buf, cap, "harness!0x%llx", (unsigned long long)a);
	}
}

void nt_violation(const char *routine, const char *rule, const void *caller, const char *fmt, ...)
{
	char where[160], details[256];
	va_list ap;

	if (in_violation) {
		con_printf("VIOLATION (while reporting another) %s: %s\n", routine, rule);
		plat_exit(5);
	}
	in_violation = true;
	va_start(ap, fmt);
	str_vformat(details, sizeof(details), fmt, ap);
	va_end(ap);
	nt_describe_address(caller, where, sizeof(where));
	con_printf("VIOLATION %s: %s: %s\n", routine, rule, details);
	con_printf("#   called from %s, IRQL %u, thread %s, schedule step %llu\n", where,
		   (unsigned)nt_irql(), nt_current_thread() ? nt_current_thread()->name : "?",
		   (unsigned long long)nt_sched_steps());
	if (violation_hook)
		violation_hook(rule);
	plat_exit(5);
}

void nt_enter(const char *routine, KIRQL max, const void *caller)
{
	nt_clock_tick();
	nt_require_irql(routine, max, caller);
	nt_other_cpu_step(caller);
}
