/* SPDX-License-Identifier: MIT */
/*
 * Kernel objects the harness makes (processes, device and file objects):
 * a header before the body carries the type and the reference count that
 * ObfReferenceObject and ObfDereferenceObject keep; the last reference
 * destroys the object.
 */
#include "internal.h"

#define OBJECT_MAGIC 0x6a624f6eu /* "nObj" */

struct object_header {
	uint32_t magic;
	LONG refs;
	const char *type_name;
	void (*destroy)(void *body);
	uint64_t pad;
};
_Static_assert(sizeof(struct object_header) % 16 == 0, "object body alignment");

static struct object_header *header_of(const void *body)
{
	return (struct object_header *)body - 1;
}

void *nt_object_create(size_t body_size, const char *type_name, void (*destroy)(void *body))
{
	struct object_header *h = heap_alloc(sizeof(*h) + body_size);

	if (!h)
		plat_exit(5);
	h->magic = OBJECT_MAGIC;
	h->refs = 1;
	h->type_name = type_name;
	h->destroy = destroy;
	return h + 1;
}

bool nt_is_object(const void *body, const char *type_name)
{
	const struct object_header *h;

	if (!body || (uintptr_t)body < 4096)
		return false;
	h = header_of(body);
	return h->magic == OBJECT_MAGIC && (!type_name || strcmp(h->type_name, type_name) == 0);
}

static struct object_header *checked(const void *body, const char *routine, const void *caller)
{
	if (!nt_is_object(body, NULL))
		nt_violation(routine, "not an object", caller, "%p is no kernel object", body);
	return header_of(body);
}

/* learn.microsoft.com: wdm/nf-wdm-obfreferenceobject */
LONG_PTR ObfReferenceObject(PVOID object)
{
	struct object_header *h;

	ENTER("ObfReferenceObject", DISPATCH_LEVEL);
	h = checked(object, "ObfReferenceObject", CALLER());
	if (h->refs <= 0)
		nt_violation("ObfReferenceObject", "referencing a deleted object", CALLER(),
			     "%s object %p", h->type_name, object);
	return ++h->refs;
}

/* learn.microsoft.com: wdm/nf-wdm-obdereferenceobject */
LONG_PTR ObfDereferenceObject(PVOID object)
{
	struct object_header *h;
	LONG refs;

	ENTER("ObfDereferenceObject", DISPATCH_LEVEL);
	h = checked(object, "ObfDereferenceObject", CALLER());
	if (h->refs <= 0)
		nt_violation("ObfDereferenceObject", "reference count below zero", CALLER(),
			     "%s object %p dereferenced more often than referenced", h->type_name,
			     object);
	refs = --h->refs;
	if (refs == 0) {
		if (h->destroy)
			h->destroy(object);
		h->magic = 0;
		heap_free(h);
	}
	return refs;
}
