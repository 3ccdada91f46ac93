/* SPDX-License-Identifier: MIT */
/*
 * What differs between the devices vgpu drives, in one place: the standard
 * virtio-gpu (PCI 1AF4:1050) and Mvisor's virtio-vgpu (1AF4:105B).  The rest
 * of the core is shared.
 *
 * Mvisor's device, as its VMM implements it: a packed config struct of its
 * own; queue 0 carries commands and queue 1 control (capsets, contexts);
 * ATTACH_BACKING takes one contiguous range; commands it does not know
 * abort the VMM, so the core must send it nothing else.
 */
#ifndef VGPU_KMD_PERSONALITY_H
#define VGPU_KMD_PERSONALITY_H

#include <stdbool.h>
#include <stdint.h>

struct vgpu_device;
struct vgpu_backing;

/* What the device's configuration space says, in the core's terms. */
struct vgpu_dev_config {
	uint32_t num_capsets;
	uint32_t num_scanouts;
	uint32_t num_queues;  /* command-carrying queues the core sets up */
	bool staging;         /* the device wants copy transfers (Mvisor) */
};

/* Device feature bits the personality needs (all) and may use (optional). */
void vgpu_personality_features(const struct vgpu_device *dev, uint64_t *required,
			       uint64_t *optional);
void vgpu_personality_read_config(struct vgpu_device *dev, struct vgpu_dev_config *cfg);
/* The queue that carries a command of this type. */
uint16_t vgpu_personality_queue(const struct vgpu_device *dev, uint32_t cmd_type);
/* Whether each resource's backing must be one physically contiguous range. */
bool vgpu_personality_contiguous_backing(const struct vgpu_device *dev);
/* ATTACH_BACKING in the device's encoding. */
int vgpu_personality_attach_backing(struct vgpu_device *dev, uint32_t res_id,
				    const struct vgpu_backing *backing);

#endif /* VGPU_KMD_PERSONALITY_H */
