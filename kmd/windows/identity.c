/* SPDX-License-Identifier: MIT */
/*
 * The PCI functions vgpu.sys accepts.  A VGA virtio-gpu (virtio-vga)
 * carries the VM's desktop: it belongs to the display driver, never to
 * vgpu (the INF does not match it either; this catches a forced install).
 * Mvisor's id is also virtio-pmem's, which the INF cannot tell apart: its
 * class, then its device configuration, are looked at before the device is
 * touched, so that a pmem device is left as the firmware set it up.
 */
#include "identity.h"

#define PCI_VENDOR_REDHAT_VIRTIO 0x1AF4u
#define PCI_DEVICE_VIRTIO_GPU 0x1050u
#define PCI_DEVICE_MVISOR_VGPU 0x105Bu
#define PCI_CLASS_DISPLAY_VGA 0x0300u
/* The class QEMU gives virtio-pmem-pci ("unassigned"); Mvisor leaves its device's at 0. */
#define PCI_CLASS_OTHERS 0xFF00u

/*
 * Mvisor's device configuration begins {u8 staging; u8 num_queues;
 * le32 num_capsets} (packed): a bool, 2 (its VMM makes exactly two queues)
 * and a handful of capsets (virgl, virgl2).  virtio-pmem's begins with
 * le64 start, the guest-physical address of its memory, page-aligned: byte
 * 1 carries address bits 8-15, of which 8-11 are zero, so it is never 2.
 */
#define MVISOR_CFG_STAGING 0
#define MVISOR_CFG_NUM_QUEUES 1
#define MVISOR_CFG_NUM_CAPSETS 2
#define MVISOR_QUEUES 2u
#define MVISOR_MAX_CAPSETS 8u

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
		if (class_code != PCI_CLASS_OTHERS) {
			*personality = VGPU_PERSONALITY_MVISOR;
			return true;
		}
		refusal = "this 1AF4:105B of class ff00 is a virtio-pmem device, not Mvisor's "
			  "virtio-vgpu; left untouched";
	}
	*why = refusal;
	return false;
}

bool win_identify_mvisor(const uint8_t *config, uint32_t len, const char **why)
{
	uint32_t capsets;

	if (!why)
		return false;
	if (config && len >= WIN_MVISOR_ID_BYTES) {
		capsets = (uint32_t)config[MVISOR_CFG_NUM_CAPSETS] |
			  (uint32_t)config[MVISOR_CFG_NUM_CAPSETS + 1] << 8 |
			  (uint32_t)config[MVISOR_CFG_NUM_CAPSETS + 2] << 16 |
			  (uint32_t)config[MVISOR_CFG_NUM_CAPSETS + 3] << 24;
		if (config[MVISOR_CFG_STAGING] <= 1 &&
		    config[MVISOR_CFG_NUM_QUEUES] == MVISOR_QUEUES && capsets >= 1 &&
		    capsets <= MVISOR_MAX_CAPSETS)
			return true;
	}
	*why = "this 1AF4:105B's configuration is not Mvisor's virtio-vgpu (a virtio-pmem "
	       "device?); left untouched";
	return false;
}
