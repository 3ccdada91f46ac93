/* SPDX-License-Identifier: MIT */
/*
 * The kmd core as its shells see it: a device, files opened on it, and
 * ioctls on a file.  Everything here is portable, freestanding C11.
 */
#ifndef VGPU_KMD_CORE_H
#define VGPU_KMD_CORE_H

#include <stdint.h>

#include "os.h"
#include "virtio/transport.h"
#include "vgpu/vgpu_abi.h"

struct vgpu_device;
struct vgpu_file;

/*
 * Make the device object; no device I/O yet, so that the shell can route
 * the device's interrupts to it before vgpu_device_start.  `os` and
 * `transport` must outlive the device.  PASSIVE.
 * Returns VGPU_OK, VGPU_E_INVALID (incomplete os table, unknown
 * personality) or VGPU_E_NO_MEMORY.
 */
int vgpu_device_create(const struct vgpu_os *os, const struct vgpu_transport *transport,
		       enum vgpu_personality personality, struct vgpu_device **out);

/*
 * Bring the device up: negotiate features, set up queues, read the
 * capsets.  Completions must reach vgpu_device_interrupt from now on.
 * On failure the device is left reset; destroy it.  PASSIVE.
 * Returns VGPU_OK, VGPU_E_UNSUPPORTED (no VIRGL), VGPU_E_DEVICE,
 * VGPU_E_NO_MEMORY or VGPU_E_TIMEOUT.
 */
int vgpu_device_start(struct vgpu_device *dev);

/*
 * Reset the device and free everything (started or not).  The shell closes
 * its files first (files still open are closed here, which needs
 * completions) and must not call vgpu_device_interrupt once this has
 * returned.  PASSIVE.
 */
void vgpu_device_destroy(struct vgpu_device *dev);

/* How long a synchronous device command may take (default 5 s).  PASSIVE. */
void vgpu_device_set_command_timeout(struct vgpu_device *dev, uint64_t timeout_ns);

/*
 * The device signalled (interrupt, DPC, or the sim's call eventfd): consume
 * completed requests and wake their waiters.  Safe from vgpu_device_start
 * until vgpu_device_destroy returns, also while start fails.  DISPATCH.
 */
void vgpu_device_interrupt(struct vgpu_device *dev);

/*
 * The device is gone (surprise removal, broken transport): every request
 * in flight and every later one fails with VGPU_E_DEVICE_LOST.  Any level.
 */
void vgpu_device_mark_lost(struct vgpu_device *dev);

/*
 * Before the shell resets a device it keeps using (power-down): the device
 * unmaps every blob it mapped (UNMAP_BLOB each, answers awaited), and no
 * blob is mapped on this core again (DEVICE_LOST).  QEMU 10 keeps a mapped
 * blob's memory region across its reset and aborts when a later blob of
 * the same resource id is mapped.  Waits for maps in progress, bounded by
 * the command timeout.  PASSIVE.
 */
void vgpu_device_give_back_blobs(struct vgpu_device *dev);

/*
 * Limits on pinned memory (resource backing: guest pages nothing can page
 * out), of all files together and of one owner's files together (see
 * vgpu_file_set_owner); 0: no limit.  A create whose backing would pass one
 * fails with VGPU_E_NO_MEMORY.  PASSIVE, before files are opened.
 */
void vgpu_device_set_pin_limits(struct vgpu_device *dev, uint64_t device_bytes,
				uint64_t owner_bytes);

/*
 * A lost core hands the transport on: another core drives the device from
 * now on (the shell rebuilt it after power-down while handles on this one
 * were still open).  This one never touches the transport again, and its
 * destroy frees memory only, so the caller must have reset the device since
 * the core was lost.  PASSIVE.
 */
void vgpu_device_detach(struct vgpu_device *dev);

/*
 * One opened device handle.  `file_ctx` is the shell's cookie for it,
 * handed back to the OS's map_user/unmap_user.  PASSIVE.
 */
int vgpu_file_open(struct vgpu_device *dev, void *file_ctx, struct vgpu_file **out);

/*
 * Whose file it is, for the per-owner limit on pinned memory: the shell's
 * process id.  A file with no owner (0, the default) is its own.  Right
 * after vgpu_file_open, before its first call.
 */
void vgpu_file_set_owner(struct vgpu_file *file, uint64_t owner);

/*
 * The handle is going away (Windows: IRP_MJ_CLEANUP while other threads of
 * the process are still inside WAIT): every WAIT on the file, now or
 * later, returns VGPU_E_CANCELLED at once.  Any level.
 */
void vgpu_file_cancel(struct vgpu_file *file);

/*
 * Release everything the file owns, on the device too; waits (bounded) for
 * the device to finish with its memory.  PASSIVE.
 */
void vgpu_file_close(struct vgpu_file *file);

/*
 * The buffers of one ioctl.  For buffered calls `in` and `out` may be the
 * same memory (Windows' SystemBuffer).  `payload` is the call's variable
 * buffer (read for IN_DIRECT, written for OUT_DIRECT).  The core sets
 * out_written / payload_written.
 */
struct vgpu_ioctl_bufs {
	const void *in;
	uint32_t in_size;
	uint32_t out_size;
	void *out;
	void *payload;
	uint32_t payload_size;
	uint32_t out_written;
	uint32_t payload_written;
	void *call; /* the shell's own handle on the call, for os->call_interrupted */
};

/* Validate and run one call of the ABI.  Returns an enum vgpu_status.  PASSIVE. */
int vgpu_file_ioctl(struct vgpu_file *file, uint32_t code, struct vgpu_ioctl_bufs *bufs);

#endif /* VGPU_KMD_CORE_H */
