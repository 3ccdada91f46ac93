/* SPDX-License-Identifier: MIT */
/*
 * The PCI functions vgpu.sys accepts.  A VGA virtio-gpu (virtio-vga)
 * carries the VM's desktop: it belongs to the display driver, never to
 * vgpu (the INF does not match it either; this catches a forced install).
 */
#include "identity.h"

#define PCI_VENDOR_REDHAT_VIRTIO 0x1AF4u
#define PCI_DEVICE_VIRTIO_GPU 0x1050u
#define PCI_DEVICE_MVISOR_VGPU 0x105Bu
#define PCI_CLASS_DISPLAY_VGA 0x0300u

bool win_identify(uint32_t vendor, uint32_t device, uint32_t class_code,
		  enum vgpu_personality *personality, const char **why)
{
	const char *refusal = "not a virtio-gpu PCI function";

	if (!personality || !why)
		return false;
	if (vendor == PCI_VENDOR_REDHAT_VIRTIO && device == PCI_DEVICE_VIRTIO_GPU) {
		if (class_code != PCI_CLASS_DISPLAY_VGA) {
			*personality = VGPU_PERSONALITY_STANDARD;
			return true;
		}
		refusal = "this virtio-gpu is the VM's VGA display; add a virtio-gpu-gl-pci";
	} else if (vendor == PCI_VENDOR_REDHAT_VIRTIO && device == PCI_DEVICE_MVISOR_VGPU) {
		*personality = VGPU_PERSONALITY_MVISOR;
		return true;
	}
	*why = refusal;
	return false;
}
