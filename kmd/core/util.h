/* SPDX-License-Identifier: MIT */
/*
 * Small freestanding helpers the core shares: byte copies, an intrusive
 * list, checked arithmetic.  The core has no libc, so these stand in for
 * the few pieces of it that it needs.
 */
#ifndef VGPU_KMD_UTIL_H
#define VGPU_KMD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VGPU_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define VGPU_PAGE_SIZE 4096u

#define vgpu_container_of(ptr, type, member)                                                       \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* A word that may alias any object, as a byte may. */
typedef uint64_t __attribute__((may_alias)) vgpu_any_word;

/*
 * Volatile stores, so that the compiler cannot turn the loops into a call
 * to memset (there is none); in words where aligned, since rings and
 * request slots are zeroed often.
 */
static inline void vgpu_zero(void *dst, size_t len)
{
	volatile unsigned char *d = dst;
	volatile vgpu_any_word *w;

	for (; len && ((uintptr_t)d & 7u); len--)
		*d++ = 0;
	for (w = (volatile vgpu_any_word *)d; len >= 8; len -= 8)
		*w++ = 0;
	for (d = (volatile unsigned char *)w; len; len--)
		*d++ = 0;
}

/*
 * In words when the two ends can be aligned together: the large copies
 * (command streams into request chunks) are, and the core is built
 * without vector registers.
 */
static inline void vgpu_copy(void *dst, const void *src, size_t len)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if ((((uintptr_t)d ^ (uintptr_t)s) & 7u) == 0) {
		for (; len && ((uintptr_t)d & 7u); len--)
			*d++ = *s++;
		for (; len >= 8; len -= 8, d += 8, s += 8)
			*(vgpu_any_word *)(void *)d = *(const vgpu_any_word *)(const void *)s;
	}
	while (len--)
		*d++ = *s++;
}

static inline uint64_t vgpu_align_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

/* a + b, false on overflow. */
static inline bool vgpu_add_u64(uint64_t a, uint64_t b, uint64_t *out)
{
	return !__builtin_add_overflow(a, b, out);
}

/* a * b, false on overflow. */
static inline bool vgpu_mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
	return !__builtin_mul_overflow(a, b, out);
}

/* Intrusive doubly linked list with a sentinel head. */
struct vgpu_list {
	struct vgpu_list *prev, *next;
};

static inline void vgpu_list_init(struct vgpu_list *head)
{
	head->prev = head->next = head;
}

static inline bool vgpu_list_empty(const struct vgpu_list *head)
{
	return head->next == head;
}

static inline void vgpu_list_add_tail(struct vgpu_list *head, struct vgpu_list *node)
{
	node->prev = head->prev;
	node->next = head;
	head->prev->next = node;
	head->prev = node;
}

static inline void vgpu_list_del(struct vgpu_list *node)
{
	node->prev->next = node->next;
	node->next->prev = node->prev;
	node->prev = node->next = node;
}

#define vgpu_list_first(head, type, member) vgpu_container_of((head)->next, type, member)

#define vgpu_list_for_each_safe(pos, tmp, head)                                                    \
	for (pos = (head)->next, tmp = pos->next; pos != (head); pos = tmp, tmp = pos->next)

#endif /* VGPU_KMD_UTIL_H */
