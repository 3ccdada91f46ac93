/* SPDX-License-Identifier: MIT */
/* Placeholder harness: the platform's own checks, until the NT scenarios take over. */
#include "platform_checks.h"

static unsigned passed, failed;

void check_case(const char *name, bool ok)
{
	con_printf("%s %s\n", ok ? "PASS" : "FAIL", name);
	if (ok)
		passed++;
	else
		failed++;
}

void harness_main(void)
{
	con_printf("testos-nt: platform up\n");
	check_console();
	check_memory();
	check_paging();
	check_traps();
	check_clock();
	check_contexts();
	check_virtio_gpu();
	con_printf("testos-nt: %u passed, %u failed\n", passed, failed);
	plat_exit(failed ? 1 : 0);
}
