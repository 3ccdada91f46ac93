/* SPDX-License-Identifier: MIT */
/*
 * The machine under the NT harness (testos-nt/platform, testos-nt/boot):
 * one x86-64 CPU in long mode, booted by QEMU's multiboot loader, serial
 * console, RAM, page tables, the local APIC, PCI configuration space.
 * Nothing here knows about Windows; the executive (nt/) and the I/O
 * manager (io/) are built on it.
 *
 * Memory map, as both sides rely on it:
 *  - RAM is identity mapped (VA == PA, 2 MiB pages, writable, NX) in
 *    every address space; so is everything else below 4 GiB (PCI MMIO,
 *    uncached).  The harness image sits at 2 MiB; up to its end the map is
 *    in 4 KiB pages: page 0 absent (NULL faults), the image's code
 *    read-only and the only executable RAM.
 *  - user address spaces (one per harness process) cover
 *    [USER_VA_BASE, USER_VA_END): 4 KiB pages, private to the space.
 *  - system mappings (MmMapIoSpace, MDL system addresses) come from
 *    [SYSVA_BASE, SYSVA_END), 4 KiB pages, shared by all spaces.
 *  - KUSER_SHARED_DATA is mapped read-only at 0xFFFFF78000000000 in every
 *    space; plat_shared_data() is its writable alias.
 */
#ifndef NTH_PLATFORM_H
#define NTH_PLATFORM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heap.h"

#define PLAT_PAGE_SIZE 4096u
#define USER_VA_BASE 0x0000010000000000ull /* 1 TiB: inside Windows' user half */
#define USER_VA_END 0x0000018000000000ull
#define SYSVA_BASE 0xFFFF900000000000ull
#define SYSVA_END 0xFFFF900080000000ull
#define SHARED_DATA_VA 0xFFFFF78000000000ull

/* console (COM1) */
void con_write(const char *s, size_t len);
/* %d %i %u %x %X %o %c %s %p, with l/ll/z/h modifiers, width, '0' and '-' flags */
int con_vprintf(const char *fmt, va_list ap);
int con_printf(const char *fmt, ...) __attribute__((format(gnu_printf, 1, 2)));
int str_vformat(char *buf, size_t cap, const char *fmt, va_list ap);
int str_format(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(gnu_printf, 3, 4)));

/* The run's end: QEMU exits with status (code << 1) | 1 (isa-debug-exit). */
__attribute__((noreturn)) void plat_exit(uint8_t code);

/* monotonic time since boot, TSC calibrated on the PIT */
uint64_t plat_now_ns(void);

/*
 * The multiboot command line after the kernel's own name (QEMU's -append;
 * "" if none) and the modules (0: found), each with the loader's string
 * for it (QEMU: the -initrd entry, path first).
 */
const char *plat_cmdline(void);
int plat_module(unsigned index, const void **base, size_t *len, const char **cmdline);

/*
 * Physical pages, identity mapped.  page_alloc gives `npages` physically
 * contiguous zeroed pages (NULL when there is no such run); page_free
 * returns them.  page_alloc_scattered gives one page at a time from the top
 * of RAM downwards, leaving holes, so that multi-page buffers built from it
 * are never physically adjacent (what MmAllocatePagesForMdlEx returns on a
 * real machine).
 */
void *page_alloc(size_t npages);
void *page_alloc_scattered(void);
void page_free(void *pages, size_t npages);
size_t page_free_count(void);
uint64_t plat_ram_bytes(void);

/* the harness's own heap (not the driver's pool) is lib/guest/heap.h */

/* freestanding string helpers the harness and the shared encoders use */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* 4 KiB mappings.  Flags: */
#define VM_WRITE 0x1u
#define VM_USER 0x2u
#define VM_NX 0x4u
#define VM_UNCACHED 0x8u
#define VM_WRITE_COMBINED 0x10u
struct vm_space;
/* A new user address space (its user range empty), or NULL. */
struct vm_space *vm_space_create(void);
/* Unmaps the whole user range (not the pages behind it) and frees the tables. */
void vm_space_destroy(struct vm_space *space);
/* Make `space`'s user range the CPU's (NULL: no user range at all). */
void vm_space_switch(struct vm_space *space);
struct vm_space *vm_space_current(void);
/*
 * Map/unmap in the system range or the current space's user range; 0 or -1
 * (-1 also when a page is mapped already).  Unmapping a page that is not
 * mapped ends the run: the caller has lost track of its mappings.
 */
int vm_map(uint64_t va, uint64_t pa, size_t npages, unsigned flags);
void vm_unmap(uint64_t va, size_t npages);
/* 0, the physical address of `va` (its offset in the page included) and the page's flags. */
int vm_translate(uint64_t va, uint64_t *pa, unsigned *flags);
/* A free run of `npages` in the system range (not yet mapped), 0 if none. */
uint64_t sysva_alloc(size_t npages);
void sysva_free(uint64_t va, size_t npages);
/* KUSER_SHARED_DATA's writable alias (the executive keeps InterruptTime there). */
void *plat_shared_data(void);

/*
 * Interrupts.  The CPU runs with IF clear; interrupts are taken only in
 * irq_window() and irq_idle(), so that where they can happen is decided by
 * the harness (deterministic interleaving).  CR8 is the IRQL, as on Windows
 * x64: the local APIC holds back every vector whose class (vector >> 4) is
 * at or below it.
 */
typedef void (*irq_handler_fn)(void *ctx, uint8_t vector);
/* A free vector of class `irql` (3..14) bound to fn; 0 if none. */
uint8_t irq_vector_alloc(uint8_t irql, irq_handler_fn fn, void *ctx);
void irq_vector_free(uint8_t vector);
/* Take whatever interrupts the local APIC has pending, then return (IF clear again). */
void irq_window(void);
/* Halt with interrupts enabled until one arrives or `deadline_ns` passes. */
void irq_idle(uint64_t deadline_ns);
/* Handlers run with IF clear and must call this once they are done with the vector. */
void lapic_eoi(void);
/* The MSI/MSI-X address and data that raise `vector` on this CPU (fixed, edge). */
uint64_t msi_address(void);
uint32_t msi_data(uint8_t vector);
/*
 * Route an I/O APIC input to `vector` as PCI INTx (level-triggered, active
 * high as QEMU's ACPI tables declare it), keeping its mask as it was
 * (inputs start masked): ioapic_mask opens it.  0, or -1 for no such input.
 */
int ioapic_route(unsigned gsi, uint8_t vector);
void ioapic_mask(unsigned gsi, bool masked);
/* The GSI that a PCI function's INTx pin reaches (its Interrupt Line as the firmware set it). */
unsigned pci_intx_gsi(uint32_t bdf);

/*
 * CPU exceptions.  A hook sees every exception first; it returns true when
 * it has dealt with it (it may change the frame, e.g. rip and rsp, to
 * resume elsewhere).  Unhandled: the frame is printed and the run ends
 * (exit code 5).
 */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};
typedef bool (*trap_hook_fn)(struct trap_frame *frame, uint64_t cr2);
void plat_set_trap_hook(trap_hook_fn hook);

/*
 * Threads of execution for the executive's scheduler: a saved stack
 * pointer; plat_context_switch saves the callee-saved registers of the
 * Microsoft x64 convention (rbx rbp rdi rsi r12-r15, xmm6-xmm15) on the
 * current stack and resumes `to`.
 */
struct plat_context {
	uint64_t rsp;
};
void plat_context_init(struct plat_context *ctx, void *stack, size_t stack_size,
		       void (*entry)(void *arg), void *arg);
void plat_context_switch(struct plat_context *from, const struct plat_context *to);

/* PCI configuration space (mechanism #1), bus/device/function packed as below. */
#define PCI_BDF(bus, dev, fn) (((uint32_t)(bus) << 8) | ((uint32_t)(dev) << 3) | (uint32_t)(fn))
uint32_t pci_cfg_read(uint32_t bdf, uint32_t offset, unsigned width);
void pci_cfg_write(uint32_t bdf, uint32_t offset, unsigned width, uint32_t value);
struct pci_bar {
	uint64_t addr; /* as the firmware assigned it; 0: not implemented */
	uint64_t len;
	bool io, is64, prefetchable;
};
/* Size BAR `index` (0..5) of a function; the upper half of a 64-bit BAR reads as unused. */
void pci_bar_probe(uint32_t bdf, unsigned index, struct pci_bar *out);

/* The harness proper (scenarios/main.c): called once the machine is up; ends with plat_exit. */
void harness_main(void);

#endif /* NTH_PLATFORM_H */
