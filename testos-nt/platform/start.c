/* SPDX-License-Identifier: MIT */
/* From boot/entry.S to the harness: the machine brought up in dependency order. */
#include "com1.h"
#include "internal.h"

void plat_start(uint32_t multiboot_info);

void plat_start(uint32_t multiboot_info)
{
	serial_init();
	bootinfo_init(multiboot_info);
	pages_init();
	paging_init();
	trap_init();
	clock_init();
	lapic_init();
	ioapic_init();
	harness_main();
	plat_panic("harness_main returned without plat_exit");
}
