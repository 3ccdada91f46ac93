/* SPDX-License-Identifier: MIT */
/*
 * Thread-local variables (libvgpu keeps its last open error in one).
 * mingw's gcc emulates them: each access asks __emutls_get_address for
 * this thread's copy of the variable its control object describes.  A
 * copy is made on first use from the variable's initial value and lives in
 * the thread's process heap until the thread ends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "user.h"

/* gcc's layout of a thread-local variable's control object */
struct emutls_object {
	size_t size;
	size_t align;
	void *unused;
	const void *initial; /* NULL: zero */
};

#define MAX_COPIES 256u

struct tls_copy {
	void *thread;
	const struct emutls_object *object;
	void *data;
};
static struct tls_copy copies[MAX_COPIES];

void *__emutls_get_address(struct emutls_object *object);

void *__emutls_get_address(struct emutls_object *object)
{
	void *self = user_current_thread();
	struct tls_copy *slot = NULL;
	unsigned i;

	for (i = 0; i < MAX_COPIES; i++) {
		if (copies[i].thread == self && copies[i].object == object)
			return copies[i].data;
		if (!slot && (!copies[i].thread || user_thread_finished(copies[i].thread)))
			slot = &copies[i];
	}
	if (!slot || object->align > 16)
		user_misuse("__emutls_get_address", "no room for another thread-local copy",
			    __builtin_return_address(0));
	slot->data = calloc(1, object->size ? object->size : 1);
	if (!slot->data)
		user_misuse("__emutls_get_address", "out of memory for a thread-local copy",
			    __builtin_return_address(0));
	if (object->initial)
		memcpy(slot->data, object->initial, object->size);
	slot->thread = self;
	slot->object = object;
	return slot->data;
}
