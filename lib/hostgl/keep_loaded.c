/* SPDX-License-Identifier: MIT */
/*
 * glibc promotes an object that is already loaded to RTLD_NODELETE when it
 * is opened again with RTLD_NOLOAD | RTLD_NODELETE.  The names are gathered
 * first: dl_iterate_phdr holds the loader's lock, dlopen must not run under it.
 */
#include "keep_loaded.h"

#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#define MAX_OBJECTS 512u
#define MAX_NAME 512u

struct loaded {
	unsigned count;
	char names[MAX_OBJECTS][MAX_NAME];
};

static int note_object(struct dl_phdr_info *info, size_t size, void *data)
{
	struct loaded *loaded = data;
	const char *name = info->dlpi_name;

	(void)size;
	/* The program itself and the vDSO have no file name to open. */
	if (!name || !name[0] || strlen(name) >= MAX_NAME)
		return 0;
	if (loaded->count == MAX_OBJECTS)
		return 1;
	strcpy(loaded->names[loaded->count++], name);
	return 0;
}

void host_gl_keep_loaded(void)
{
	static struct loaded loaded;
	unsigned i;

	loaded.count = 0;
	dl_iterate_phdr(note_object, &loaded);
	for (i = 0; i < loaded.count; i++) {
		if (!dlopen(loaded.names[i], RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE))
			fprintf(stderr, "host_gl_keep_loaded: %s: %s\n", loaded.names[i],
				dlerror());
	}
}
