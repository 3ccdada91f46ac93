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
struct vgpu_orphan;

struct vgpu_resource {
	uint32_t handle;
	uint32_t res_id;
	struct vgpu_resource_create desc; /* a blob's size is desc.size */
	struct vgpu_backing *backing;     /* NULL: a blob, whose memory is the host's */
	struct vgpu_orphan *orphan;       /* keeps the backing if the device may still use it */
	uint32_t blob_flags;              /* VGPU_BLOB_FLAG_* */
	struct vgpu_hv_range *hv_range;   /* where the device maps the blob, NULL: not yet */
	enum vgpu_cache_type cache;       /* how the device lets us cache that mapping */
	void *mapping;                    /* the OS's user mapping, NULL when unmapped */
	uint64_t map_address;
	uint64_t last_use; /* timeline value of the last submit/transfer naming it */
	/* The submit in progress names it: each handle is read from the caller once. */
	struct vgpu_resource *next_named;
	bool named;
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
	uint64_t owner;             /* vgpu_file_set_owner's key; 0: its own owner */
	uint64_t pinned_bytes;      /* its resources' backing, under dev->lock */

	struct vgpu_handle_slot *slots;
	uint32_t nslots;
	uint32_t nresources;
	uint32_t nretired; /* slots whose generations are spent */

	/* timeline, under dev->lock */
	uint64_t last_signal;
	uint64_t completed;
	struct vgpu_list pending; /* fenced requests, in submission order */
};

/* Take / drop the file's lock (bounded: VGPU_E_TIMEOUT if a call is stuck). */
int vgpu_file_lock(struct vgpu_file *file, void *call);
void vgpu_file_unlock(struct vgpu_file *file);

#endif /* VGPU_KMD_FILE_H */
