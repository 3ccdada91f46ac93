/* SPDX-License-Identifier: MIT */
/*
 * An opened device handle: its context, its resources (named by handles
 * private to it) and its fence timeline.
 */
#ifndef VGPU_KMD_FILE_H
#define VGPU_KMD_FILE_H

#include <stdbool.h>
#include <stdint.h>

#include "ctrlq.h"
#include "os.h"
#include "util.h"
#include "wait.h"
#include "vgpu/vgpu_abi.h"

struct vgpu_device;
struct vgpu_hv_range;

struct vgpu_resource {
	uint32_t handle;
	uint32_t res_id;
	struct vgpu_resource_create desc; /* a blob's size is desc.size */
	struct vgpu_backing *backing;     /* NULL: a blob, whose memory is the host's */
	uint32_t blob_flags;              /* VGPU_BLOB_FLAG_* */
	struct vgpu_hv_range *hv_range;   /* where the device maps the blob, NULL: not yet */
	enum vgpu_cache_type cache;       /* how the device lets us cache that mapping */
	void *mapping; /* the OS's user mapping, NULL when unmapped */
	uint64_t map_address;
	uint64_t last_use; /* timeline value of the last submit/transfer naming it */
};

struct vgpu_handle_slot {
	struct vgpu_resource *res;
	uint16_t gen;
};

struct vgpu_file {
	struct vgpu_list node; /* in dev->files, under dev->lock */
	struct vgpu_device *dev;
	void *file_ctx;
	struct vgpu_sleeplock lock; /* serialises the calls that change this file */
	uint32_t ctx_id;            /* 0 until CONTEXT_CREATE */
	bool unfinished;            /* closing, and the device never finished its work */
	bool unresponsive;          /* a command of this file got no answer */
	bool cancelled;             /* being closed: user waits end at once */

	struct vgpu_handle_slot *slots;
	uint32_t nslots;
	uint32_t nresources;

	/* timeline, under dev->lock */
	uint64_t last_signal;
	uint64_t completed;
	struct vgpu_list pending; /* fenced requests, in submission order */
};

/* Handles: low bits index the slot table, high bits its generation. */
#define VGPU_HANDLE_INDEX_BITS 20u
#define VGPU_MAX_HANDLES ((1u << VGPU_HANDLE_INDEX_BITS) - 1u)

/* Take / drop the file's lock (bounded: VGPU_E_TIMEOUT if a call is stuck). */
int vgpu_file_lock(struct vgpu_file *file);
void vgpu_file_unlock(struct vgpu_file *file);

struct vgpu_resource *vgpu_file_lookup(struct vgpu_file *file, uint32_t handle);
/* Give `res` a handle (sets res->handle). */
int vgpu_file_install(struct vgpu_file *file, struct vgpu_resource *res);
void vgpu_file_uninstall(struct vgpu_file *file, struct vgpu_resource *res);

/*
 * The fence target of a command that will signal `signal` on the file's
 * timeline; VGPU_E_INVALID unless signal is beyond every earlier value.
 * After a successful send, vgpu_timeline_sent records it.  Caller holds
 * the file's lock.
 */
int vgpu_timeline_target(struct vgpu_file *file, uint64_t signal,
			 struct vgpu_fence_target *target);
void vgpu_timeline_sent(struct vgpu_file *file, uint64_t signal);
/*
 * Wait until the timeline reaches `value` (timeout 0: just ask).  A
 * cancellable wait (a user's WAIT) also ends when the file is cancelled.
 */
int vgpu_timeline_wait(struct vgpu_file *file, uint64_t value, uint64_t timeout_ns,
		       bool cancellable, uint64_t *completed);

#endif /* VGPU_KMD_FILE_H */
