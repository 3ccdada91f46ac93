/* SPDX-License-Identifier: MIT */
/*
 * Handles onto the core: CREATE opens a core file, CLEANUP (last handle
 * closed, in whatever state the process left it) releases everything the
 * handle owns, CLOSE frees the shell's part, DEVICE_CONTROL runs one call
 * of the ABI.
 *
 * An open file holds the device's remove lock from CREATE to CLEANUP, so
 * the core outlives every file.  A file's own remove lock counts its calls
 * in flight: CLEANUP can arrive while another thread of the process is
 * still inside a call; it cancels the file's waits (they return at once)
 * and waits for the calls before closing the core file.
 */
#include "vgpu_win.h"

#include "vgpu/vgpu_windows.h"

#ifndef MdlMappingNoExecute
#define MdlMappingNoExecute 0x40000000
#endif

static NTSTATUS ntstatus_of(int status)
{
	return (NTSTATUS)vgpu_win_status_to_ntstatus(status);
}

static struct win_file *new_file(struct win_device *dev)
{
	struct win_file *file = dev->os.alloc(dev, sizeof(*file));

	if (!file)
		return NULL;
	file->dev = dev;
	file->owner = PsGetCurrentProcess();
	ObReferenceObject(file->owner);
	IoInitializeRemoveLock(&file->calls, VGPU_POOL_TAG, 0, 0);
	return file;
}

static void free_file(struct win_file *file)
{
	ObDereferenceObject(file->owner);
	file->dev->os.free(file->dev, file);
}

/* Open the core file under the state mutex, renewing a core that power-down left lost. */
static NTSTATUS open_core_file(struct win_device *dev, struct win_file *file)
{
	NTSTATUS status = STATUS_SUCCESS;
	int ret;

	win_state_lock(dev);
	if (dev->state != WIN_STARTED || dev->power != PowerDeviceD0) {
		status = STATUS_DEVICE_NOT_READY;
	} else if (dev->core_stale) {
		status = win_core_renew(dev);
	}
	if (NT_SUCCESS(status) && !dev->core)
		status = STATUS_DEVICE_NOT_READY;
	if (NT_SUCCESS(status)) {
		ret = vgpu_file_open(dev->core, file, &file->core_file);
		status = ntstatus_of(ret);
		if (ret == VGPU_OK) {
			vgpu_file_set_owner(file->core_file,
					    (uint64_t)(ULONG_PTR)PsGetCurrentProcessId());
			file->core = dev->core;
			dev->open_files++;
			dev->core_files++;
		}
	}
	win_state_unlock(dev);
	return status;
}

NTSTATUS win_dispatch_create(PDEVICE_OBJECT device, PIRP irp)
{
	struct win_device *dev = device->DeviceExtension;
	PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(irp);
	struct win_file *file;
	NTSTATUS status;

	/* The device is opened as a whole; nothing lives beneath it. */
	if (stack->FileObject->FileName.Length != 0)
		return win_complete(irp, STATUS_OBJECT_NAME_NOT_FOUND, 0);
	file = new_file(dev);
	if (!file)
		return win_complete(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
	status = IoAcquireRemoveLock(&dev->remove_lock, file);
	if (!NT_SUCCESS(status)) {
		free_file(file);
		return win_complete(irp, status, 0);
	}
	win_user_map_track(file);
	status = open_core_file(dev, file);
	if (!NT_SUCCESS(status)) {
		win_user_map_untrack(file);
		IoReleaseRemoveLock(&dev->remove_lock, file);
		free_file(file);
		return win_complete(irp, status, 0);
	}
	stack->FileObject->FsContext = file;
	return win_complete(irp, STATUS_SUCCESS, FILE_OPENED);
}

/* Everything the handle owns, on the device too, once its calls are over.  PASSIVE. */
static void release_file(struct win_file *file, PIRP irp)
{
	struct win_device *dev = file->dev;

	if (!file->core_file)
		return;
	vgpu_file_cancel(file->core_file);
	if (NT_SUCCESS(IoAcquireRemoveLock(&file->calls, irp)))
		IoReleaseRemoveLockAndWait(&file->calls, irp);
	vgpu_file_close(file->core_file);
	file->core_file = NULL;
	win_user_map_untrack(file);
	win_state_lock(dev);
	win_core_file_closed(dev, file->core);
	win_state_unlock(dev);
	IoReleaseRemoveLock(&dev->remove_lock, file);
}

NTSTATUS win_dispatch_cleanup(PDEVICE_OBJECT device, PIRP irp)
{
	struct win_file *file = IoGetCurrentIrpStackLocation(irp)->FileObject->FsContext;

	if (file)
		release_file(file, irp);
	return win_complete(irp, STATUS_SUCCESS, 0);
}

/* CLEANUP came first in every ordinary case; a file object that skipped it is released here. */
NTSTATUS win_dispatch_close(PDEVICE_OBJECT device, PIRP irp)
{
	PFILE_OBJECT fo = IoGetCurrentIrpStackLocation(irp)->FileObject;
	struct win_file *file = fo->FsContext;

	if (file) {
		release_file(file, irp);
		free_file(file);
		fo->FsContext = NULL;
	}
	return win_complete(irp, STATUS_SUCCESS, 0);
}

/*
 * The buffers of one call, by transfer method: the fixed struct always in
 * SystemBuffer; the payload of a direct call in the MDL the I/O manager
 * locked (so the core never touches a user address).
 */
static int describe_buffers(PIRP irp, PIO_STACK_LOCATION stack, struct vgpu_ioctl_bufs *bufs)
{
	ULONG code = stack->Parameters.DeviceIoControl.IoControlCode;
	ULONG in_len = stack->Parameters.DeviceIoControl.InputBufferLength;
	ULONG out_len = stack->Parameters.DeviceIoControl.OutputBufferLength;

	RtlZeroMemory(bufs, sizeof(*bufs));
	bufs->call = irp; /* for win_call_interrupted */
	bufs->in = irp->AssociatedIrp.SystemBuffer;
	bufs->in_size = bufs->in ? in_len : 0;
	switch (VGPU_CTL_METHOD(code)) {
	case VGPU_METHOD_BUFFERED:
		bufs->out = irp->AssociatedIrp.SystemBuffer;
		bufs->out_size = bufs->out ? out_len : 0;
		return VGPU_OK;
	case VGPU_METHOD_IN_DIRECT:
	case VGPU_METHOD_OUT_DIRECT:
		if (!irp->MdlAddress)
			return VGPU_OK;
		bufs->payload = MmGetSystemAddressForMdlSafe(
			irp->MdlAddress, NormalPagePriority | MdlMappingNoExecute);
		if (!bufs->payload)
			return VGPU_E_NO_MEMORY;
		bufs->payload_size = out_len;
		return VGPU_OK;
	default:
		/* METHOD_NEITHER would hand over raw user pointers: not part of the ABI. */
		return VGPU_E_UNSUPPORTED;
	}
}

/* Bytes the I/O manager copies back (buffered) or reports (direct). */
static ULONG_PTR bytes_returned(ULONG code, const struct vgpu_ioctl_bufs *bufs)
{
	switch (VGPU_CTL_METHOD(code)) {
	case VGPU_METHOD_BUFFERED:
		return bufs->out_written <= bufs->out_size ? bufs->out_written : 0;
	case VGPU_METHOD_OUT_DIRECT:
		return bufs->payload_written <= bufs->payload_size ? bufs->payload_written : 0;
	default:
		return 0;
	}
}

NTSTATUS win_dispatch_ioctl(PDEVICE_OBJECT device, PIRP irp)
{
	PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(irp);
	struct win_file *file = stack->FileObject->FsContext;
	ULONG code = stack->Parameters.DeviceIoControl.IoControlCode;
	struct vgpu_ioctl_bufs bufs;
	ULONG_PTR returned = 0;
	NTSTATUS status;
	int ret;

	if (!file)
		return win_complete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
	status = IoAcquireRemoveLock(&file->calls, irp);
	if (!NT_SUCCESS(status))
		return win_complete(irp, status, 0);
	/* Handles are private to the process that opened them, duplicates included. */
	if (PsGetCurrentProcess() != file->owner || !file->core_file)
		ret = VGPU_E_BAD_HANDLE;
	else
		ret = describe_buffers(irp, stack, &bufs);
	if (ret == VGPU_OK) {
		ret = vgpu_file_ioctl(file->core_file, code, &bufs);
		returned = bytes_returned(code, &bufs);
	}
	status = ntstatus_of(ret);
	/* An error status copies nothing back; BUSY is a warning and does. */
	if (NT_ERROR(status))
		returned = 0;
	IoReleaseRemoveLock(&file->calls, irp);
	return win_complete(irp, status, returned);
}
