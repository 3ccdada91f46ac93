/* SPDX-License-Identifier: MIT */
/*
 * The files QEMU's multiboot loader placed in memory beside the kernel
 * (`-initrd "FILE1,FILE2"`): the captures the guest replays.  They lie
 * right after the kernel image, so the page allocator must start after
 * them.
 */
#ifndef TESTOS_KERNEL_MODULES_H
#define TESTOS_KERNEL_MODULES_H

#include <stdint.h>

#define MODULES_MAX 8u
#define MODULE_LABEL_MAX 32u

struct boot_module {
	const void *bytes;
	uint32_t len;
	char label[MODULE_LABEL_MAX]; /* the file's base name without extension */
};

/*
 * Take the modules of the loader's information block at `info` (NULL-safe
 * when it has none) that lie below `ram_end`; panics on a module list
 * the guest cannot trust.  Returns the first byte after the kernel and
 * everything the loader placed after it.
 */
uint32_t modules_init(const void *info, uintptr_t kernel_end, uint32_t ram_end);

uint32_t modules_count(void);
const struct boot_module *module_at(uint32_t index);

#endif /* TESTOS_KERNEL_MODULES_H */
