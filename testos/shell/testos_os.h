/* SPDX-License-Identifier: MIT */
/*
 * The kmd core's OS callbacks (kmd/core/os.h) for the test guest: one CPU,
 * no interrupts (polled mode), identity-mapped memory, MMIO through plain
 * volatile accesses.  It counts what it hands out so that the scenarios can
 * prove the core gave everything back.
 */
#ifndef TESTOS_SHELL_OS_H
#define TESTOS_SHELL_OS_H

#include <stdint.h>

#include "os.h"
#include "../kernel/pci.h"

struct vgpu_device;

/* Pages per piece of a resource's backing: small and odd, so that big resources scatter. */
#define TESTOS_BACKING_RUN_PAGES 3u

struct testos_env {
	struct vgpu_os os;
	struct pci_device pci;
	/* Set once the device exists: waits poll its used ring through it. */
	struct vgpu_device *dev;

	uint32_t dma_pages;
	uint32_t backing_pages;
	uint32_t backings;
	uint32_t last_backing_extents;
	uint32_t mappings;
	uint32_t locks_live;
	uint32_t events_live;
};

/* Fill env->os; env->pci must already describe the device. */
void testos_os_init(struct testos_env *env);

#endif /* TESTOS_SHELL_OS_H */
