/* SPDX-License-Identifier: MIT */
/*
 * File objects as CreateFileW makes them on a device interface: the name
 * is looked up among the enabled interfaces, a FILE_OBJECT made for the
 * PDO the name leads to (its FileName what follows the interface's name),
 * and IRP_MJ_CREATE sent to the top of that device's stack.  When the last
 * handle goes the stack gets IRP_MJ_CLEANUP, in the context of the process
 * closing it; when the last reference goes (handles, IRPs in flight),
 * IRP_MJ_CLOSE.
 */
#include "io_internal.h"

/* CreateFileW(GENERIC_READ | GENERIC_WRITE, share read/write, OPEN_EXISTING) on a device. */
#define CREATE_ACCESS (FILE_GENERIC_READ | FILE_GENERIC_WRITE)
#define CREATE_OPTIONS (FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE)

PDEVICE_OBJECT io_file_device(PFILE_OBJECT file)
{
	return io_stack_top(file->DeviceObject);
}

/* CLEANUP or CLOSE, sent to the file's stack and waited for. */
static void send_file_irp(PFILE_OBJECT file, UCHAR major, const char *origin)
{
	PDEVICE_OBJECT top = io_file_device(file);
	struct io_irp_result result;
	PIO_STACK_LOCATION stack;
	struct io_irp *rec;
	PIRP irp = io_irp_alloc(top->StackSize, origin, &rec);

	irp->RequestorMode = KernelMode;
	irp->Flags = IRP_CLOSE_OPERATION | IRP_SYNCHRONOUS_API;
	irp->Tail.Overlay.Thread = (PETHREAD)nt_current_thread();
	irp->Tail.Overlay.OriginalFileObject = file;
	stack = IoGetNextIrpStackLocation(irp);
	stack->MajorFunction = major;
	stack->FileObject = file;
	rec->process = nt_current_process();
	rec->file = file;
	io_send_and_wait(top, irp, rec, &result);
}

/* The last reference: CLOSE for a file that was opened, then the device learns it. */
static void file_destroyed(void *body)
{
	struct io_file *f = body;

	if (f->opened) {
		if (nt_irql() != PASSIVE_LEVEL)
			nt_violation("ObfDereferenceObject",
				     "the last reference to a file object goes at PASSIVE_LEVEL",
				     IO_HERE(), "IRQL %u", nt_irql());
		send_file_irp(&f->obj, IRP_MJ_CLOSE, "CloseHandle (close)");
		f->dev->open_files--;
		pnp_file_closed(f->dev);
	}
	io_ustring_free(&f->obj.FileName);
}

void io_file_handle_added(PFILE_OBJECT file)
{
	((struct io_file *)file)->handles++;
}

void io_file_handle_closed(PFILE_OBJECT file)
{
	struct io_file *f = (struct io_file *)file;

	if (--f->handles == 0 && f->opened) {
		send_file_irp(file, IRP_MJ_CLEANUP, "CloseHandle (cleanup)");
		file->Flags |= FO_CLEANUP_COMPLETE;
	}
	ObfDereferenceObject(file);
}

static struct io_file *file_new(PDEVICE_OBJECT pdo, const WCHAR *rest)
{
	struct io_file *f = nt_object_create(sizeof(*f), "File", file_destroyed);
	char name[256];

	memset(f, 0, sizeof(*f));
	f->obj.Type = IO_TYPE_FILE;
	f->obj.Size = sizeof(FILE_OBJECT);
	f->obj.DeviceObject = pdo;
	f->obj.Flags = FO_SYNCHRONOUS_IO;
	if (*rest) {
		io_ascii_from_utf16(name, sizeof(name), rest, io_wcslen(rest));
		io_ustring_from_ascii(&f->obj.FileName, name);
	}
	KeInitializeEvent(&f->obj.Lock, SynchronizationEvent, FALSE);
	KeInitializeEvent(&f->obj.Event, NotificationEvent, FALSE);
	return f;
}

PFILE_OBJECT io_file_open(const WCHAR *path, NTSTATUS *status)
{
	struct io_irp_result result;
	IO_SECURITY_CONTEXT security;
	ACCESS_STATE access;
	PIO_STACK_LOCATION stack;
	struct pnp_device *dev;
	PDEVICE_OBJECT pdo, top;
	const WCHAR *rest;
	struct io_file *f;
	struct io_irp *rec;
	PIRP irp;

	if (!io_interface_resolve(path, &pdo, &rest)) {
		*status = STATUS_OBJECT_NAME_NOT_FOUND;
		return NULL;
	}
	dev = pnp_device_of_pdo(pdo);
	top = io_stack_top(pdo);
	if ((top->Flags & DO_EXCLUSIVE) && dev->open_files) {
		*status = STATUS_ACCESS_DENIED;
		return NULL;
	}
	f = file_new(pdo, rest);
	memset(&access, 0, sizeof(access));
	access.OriginalDesiredAccess = access.PreviouslyGrantedAccess = CREATE_ACCESS;
	security = (IO_SECURITY_CONTEXT){ NULL, &access, CREATE_ACCESS,
					  CREATE_OPTIONS | FILE_OPEN << 24 };
	irp = io_irp_alloc(top->StackSize, "CreateFile", &rec);
	irp->RequestorMode = UserMode;
	irp->Flags = IRP_CREATE_OPERATION | IRP_SYNCHRONOUS_API;
	irp->Tail.Overlay.Thread = (PETHREAD)nt_current_thread();
	irp->Tail.Overlay.OriginalFileObject = &f->obj;
	stack = IoGetNextIrpStackLocation(irp);
	stack->MajorFunction = IRP_MJ_CREATE;
	stack->FileObject = &f->obj;
	stack->Parameters.Create.SecurityContext = &security;
	stack->Parameters.Create.Options = CREATE_OPTIONS | FILE_OPEN << 24;
	stack->Parameters.Create.ShareAccess = FILE_SHARE_READ | FILE_SHARE_WRITE;
	rec->process = nt_current_process();
	rec->file = &f->obj;
	*status = io_send_and_wait(top, irp, rec, &result);
	if (!NT_SUCCESS(*status)) {
		ObfDereferenceObject(&f->obj);
		return NULL;
	}
	f->opened = true;
	f->dev = dev;
	dev->open_files++;
	return &f->obj;
}

/* learn.microsoft.com: windows/win32/api/fileapi/nf-fileapi-createfilew */
HANDLE io_create_file(const WCHAR *path, ULONG *error)
{
	NTSTATUS status;
	PFILE_OBJECT file = io_file_open(path, &status);
	HANDLE handle;

	if (!file) {
		*error = io_win32_error(status);
		return INVALID_HANDLE_VALUE;
	}
	handle = io_handle_insert(nt_current_process(), file);
	io_file_handle_added(file);
	*error = 0;
	return handle;
}
