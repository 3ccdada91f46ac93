/* SPDX-License-Identifier: MIT */
/*
 * DeviceIoControl, ReadFile and CancelIoEx on a handle, from the calling
 * thread's process, built as the I/O manager builds them.
 *
 * By transfer method (the low two bits of the code):
 *  - BUFFERED: one system buffer of max(in, out) bytes holding a copy of
 *    the input; on success (or a warning) Information bytes are copied back
 *    to the output buffer.
 *  - IN_DIRECT / OUT_DIRECT: the input copied to a system buffer; the
 *    output buffer probed (for read, IN; for write, OUT) and locked into
 *    an MDL.  The pages stay mapped and writable in the process: another
 *    of its threads can change them while the driver reads them.
 *  - NEITHER: the raw user pointers.
 * The user buffers are checked against the caller's address space first;
 * a bad one fails the call with STATUS_ACCESS_VIOLATION, as a probe does.
 *
 * The call is synchronous: the thread waits for the IRP in the kernel.
 * CancelIoEx from another thread marks the file's IRPs cancelled and runs
 * their cancel routines as IoCancelIrp does.
 */
#include "io_internal.h"

/* The I/O manager's own lock around cancel routines. */
static KSPIN_LOCK cancel_lock;

static NTSTATUS set_buffers(PIRP irp, ULONG method, void *in, ULONG in_len, void *out,
			    ULONG out_len)
{
	switch (method) {
	case METHOD_BUFFERED:
		if (!io_user_range(in, in_len, false) || !io_user_range(out, out_len, true))
			return STATUS_ACCESS_VIOLATION;
		irp->AssociatedIrp.SystemBuffer =
			io_system_buffer(in, in_len, in_len > out_len ? in_len : out_len);
		irp->UserBuffer = out;
		if (irp->AssociatedIrp.SystemBuffer)
			irp->Flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER |
				      (out_len ? IRP_INPUT_OPERATION : 0);
		return STATUS_SUCCESS;
	case METHOD_IN_DIRECT:
	case METHOD_OUT_DIRECT:
		if (!io_user_range(in, in_len, false) ||
		    !io_user_range(out, out_len, method == METHOD_OUT_DIRECT))
			return STATUS_ACCESS_VIOLATION;
		irp->AssociatedIrp.SystemBuffer = io_system_buffer(in, in_len, in_len);
		if (irp->AssociatedIrp.SystemBuffer)
			irp->Flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
		return io_lock_buffer(out, out_len, UserMode,
				      method == METHOD_IN_DIRECT ? IoReadAccess : IoWriteAccess,
				      &irp->MdlAddress);
	default:
		irp->UserBuffer = out;
		return STATUS_SUCCESS;
	}
}

/* An IRP of the calling thread on `file`, its stack location filled by the caller. */
static PIRP user_irp(PFILE_OBJECT file, UCHAR major, const char *origin, struct io_irp **rec)
{
	PIRP irp = io_irp_alloc(io_file_device(file)->StackSize, origin, rec);
	PIO_STACK_LOCATION stack = IoGetNextIrpStackLocation(irp);

	irp->RequestorMode = UserMode;
	irp->Flags = IRP_SYNCHRONOUS_API;
	irp->Tail.Overlay.Thread = (PETHREAD)nt_current_thread();
	irp->Tail.Overlay.OriginalFileObject = file;
	stack->MajorFunction = major;
	stack->FileObject = file;
	(*rec)->process = nt_current_process();
	(*rec)->file = file;
	return irp;
}

/* The driver completed the call: Information must fit the buffer it describes. */
static void check_information(PFILE_OBJECT file, UCHAR major, const struct io_irp_result *r,
			      ULONG limit)
{
	PDRIVER_DISPATCH dispatch = io_file_device(file)->DriverObject->MajorFunction[major];

	if (!NT_ERROR(r->iosb.Status) && r->iosb.Information > limit)
		nt_violation("IofCompleteRequest",
			     "IoStatus.Information must not exceed the output buffer", dispatch,
			     "Information %llu, buffer %lu bytes",
			     (unsigned long long)r->iosb.Information, (unsigned long)limit);
}

/* The end of a call in the issuer's thread: buffers, the IRP's file reference, Win32. */
static BOOL finish_call(PFILE_OBJECT file, NTSTATUS status, const struct io_irp_result *r,
			ULONG copy_limit, ULONG *returned, ULONG *error)
{
	io_buffers_finish(r, copy_limit);
	ObfDereferenceObject(file);
	*returned = NT_ERROR(status) ? 0 : (ULONG)r->iosb.Information;
	*error = NT_SUCCESS(status) ? 0 : io_win32_error(status);
	return NT_SUCCESS(status);
}

/* learn.microsoft.com: windows/win32/api/ioapiset/nf-ioapiset-deviceiocontrol */
BOOL io_device_control(HANDLE handle, ULONG code, void *in, ULONG in_len, void *out, ULONG out_len,
		       ULONG *returned, ULONG *error)
{
	PFILE_OBJECT file = io_handle_reference(nt_current_process(), handle);
	ULONG method = code & 3u;
	struct io_irp_result result;
	PIO_STACK_LOCATION stack;
	struct io_irp *rec;
	NTSTATUS status;
	PIRP irp;

	*returned = 0;
	if (!file) {
		*error = io_win32_error(STATUS_INVALID_HANDLE);
		return FALSE;
	}
	irp = user_irp(file, IRP_MJ_DEVICE_CONTROL, "DeviceIoControl", &rec);
	stack = IoGetNextIrpStackLocation(irp);
	stack->Parameters.DeviceIoControl.IoControlCode = code;
	stack->Parameters.DeviceIoControl.InputBufferLength = in_len;
	stack->Parameters.DeviceIoControl.OutputBufferLength = out_len;
	if (method == METHOD_NEITHER)
		stack->Parameters.DeviceIoControl.Type3InputBuffer = in;
	status = set_buffers(irp, method, in, in_len, out, out_len);
	if (!NT_SUCCESS(status)) {
		result = (struct io_irp_result){ .iosb.Status = status,
						 .system_buffer = irp->AssociatedIrp.SystemBuffer,
						 .flags = irp->Flags & ~IRP_INPUT_OPERATION };
		io_irp_discard(rec);
		return finish_call(file, status, &result, 0, returned, error);
	}
	status = io_send_and_wait(io_file_device(file), irp, rec, &result);
	if (method == METHOD_BUFFERED)
		check_information(file, IRP_MJ_DEVICE_CONTROL, &result, out_len);
	return finish_call(file, status, &result, out_len, returned, error);
}

/* learn.microsoft.com: windows/win32/api/fileapi/nf-fileapi-readfile */
BOOL io_read_file(HANDLE handle, void *buffer, ULONG length, ULONG *read, ULONG *error)
{
	PFILE_OBJECT file = io_handle_reference(nt_current_process(), handle);
	struct io_irp_result result;
	PIO_STACK_LOCATION stack;
	PDEVICE_OBJECT device;
	struct io_irp *rec;
	NTSTATUS status;
	PIRP irp;

	*read = 0;
	if (!file) {
		*error = io_win32_error(STATUS_INVALID_HANDLE);
		return FALSE;
	}
	if (!io_user_range(buffer, length, true)) {
		result = (struct io_irp_result){ .iosb.Status = STATUS_ACCESS_VIOLATION };
		return finish_call(file, STATUS_ACCESS_VIOLATION, &result, 0, read, error);
	}
	device = io_file_device(file);
	irp = user_irp(file, IRP_MJ_READ, "ReadFile", &rec);
	stack = IoGetNextIrpStackLocation(irp);
	stack->Parameters.Read.Length = length;
	stack->Parameters.Read.ByteOffset = file->CurrentByteOffset;
	irp->UserBuffer = buffer;
	status = STATUS_SUCCESS;
	if (device->Flags & DO_BUFFERED_IO) {
		irp->AssociatedIrp.SystemBuffer = io_system_buffer(NULL, 0, length);
		if (irp->AssociatedIrp.SystemBuffer)
			irp->Flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | IRP_INPUT_OPERATION;
	} else if (device->Flags & DO_DIRECT_IO) {
		status = io_lock_buffer(buffer, length, UserMode, IoWriteAccess, &irp->MdlAddress);
	}
	if (!NT_SUCCESS(status)) {
		io_irp_discard(rec);
		result = (struct io_irp_result){ .iosb.Status = status };
		return finish_call(file, status, &result, 0, read, error);
	}
	status = io_send_and_wait(device, irp, rec, &result);
	check_information(file, IRP_MJ_READ, &result, length);
	if (NT_SUCCESS(status))
		file->CurrentByteOffset.QuadPart += (LONGLONG)result.iosb.Information;
	return finish_call(file, status, &result, length, read, error);
}

/* IoCancelIrp: mark it, and run its cancel routine under the cancel spin lock. */
static void cancel_irp(PIRP irp)
{
	PDRIVER_CANCEL routine;
	KIRQL irql;

	irp->Cancel = TRUE;
	routine = (PDRIVER_CANCEL)InterlockedExchangePointer((PVOID *)&irp->CancelRoutine, NULL);
	if (!routine)
		return;
	KeAcquireSpinLock(&cancel_lock, &irql);
	irp->CancelIrql = irql;
	routine(IoGetCurrentIrpStackLocation(irp)->DeviceObject, irp);
	if (nt_irql() != irql)
		nt_violation(
			"IoCancelIrp",
			"a cancel routine releases the cancel spin lock (IoReleaseCancelSpinLock)",
			(const void *)routine, "it returned at IRQL %u", nt_irql());
}

#define MAX_CANCELLED 32u

/* learn.microsoft.com: windows/win32/fileio/cancelioex-func */
BOOL io_cancel(HANDLE handle)
{
	struct nt_process *proc = nt_current_process();
	PFILE_OBJECT file = io_handle_reference(proc, handle);
	struct io_irp *rec = NULL, *found[MAX_CANCELLED];
	unsigned n = 0;

	if (!file)
		return FALSE;
	/* Collected first: a cancel routine may complete its IRP, which leaves the list. */
	while ((rec = io_irp_next_in_flight(rec)) != NULL && n < MAX_CANCELLED) {
		if (rec->file != file || rec->process != proc ||
		    (rec->state != IO_IRP_DISPATCHED && rec->state != IO_IRP_HELD))
			continue;
		io_irp_hold(rec);
		found[n++] = rec;
	}
	for (unsigned i = 0; i < n; i++) {
		if (found[i]->state != IO_IRP_DONE)
			cancel_irp(found[i]->irp);
		io_irp_release(found[i]);
	}
	ObfDereferenceObject(file);
	return n > 0;
}
