/* SPDX-License-Identifier: MIT */
/*
 * The platform's own checks: until the harness proper replaces
 * scenarios/main.c, they are its cases, and they show the machine layer
 * working under QEMU.
 */
#ifndef NTH_PLATFORM_CHECKS_H
#define NTH_PLATFORM_CHECKS_H

#include "check.h"
#include "platform.h"

void check_console(void);
void check_memory(void);
void check_paging(void);
void check_traps(void);
void check_clock(void);
void check_contexts(void);
void check_virtio_gpu(void); /* platform_virtio.c: PCI, BARs, MSI-X, INTx */
/* seh_checks.c: the executive's exception dispatch on the harness's frames (after nt_init) */
void check_exceptions(void);

#endif /* NTH_PLATFORM_CHECKS_H */
