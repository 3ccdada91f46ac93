/* SPDX-License-Identifier: MIT */
#include "gpu.h"

#include "../kernel/kprint.h"

static void describe_bars(const struct pci_device *pci)
{
	uint32_t i;

	for (i = 0; i < PCI_BARS; i++)
		if (pci->bars[i].size)
			kprintf("# gpu: BAR%u at %llx, %llu bytes%s\n", i,
				(unsigned long long)pci->bars[i].base,
				(unsigned long long)pci->bars[i].size,
				pci->bars[i].usable ? "" : " (out of reach)");
}

int gpu_start(struct testos_gpu *gpu)
{
	int ret;

	if (!pci_find(GPU_PCI_VENDOR, GPU_PCI_DEVICE, &gpu->env.pci)) {
		kprintf("# gpu: no virtio-gpu (%04x:%04x) on the PCI bus\n", GPU_PCI_VENDOR,
			GPU_PCI_DEVICE);
		return VGPU_E_DEVICE;
	}
	kprintf("# gpu: found at %02x:%02x.%u\n", gpu->env.pci.bus, gpu->env.pci.slot,
		gpu->env.pci.function);
	describe_bars(&gpu->env.pci);
	testos_os_init(&gpu->env);

	ret = vgpu_virtio_pci_init(&gpu->vp, &gpu->env.os);
	if (ret != VGPU_OK) {
		kprintf("# gpu: virtio-pci transport refused the device (%d)\n", ret);
		return ret;
	}
	vgpu_virtio_pci_transport(&gpu->vp, &gpu->transport);
	ret = vgpu_device_create(&gpu->env.os, &gpu->transport, VGPU_PERSONALITY_STANDARD,
				 &gpu->dev);
	if (ret != VGPU_OK) {
		kprintf("# gpu: vgpu_device_create failed (%d)\n", ret);
		return ret;
	}
	/* Polled mode: "routing the interrupt" is letting waits reach the device. */
	gpu->env.dev = gpu->dev;
	ret = vgpu_device_start(gpu->dev);
	if (ret != VGPU_OK) {
		kprintf("# gpu: vgpu_device_start failed (%d)\n", ret);
		gpu_stop(gpu);
	}
	return ret;
}

void gpu_stop(struct testos_gpu *gpu)
{
	if (!gpu->dev)
		return;
	vgpu_device_destroy(gpu->dev);
	gpu->dev = NULL;
	gpu->env.dev = NULL;
}
