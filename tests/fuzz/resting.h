/* SPDX-License-Identifier: MIT */
/*
 * What a device holds of the fake OS at rest, for the harnesses that keep
 * one device across inputs and check it is back where it was after each.
 */
#ifndef VGPU_TESTS_FUZZ_RESTING_H
#define VGPU_TESTS_FUZZ_RESTING_H

#include <stdint.h>

#include "device.h" /* white box: the request pool's parked blocks */
#include "harness.h"

/* OS objects of a device at rest, the request pool's parked blocks left out. */
struct resting {
	int64_t allocs, dma, backings, maps, locks, events;
};

static inline int64_t resting_list_length(struct vgpu_list *list)
{
	int64_t n = 0;

	for (struct vgpu_list *pos = list->next; pos != list; pos = pos->next)
		n++;
	return n;
}

/*
 * The request pool keeps its peak of blocks (an allocation and a DMA
 * block each) parked for reuse, and GET_CAPSET caches each capset it
 * fetched, until the device goes: device state, not a leak, and not a
 * change a call makes to the state it answers for.
 */
static inline struct resting resting_of(struct harness *h)
{
	struct vgpu_device *dev = h->dev;
	int64_t parked, cached = 0;

	vgpu_dev_lock(dev);
	parked = resting_list_length(&dev->ctrlq.slots.free) +
		 resting_list_length(&dev->ctrlq.chunks.free);
	for (uint32_t i = 0; i < dev->num_capsets; i++)
		cached += dev->capsets[i].cached != NULL;
	vgpu_dev_unlock(dev);
	return (struct resting){ .allocs = h->os.live_allocs - parked - cached,
				 .dma = h->os.live_dma - parked,
				 .backings = h->os.live_backings,
				 .maps = h->os.live_maps,
				 .locks = h->os.live_locks,
				 .events = h->os.live_events };
}

#endif /* VGPU_TESTS_FUZZ_RESTING_H */
