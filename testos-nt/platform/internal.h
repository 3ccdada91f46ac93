/* SPDX-License-Identifier: MIT */
/* What the platform's files share among themselves; the harness uses platform.h only. */
#ifndef NTH_PLATFORM_INTERNAL_H
#define NTH_PLATFORM_INTERNAL_H

#include "platform.h"

/* plat_exit's code for a broken machine: an unhandled exception or a platform check. */
#define EXIT_PANIC 5u

/* Prints "PANIC platform: ..." and ends the run. */
__attribute__((noreturn, format(gnu_printf, 1, 2))) void plat_panic(const char *fmt, ...);

/* Bring-up, in this order (platform/start.c). */
void bootinfo_init(uint32_t info_pa);
void pages_init(void);
void paging_init(void);
void trap_init(void);
void clock_init(void);
void lapic_init(void);
void ioapic_init(void);

/* The loader's memory map: usable RAM below 4 GiB, one range per index; false past the last. */
struct ram_range {
	uint64_t base, end;
};
bool bootinfo_ram_range(unsigned index, struct ram_range *out);
/* Everything below this holds the image or what the loader handed over. */
uint64_t bootinfo_reserved_end(void);

/* The platform's own vectors (class 15: above every IRQL but HIGH_LEVEL). */
#define TIMER_VECTOR 0xFEu
#define SPURIOUS_VECTOR 0xFFu

/* Local APIC internals the interrupt code uses. */
void lapic_timer_oneshot(uint8_t vector, uint64_t ns);
void lapic_timer_stop(void);
bool lapic_in_service(uint8_t vector);
uint8_t lapic_id(void);

/* A device or timer interrupt arrived (from platform/trap.c). */
void irq_dispatch(uint8_t vector);

/* The GDT of boot/entry.S (its TSS slot is filled by trap.c) and the boot page tables. */
extern uint64_t boot_gdt[];
extern uint64_t boot_pml4[];
extern uint64_t boot_pd[];

#endif /* NTH_PLATFORM_INTERNAL_H */
