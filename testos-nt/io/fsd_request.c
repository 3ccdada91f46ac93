/* SPDX-License-Identifier: MIT */
/*
 * IRPs a driver builds to send to another driver and wait for: the I/O
 * manager completes them back to the issuer (the status block filled, the
 * event signalled) and frees them; the issuer never completes or frees
 * one itself.  Buffers follow the target device's I/O method.
 */
#include "io_internal.h"

struct fsd_request {
	PKEVENT event;
	PIO_STATUS_BLOCK iosb;
	ULONG length;
};

static void fsd_done(struct io_irp *rec)
{
	struct fsd_request *req = rec->issuer;

	io_buffers_finish(&rec->result, req->length);
	*req->iosb = rec->result.iosb;
	KeSetEvent(req->event, IO_NO_INCREMENT, FALSE);
	heap_free(req);
}

/* Read and write buffers as the target device takes them (buffered, direct or neither). */
static NTSTATUS set_buffer(PIRP irp, PDEVICE_OBJECT device, UCHAR major, PVOID buffer, ULONG length)
{
	bool read = major == IRP_MJ_READ;

	irp->UserBuffer = buffer;
	if (device->Flags & DO_BUFFERED_IO) {
		irp->AssociatedIrp.SystemBuffer =
			io_system_buffer(read ? NULL : buffer, read ? 0 : length, length);
		irp->Flags |=
			IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | (read ? IRP_INPUT_OPERATION : 0);
		return STATUS_SUCCESS;
	}
	if (device->Flags & DO_DIRECT_IO)
		return io_lock_buffer(buffer, length, KernelMode,
				      read ? IoWriteAccess : IoReadAccess, &irp->MdlAddress);
	return STATUS_SUCCESS;
}

/* learn.microsoft.com: wdm/nf-wdm-iobuildsynchronousfsdrequest */
PIRP IoBuildSynchronousFsdRequest(ULONG MajorFunction, PDEVICE_OBJECT DeviceObject, PVOID Buffer,
				  ULONG Length, PLARGE_INTEGER StartingOffset, PKEVENT Event,
				  PIO_STATUS_BLOCK IoStatusBlock)
{
	const void *caller = __builtin_return_address(0);
	struct io_device *dev = io_device(DeviceObject);
	struct fsd_request *req;
	PIO_STACK_LOCATION stack;
	struct io_irp *rec;
	PIRP irp;

	nt_require_irql("IoBuildSynchronousFsdRequest", PASSIVE_LEVEL, caller);
	if (!dev || dev->deleted)
		nt_violation("IoBuildSynchronousFsdRequest", "DeviceObject must be a device object",
			     caller, "%p", (void *)DeviceObject);
	if (MajorFunction != IRP_MJ_READ && MajorFunction != IRP_MJ_WRITE &&
	    MajorFunction != IRP_MJ_FLUSH_BUFFERS && MajorFunction != IRP_MJ_SHUTDOWN &&
	    MajorFunction != IRP_MJ_PNP)
		nt_violation("IoBuildSynchronousFsdRequest",
			     "MajorFunction is PNP, READ, WRITE, FLUSH_BUFFERS or SHUTDOWN", caller,
			     "0x%02lx", (unsigned long)MajorFunction);
	if (!Event || !IoStatusBlock)
		nt_violation("IoBuildSynchronousFsdRequest", "Event and IoStatusBlock are required",
			     caller, "event %p, status block %p", (void *)Event,
			     (void *)IoStatusBlock);
	if ((MajorFunction == IRP_MJ_READ || MajorFunction == IRP_MJ_WRITE) && !StartingOffset)
		nt_violation("IoBuildSynchronousFsdRequest", "a read or write needs StartingOffset",
			     caller, "NULL");
	irp = io_irp_alloc(DeviceObject->StackSize, "IoBuildSynchronousFsdRequest", &rec);
	rec->driver_built = true;
	irp->RequestorMode = KernelMode;
	irp->UserIosb = IoStatusBlock;
	irp->UserEvent = Event;
	irp->Tail.Overlay.Thread = (PETHREAD)nt_current_thread();
	stack = IoGetNextIrpStackLocation(irp);
	stack->MajorFunction = (UCHAR)MajorFunction;
	if (MajorFunction == IRP_MJ_READ || MajorFunction == IRP_MJ_WRITE) {
		stack->Parameters.Read.Length = Length;
		stack->Parameters.Read.ByteOffset = *StartingOffset;
		if (!NT_SUCCESS(
			    set_buffer(irp, DeviceObject, (UCHAR)MajorFunction, Buffer, Length)))
			return NULL;
	}
	req = io_zalloc(sizeof(*req));
	*req = (struct fsd_request){ Event, IoStatusBlock, Length };
	rec->on_done = fsd_done;
	rec->issuer = req;
	return irp;
}
