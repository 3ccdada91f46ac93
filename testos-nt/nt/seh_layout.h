/* SPDX-License-Identifier: MIT */
/*
 * Offsets of the DDK's x64 CONTEXT (ntddk.h) that seh_context.S reads and
 * writes; seh.c checks each against the C structure.
 */
#ifndef NTH_SEH_LAYOUT_H
#define NTH_SEH_LAYOUT_H

#define CTX_RAX 0x78
#define CTX_RCX 0x80
#define CTX_RDX 0x88
#define CTX_RBX 0x90
#define CTX_RSP 0x98
#define CTX_RBP 0xA0
#define CTX_RSI 0xA8
#define CTX_RDI 0xB0
#define CTX_R8 0xB8
#define CTX_R9 0xC0
#define CTX_R10 0xC8
#define CTX_R11 0xD0
#define CTX_R12 0xD8
#define CTX_R13 0xE0
#define CTX_R14 0xE8
#define CTX_R15 0xF0
#define CTX_RIP 0xF8
#define CTX_XMM0 0x1A0

#endif /* NTH_SEH_LAYOUT_H */
