/* SPDX-License-Identifier: MIT */
/*
 * The virtio PCI transport on the fake PCI device (fake_pci.h), ready for a
 * case: static inline so that its CHECKs count in the including program.
 */
#ifndef VGPU_TESTS_VIRTIO_PCI_RIG_H
#define VGPU_TESTS_VIRTIO_PCI_RIG_H

#include <stdio.h>
#include <stdlib.h>

#include "fake_pci.h"
#include "tap.h"
#include "vgpu/vgpu_abi.h"
#include "virtio/virtio_pci.h"

/* A device brought to the point where the transport can drive it. */
struct rig {
	struct fake_pci dev;
	struct vgpu_os os;
	struct vgpu_virtio_pci vp;
	struct vgpu_transport t;
};

static inline struct rig *rig_new(void)
{
	struct rig *r = calloc(1, sizeof(*r));

	if (!r) {
		printf("# out of memory\n");
		exit(2);
	}
	fake_pci_init(&r->dev);
	r->os = fake_pci_os(&r->dev);
	return r;
}

static inline int rig_init(struct rig *r)
{
	int err = vgpu_virtio_pci_init(&r->vp, &r->os);

	vgpu_virtio_pci_transport(&r->vp, &r->t);
	return err;
}

static inline struct rig *rig_up(void)
{
	struct rig *r = rig_new();

	CHECK_EQ(rig_init(r), VGPU_OK);
	return r;
}

static inline void rig_done(struct rig *r)
{
	CHECK_EQ(r->dev.bad_accesses, 0);
	free(r);
}

/* One way to spoil a good device's configuration space, for the malformed-input cases. */
typedef void (*breakage)(struct fake_pci *d);

#endif /* VGPU_TESTS_VIRTIO_PCI_RIG_H */
