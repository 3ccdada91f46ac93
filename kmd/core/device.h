/* SPDX-License-Identifier: MIT */
/*
 * The device as the core's own files see it, and the services under all
 * of them: the OS table's lock, memory and log, fresh ids, backings kept
 * for a stuck device, the capset table.  It calls nothing of the core
 * itself; it only embeds the state of the control queue, host-visible
 * memory and sleep locks, whose headers are types and declarations that
 * never include this one.  Not for shells: they use vgpu_core.h.
 *
 * Locking (levels as in os.h):
 *  - dev->lock (DISPATCH): the control queue, the requests in flight, the
 *    waiters, every file's timeline progress, the id counters and stats.
 *  - a file's sleep lock (PASSIVE, see wait.h): serialises the calls of
 *    one file that change its objects; never taken with dev->lock held.
 */
#ifndef VGPU_KMD_DEVICE_H
#define VGPU_KMD_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "ctrlq.h"
#include "host_visible.h"
#include "os.h"
#include "util.h"
#include "wait.h"
#include "virtio/transport.h"
#include "vgpu/vgpu_abi.h"

#define VGPU_MAX_CAPSETS 8u
#define VGPU_DEFAULT_COMMAND_TIMEOUT_NS (5ull * 1000000000ull)

struct vgpu_capset {
	uint32_t id;
	uint32_t max_version;
	uint32_t max_size;
	uint32_t cached_version; /* 0: not fetched yet */
	uint32_t cached_size;
	uint8_t *cached;
};

struct vgpu_device {
	const struct vgpu_os *os;
	const struct vgpu_transport *transport;
	enum vgpu_personality personality;
	void *lock;

	uint64_t features; /* negotiated virtio feature bits */
	uint32_t num_scanouts;
	bool staging;                /* the device asks for copy transfers */
	bool blob;                   /* the device takes blob commands */
	struct vgpu_host_visible hv; /* where blobs are mapped; size 0: they cannot be */
	struct vgpu_ctrlq ctrlq;

	uint32_t num_capsets;
	struct vgpu_capset capsets[VGPU_MAX_CAPSETS];
	struct vgpu_sleeplock capset_lock;

	struct vgpu_list files;
	struct vgpu_list waiters;
	void *nudge_timer;        /* the OS's timer that nudges, or NULL (wait.h) */
	uint32_t fence_waiters;   /* threads in vgpu_wait_fences, while nudge_timer runs */
	struct vgpu_list orphans; /* backings a stuck device may still use */
	bool lost;
	bool detached;             /* lost, and the transport is another core's */
	bool blobs_given_back;     /* vgpu_device_give_back_blobs ran: no blob is mapped again */
	uint32_t maps_in_progress; /* blob maps between their range and the device's answer */
	uint64_t pin_limit_device; /* backing bytes of all files together; 0: none */
	uint64_t pin_limit_owner;  /* backing bytes of one owner's files; 0: none */
	uint64_t command_timeout_ns;

	uint32_t next_ctx_id;
	uint32_t next_res_id;

	struct vgpu_get_stats stats;
};

/* Convenience wrappers over the OS table. */
static inline void vgpu_dev_lock(struct vgpu_device *dev)
{
	dev->os->lock(dev->os->ctx, dev->lock);
}

static inline void vgpu_dev_unlock(struct vgpu_device *dev)
{
	dev->os->unlock(dev->os->ctx, dev->lock);
}

static inline void *vgpu_dev_alloc(struct vgpu_device *dev, size_t size)
{
	return dev->os->alloc(dev->os->ctx, size);
}

static inline void vgpu_dev_free(struct vgpu_device *dev, void *ptr)
{
	if (ptr)
		dev->os->free(dev->os->ctx, ptr);
}

static inline void vgpu_dev_log(struct vgpu_device *dev, enum vgpu_log_level level, const char *msg,
				uint64_t a, uint64_t b)
{
	if (dev->os->log)
		dev->os->log(dev->os->ctx, level, msg, a, b);
}

/*
 * The device's own state: no device I/O, nothing of the lower modules.
 * VGPU_OK or VGPU_E_NO_MEMORY (no lock).  vgpu_dev_fini runs after the
 * device's reset, when nothing it held can be written any more.  PASSIVE.
 */
int vgpu_dev_init(struct vgpu_device *dev, const struct vgpu_os *os,
		  const struct vgpu_transport *transport, enum vgpu_personality personality);
void vgpu_dev_fini(struct vgpu_device *dev);

/* Fresh device-wide ids; never 0, not reused until they wrap. Caller holds no lock. */
uint32_t vgpu_dev_new_ctx_id(struct vgpu_device *dev);
uint32_t vgpu_dev_new_res_id(struct vgpu_device *dev);

/*
 * Keeping a backing the device may still be using until the device is
 * reset (a leak bounded by the device's life, never a use-after-free)
 * takes a record.  It is made ahead, with the resource: when the device
 * stops answering, memory may be short too, and a backing without a
 * record would never be freed.  NULL when out of memory; an unused record
 * goes with vgpu_dev_free.
 */
struct vgpu_orphan *vgpu_dev_orphan_alloc(struct vgpu_device *dev);
/* Keep `backing` in `orphan`, which the device owns from now on. */
void vgpu_dev_orphan_backing(struct vgpu_device *dev, struct vgpu_orphan *orphan,
			     struct vgpu_backing *backing);

/* Can RESOURCE_CREATE_BLOB work: blob commands, and host-visible memory to map blobs in? */
static inline bool vgpu_dev_blob_usable(const struct vgpu_device *dev)
{
	return dev->blob && dev->hv.size;
}

/* Find the cached capset entry with this id, NULL if the device lacks it. */
struct vgpu_capset *vgpu_dev_find_capset(struct vgpu_device *dev, uint32_t id);

#endif /* VGPU_KMD_DEVICE_H */
