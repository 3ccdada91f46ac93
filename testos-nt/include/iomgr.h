/* SPDX-License-Identifier: MIT */
/*
 * The harness's I/O manager, PnP manager, PCI bus driver and power
 * manager (testos-nt/io): what the scenarios and the user-mode shim drive.
 * Every call goes through the driver's dispatch routines with IRPs built
 * as Windows builds them.
 */
#ifndef NTH_IOMGR_H
#define NTH_IOMGR_H

#include "nt.h"

/* ---- the driver (io/driver_load.c) -------------------------------------------- */

/*
 * Load the image (pe_load at a base other than its preferred one, imports
 * bound to nt_resolve_import), name its functions from `symbols` (the
 * unstripped copy; may be NULL) and call DriverEntry with a registry path
 * under \Registry\Machine\System\CurrentControlSet\Services\vgpu, in the
 * system process at PASSIVE_LEVEL.  Prints what it loaded.
 */
NTSTATUS io_driver_load(const uint8_t *image, size_t len, const uint8_t *symbols,
			size_t symbols_len);
/*
 * DriverUnload (every device must have been removed first), then the
 * leak check: pool, MDLs, locked pages, mappings, contiguous memory, the
 * process-notify registration.  STATUS_SUCCESS only when nothing is left.
 */
NTSTATUS io_driver_unload(void);
PDRIVER_OBJECT io_driver_object(void);

/* ---- PnP and power (io/pnp.c, io/pci_bus.c, io/power.c) ----------------------- */

/*
 * Enumerate PCI: a PDO for each virtio-gpu function (1af4:1050), and the
 * driver's AddDevice for it.  Returns how many.
 */
unsigned pnp_enumerate(void);
/*
 * Whether the bus driver's PDOs have DO_POWER_PAGABLE when AddDevice is
 * called (pci.sys sets it; a bus for a device on the paging path would
 * not).  Applies from the next pnp_enumerate; the default is set.
 */
void pnp_set_bus_power_pagable(bool pagable);
/* Entries written to the system error log since boot (Event Viewer's System log). */
unsigned io_error_log_written(void);
struct pnp_device;
struct pnp_device *pnp_device(unsigned index);
PDEVICE_OBJECT pnp_pdo(struct pnp_device *dev);
/* Interrupts the PDO offers at start: MSI-X messages (as many as the device has), or the line. */
enum pnp_irq_mode {
	PNP_IRQ_MSIX,
	PNP_IRQ_LINE
};
/*
 * Send one PnP IRP from the PnP manager to the top of the device's stack
 * at PASSIVE_LEVEL and wait for it: START_DEVICE (with raw and translated
 * resource lists from the BARs and the interrupt), QUERY_STOP, STOP,
 * CANCEL_STOP, QUERY_REMOVE, REMOVE, CANCEL_REMOVE, SURPRISE_REMOVAL,
 * QUERY_CAPABILITIES.  Checks the driver's side of each (passed down to
 * the PDO when it must be, completed once, status rules) and returns the
 * IRP's final status.  What Windows sends next by itself follows before
 * it returns: QUERY_CAPABILITIES and QUERY_PNP_DEVICE_STATE after a
 * START that succeeded, REMOVE after one that failed, the CANCEL after a
 * failed QUERY_STOP or QUERY_REMOVE.  A minor out of the PnP manager's
 * order (START when started, REMOVE with file objects open...) is not
 * sent: STATUS_INVALID_DEVICE_STATE.
 */
NTSTATUS pnp_send(struct pnp_device *dev, UCHAR minor);
void pnp_set_irq_mode(struct pnp_device *dev, enum pnp_irq_mode mode);
/*
 * Another device on the function's shared INTx line interrupts: the
 * driver's line ISR, if one is connected, is called as Windows calls every
 * ISR on a line, though this function raised nothing, and must return
 * FALSE.  Whether an ISR was called.  (With the function idle: an interrupt
 * it raised at that very moment would be its own to claim.)
 */
bool pnp_shared_line_interrupt(struct pnp_device *dev);
/*
 * Hold the function's interrupts: the device raises them, but no ISR runs
 * until they are released, as if the GPU were busy with a long job.
 * Releasing delivers each MSI-X message that came meanwhile, once, or
 * unmasks the line, which is still asserted.
 */
void pnp_hold_interrupts(struct pnp_device *dev, bool hold);
/* Whether the function has an MSI-X capability (QEMU's vectors=0 removes it). */
bool pnp_function_has_msix(struct pnp_device *dev);
/*
 * The device disappears: from now on its config space and BARs read as
 * all ones and every mapping of them faults (nt_mm_revoke_io), then
 * SURPRISE_REMOVAL; REMOVE follows by itself once no file object is open
 * on the device (now, or at the last CloseHandle).  SURPRISE_REMOVAL's
 * status.
 */
NTSTATUS pnp_surprise_remove(struct pnp_device *dev);
/*
 * A system sleep S3 or S4 as the power manager runs it: a system power
 * IRP (the driver, as power policy owner, asks for the device IRP), then
 * the bus powers the device down (virtio reset: QEMU drops its state);
 * then wake: S0 and D0.
 */
NTSTATUS power_sleep(struct pnp_device *dev, SYSTEM_POWER_STATE state);
NTSTATUS power_wake(struct pnp_device *dev);

/* What CreateFileW returns on failure (a Win32 constant, not in the DDK). */
#ifndef INVALID_HANDLE_VALUE
#define INVALID_HANDLE_VALUE ((HANDLE)(LONG_PTR)-1)
#endif

/* ---- user-mode I/O (io/file.c, io/ioctl.c, io/handles.c) ----------------------- */

/*
 * In the calling thread's process, as kernel32 does: CreateFileW of a
 * device interface path (returns INVALID_HANDLE_VALUE and *error a Win32
 * error on failure), DeviceIoControl (synchronous; METHOD_BUFFERED,
 * IN_DIRECT and OUT_DIRECT as the I/O manager implements them: the user
 * buffers of DIRECT calls probed and locked into an MDL that stays
 * writable by the process), CloseHandle (the last handle to a file object
 * sends CLEANUP, the last reference CLOSE).  The buffers are user
 * addresses of the calling process.
 */
HANDLE io_create_file(const WCHAR *path, ULONG *error);
BOOL io_device_control(HANDLE handle, ULONG code, void *in, ULONG in_len, void *out, ULONG out_len,
		       ULONG *returned, ULONG *error);
BOOL io_close_handle(HANDLE handle, ULONG *error);
/*
 * ReadFile (synchronous, at the file's current position): an IRP_MJ_READ
 * for the driver, which vgpu's ABI does not use - the way a process sends
 * a major function the driver does not handle.
 */
BOOL io_read_file(HANDLE handle, void *buffer, ULONG length, ULONG *read, ULONG *error);
/* DuplicateHandle: the same file object, a handle in `to`. */
HANDLE io_duplicate_handle(struct nt_process *from, HANDLE handle, struct nt_process *to);
/* CancelIoEx on the handle (every IRP of the calling thread's process on it). */
BOOL io_cancel(HANDLE handle);
/* Paths of the enabled device interfaces of `guid` (SetupDi*), their count. */
unsigned io_interfaces(const GUID *guid, const WCHAR **paths, unsigned max);

/* Win32 error for an NTSTATUS, as RtlNtStatusToDosError maps the ones vgpu uses. */
ULONG io_win32_error(NTSTATUS status);

#endif /* NTH_IOMGR_H */
