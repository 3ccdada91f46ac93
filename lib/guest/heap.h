/* SPDX-License-Identifier: MIT */
/*
 * A test guest's own heap: zero-filled blocks of powers of two up to 2 KiB
 * carved from pages, whole pages beyond.  A header before each block says
 * which, so heap_free needs no size and catches pointers it never gave
 * out; the heap counts what is live, so that tests can prove a teardown
 * gave everything back.  Not thread-safe: the guests run one CPU's code at
 * a time.
 */
#ifndef GUEST_HEAP_H
#define GUEST_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define HEAP_PAGE_SIZE 4096u

/* Zero-filled, 16-byte aligned (a size of 0 gets the smallest block); NULL when full. */
void *heap_alloc(size_t size);
/* NULL is ignored; anything heap_alloc did not return, or returned and was freed, is misuse. */
void heap_free(void *ptr);
/* Allocations not yet freed. */
uint32_t heap_live_allocations(void);

/* What the kernel that links the heap provides: */
/* `count` adjacent pages, NULL when there is no such run. */
void *heap_pages(size_t count);
void heap_pages_free(void *pages, size_t count);
/* A misuse of the heap; does not return. */
__attribute__((noreturn)) void heap_misuse(const char *why);

#endif /* GUEST_HEAP_H */
