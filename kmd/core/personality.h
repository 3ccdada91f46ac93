/* SPDX-License-Identifier: MIT */
/*
 * What differs between the devices vgpu drives, in one place: the standard
 * virtio-gpu (PCI 1AF4:1050) and Mvisor's virtio-vgpu (1AF4:105B).  The rest
 * of the core is shared.
 *
 * Mvisor's device, as its VMM implements it: a packed config struct of its
 * own; queue 0 carries commands and queue 1 control (capsets, contexts);
 * ATTACH_BACKING takes one contiguous range; CREATE_BLOB carries the
 * gallium description (the device creates the virgl object itself);
 * MAP_BLOB answers a guest-physical address the device chose (its VMM
 * places blobs from 256 GiB up); commands it does not know abort the VMM,
 * so the core must send it nothing else.
 *
 * This file only says what the device is; the commands it encodes its own
 * way are in gpu/personality_cmds.c.
 */
#ifndef VGPU_KMD_PERSONALITY_H
#define VGPU_KMD_PERSONALITY_H

#include <stdbool.h>
#include <stdint.h>

#include "vgpu/vgpu_abi.h"

struct vgpu_device;

/* What the device's configuration space says, in the core's terms. */
struct vgpu_dev_config {
	uint32_t num_capsets;
	uint32_t num_scanouts;
	uint32_t num_queues; /* command-carrying queues the core sets up */
	bool staging;        /* the device wants copy transfers (Mvisor) */
	bool blob;           /* the device takes blob commands */
	uint64_t hv_pa;      /* its host-visible memory (guest-physical); hv_size 0: none */
	uint64_t hv_size;
};

/* Device feature bits the personality needs (all) and may use (optional). */
void vgpu_personality_features(const struct vgpu_device *dev, uint64_t *required,
			       uint64_t *optional);
void vgpu_personality_read_config(struct vgpu_device *dev, struct vgpu_dev_config *cfg);
/* The queue that carries a command of this type. */
uint16_t vgpu_personality_queue(const struct vgpu_device *dev, uint32_t cmd_type);
/* Whether each resource's backing must be one physically contiguous range. */
bool vgpu_personality_contiguous_backing(const struct vgpu_device *dev);
/* Whether RESOURCE_CREATE_BLOB carries the gallium description (VGPU_FEATURE_BLOB_DESC). */
bool vgpu_personality_blob_desc(const struct vgpu_device *dev);
/* Whether the device chooses where a blob goes in host-visible memory (else the driver does). */
bool vgpu_personality_device_places_blobs(const struct vgpu_device *dev);

#endif /* VGPU_KMD_PERSONALITY_H */
