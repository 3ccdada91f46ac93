/* SPDX-License-Identifier: MIT */
/*
 * The replay engine (docs/replay.md): walks a capture the sim recorded
 * and makes its calls again through a guest's own way of reaching the
 * driver, comparing every frame the client read back with the sim's.
 * Both test guests run it: testos through vgpu_file_ioctl, testos-nt
 * through libvgpu's DeviceIoControl channel into vgpu.sys.  Freestanding
 * C11: the guest supplies memory and output through the ops.
 *
 * The engine owns what must be the same everywhere: the order of the
 * records, the translation of the capture's handles and timeline values
 * to the ones this run gets, the resource-id check, the bounds of every
 * MEMORY and CHECK range against the backing this run sees, and the
 * messages and case names.
 */
#ifndef VGPU_LIB_REPLAY_H
#define VGPU_LIB_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vgpu/vgpu_abi.h"

/* A WAIT long enough for anything the device does in a test guest, short enough to end a hang. */
#define REPLAY_WAIT_NS (10ull * 1000000000ull)

/*
 * One guest's way to the driver.  `client` is the guest's own state; the
 * calls return an enum vgpu_status.  Handles and timeline values passed in
 * are already this run's.
 */
struct replay_ops {
	/* A new opened handle for one capture; close releases whatever it still holds. */
	int (*open)(void *client);
	void (*close)(void *client);
	int (*context_create)(void *client, struct vgpu_context_create *cc);
	/* desc->handle and desc->res_id are 0 in, the device's out. */
	int (*resource_create)(void *client, struct vgpu_resource_create *desc);
	int (*resource_destroy)(void *client, uint32_t handle);
	/* t->signal is the capture's; *fence gets the value this run's timeline signals. */
	int (*transfer)(void *client, bool to_host, const struct vgpu_transfer *t, uint64_t *fence);
	/* payload: s->num_handles handles, then s->size bytes of stream; s->signal as transfer's. */
	int (*submit)(void *client, const struct vgpu_submit *s, const uint8_t *payload,
		      uint64_t *fence);
	/* w->timeout_ns is REPLAY_WAIT_NS. */
	int (*wait)(void *client, const struct vgpu_wait *w);
	/* The resource's backing as this client can write and read it; unmap when done. */
	int (*map)(void *client, uint32_t handle, uint8_t **bytes, uint64_t *size);
	int (*unmap)(void *client, uint32_t handle);

	void *(*alloc)(size_t bytes);
	void (*free)(void *p);
	/* Diagnostic lines ("# ..."), and one case line each ("PASS name" / "FAIL name"). */
	void (*print)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
	void (*report)(bool passed, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
};

/*
 * Replay the capture in [bytes, bytes + len) through `ops` on a freshly
 * started device (resource ids must come out as they did in the sim).
 * Reports the cases replay.LABEL.frame.N (one per read-back),
 * replay.LABEL.frames (at least one frame compared, all equal) and
 * replay.LABEL.capture (the whole capture was well formed and every call
 * succeeded again).  A damaged capture or a failing call stops the replay
 * with a message naming the record; nothing is written outside a backing.
 */
void replay_capture(const struct replay_ops *ops, void *client, const char *label,
		    const void *bytes, uint64_t len);

/*
 * The label a capture's cases carry: the base name of `path` without its
 * extension ("dir/demo.vgcap args" -> "demo"), characters other than
 * letters, digits, '_' and '-' as '_'; "mN" (N = index + 1) when that
 * leaves nothing.  `cap` is at least 3.
 */
void replay_label(char *label, size_t cap, const char *path, unsigned index);

#endif /* VGPU_LIB_REPLAY_H */
