/* SPDX-License-Identifier: MIT */
/*
 * Per-process handle tables: a handle is a reference to a file object,
 * its value a multiple of four as Windows hands them out.  Closing the
 * last handle of a file object cleans it up; a duplicate in another
 * process keeps it open.  When a process's last thread has gone, its
 * handles are closed in the process's own context, in handle order.
 */
#include "io_internal.h"

#define HANDLE_STEP 4u
#define FIRST_CAPACITY 16u

struct io_handle_table {
	unsigned capacity;
	PFILE_OBJECT *files; /* handle (i + 1) * 4 is files[i] */
};

static bool exit_hook_set;

static void process_exit(struct nt_process *proc);

static struct io_handle_table *table_of(struct nt_process *proc)
{
	if (!exit_hook_set) {
		nt_process_set_exit_hook(process_exit);
		exit_hook_set = true;
	}
	if (!proc->handles) {
		proc->handles = io_zalloc(sizeof(*proc->handles));
		proc->handles->capacity = FIRST_CAPACITY;
		proc->handles->files = io_zalloc(FIRST_CAPACITY * sizeof(PFILE_OBJECT));
	}
	return proc->handles;
}

static PFILE_OBJECT *slot_of(struct nt_process *proc, HANDLE handle)
{
	uintptr_t value = (uintptr_t)handle;
	struct io_handle_table *t = proc->handles;

	if (!t || value == 0 || value % HANDLE_STEP || value / HANDLE_STEP > t->capacity)
		return NULL;
	return t->files[value / HANDLE_STEP - 1] ? &t->files[value / HANDLE_STEP - 1] : NULL;
}

HANDLE io_handle_insert(struct nt_process *proc, PFILE_OBJECT file)
{
	struct io_handle_table *t = table_of(proc);
	unsigned i = 0;

	while (i < t->capacity && t->files[i])
		i++;
	if (i == t->capacity) {
		PFILE_OBJECT *bigger = io_zalloc(2 * t->capacity * sizeof(PFILE_OBJECT));

		memcpy(bigger, t->files, t->capacity * sizeof(PFILE_OBJECT));
		heap_free(t->files);
		t->files = bigger;
		t->capacity *= 2;
	}
	t->files[i] = file;
	return (HANDLE)(uintptr_t)((i + 1) * HANDLE_STEP);
}

PFILE_OBJECT io_handle_reference(struct nt_process *proc, HANDLE handle)
{
	PFILE_OBJECT *slot = slot_of(proc, handle);

	if (!slot)
		return NULL;
	ObfReferenceObject(*slot);
	return *slot;
}

/* learn.microsoft.com: windows/win32/api/handleapi/nf-handleapi-closehandle */
BOOL io_close_handle(HANDLE handle, ULONG *error)
{
	PFILE_OBJECT *slot = slot_of(nt_current_process(), handle), file;

	if (!slot) {
		*error = io_win32_error(STATUS_INVALID_HANDLE);
		return FALSE;
	}
	file = *slot;
	*slot = NULL;
	io_file_handle_closed(file);
	*error = 0;
	return TRUE;
}

/* learn.microsoft.com: windows/win32/api/handleapi/nf-handleapi-duplicatehandle */
HANDLE io_duplicate_handle(struct nt_process *from, HANDLE handle, struct nt_process *to)
{
	PFILE_OBJECT file = io_handle_reference(from, handle);
	HANDLE copy;

	if (!file)
		return NULL;
	copy = io_handle_insert(to, file);
	io_file_handle_added(file);
	return copy;
}

/* The process's last thread is gone: it runs here, in the process, to close what is left. */
static void process_exit(struct nt_process *proc)
{
	struct io_handle_table *t = proc->handles;

	if (!t)
		return;
	for (unsigned i = 0; i < t->capacity; i++) {
		PFILE_OBJECT file = t->files[i];

		if (!file)
			continue;
		t->files[i] = NULL;
		io_file_handle_closed(file);
	}
	heap_free(t->files);
	heap_free(t);
	proc->handles = NULL;
}

/* learn.microsoft.com: wdm/nf-wdm-iogetcurrentprocess */
PEPROCESS IoGetCurrentProcess(void)
{
	nt_require_irql("IoGetCurrentProcess", DISPATCH_LEVEL, __builtin_return_address(0));
	return (PEPROCESS)nt_current_process();
}
