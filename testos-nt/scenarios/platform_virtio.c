/* SPDX-License-Identifier: MIT */
/*
 * The platform against the real device: find the virtio-gpu function,
 * size its BARs, map its virtio structures through the system range, and
 * have it raise interrupts by completing a real command
 * (VIRTIO_GPU_CMD_GET_DISPLAY_INFO) on its control queue: once by MSI-X
 * (held back while CR8 is at or above the vector's class, delivered below
 * it), once by its INTx line through the I/O APIC.
 */
#include "platform_checks.h"

#define VENDOR_VIRTIO 0x1AF4u
#define DEVICE_VIRTIO_GPU 0x1050u
#define CFG_COMMAND 0x04u
#define CFG_STATUS 0x06u
#define CFG_CAPABILITIES 0x34u
#define COMMAND_MEMORY 0x0002u
#define COMMAND_BUS_MASTER 0x0004u
#define COMMAND_INTX_DISABLE 0x0400u
#define STATUS_CAPABILITIES 0x0010u
#define CAP_VENDOR 0x09u
#define CAP_MSIX 0x11u
#define MSIX_ENABLE 0x8000u
#define MSIX_FUNCTION_MASK 0x4000u
#define MSIX_BIR 0x7u

/* virtio 1.x PCI transport (the virtio specification, 4.1.4). */
#define VIRTIO_CAP_COMMON 1u
#define VIRTIO_CAP_NOTIFY 2u
#define VIRTIO_CAP_ISR 3u
#define STATUS_ACKNOWLEDGE 0x01u
#define STATUS_DRIVER 0x02u
#define STATUS_DRIVER_OK 0x04u
#define STATUS_FEATURES_OK 0x08u
#define FEATURE_VERSION_1_HIGH 0x1u /* bit 32 */
#define NO_VECTOR 0xFFFFu
#define DESC_NEXT 0x1u
#define DESC_WRITE 0x2u
#define QUEUE_SIZE 8u
#define ISR_QUEUE 0x1u
#define GPU_CMD_GET_DISPLAY_INFO 0x0100u
#define GPU_RESP_OK_DISPLAY_INFO 0x1101u
#define GPU_MAX_SCANOUTS 16u

#define DEVICE_IRQL 5u
#define WAIT_NS 2000000000ull
#define HOLD_NS 30000000ull

struct virtio_common_cfg {
	uint32_t device_feature_select, device_feature;
	uint32_t driver_feature_select, driver_feature;
	uint16_t config_msix_vector, num_queues;
	uint8_t device_status, config_generation;
	uint16_t queue_select, queue_size, queue_msix_vector, queue_enable, queue_notify_off;
	uint32_t queue_desc_lo, queue_desc_hi;
	uint32_t queue_driver_lo, queue_driver_hi;
	uint32_t queue_device_lo, queue_device_hi;
};

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct virtq_avail {
	uint16_t flags, idx, ring[QUEUE_SIZE], used_event;
};

struct virtq_used {
	uint16_t flags, idx;
	struct {
		uint32_t id, len;
	} ring[QUEUE_SIZE];
	uint16_t avail_event;
};

struct gpu_ctrl_hdr {
	uint32_t type, flags;
	uint64_t fence_id;
	uint32_t ctx_id;
	uint8_t ring_idx, padding[3];
};

struct gpu_display_info {
	struct gpu_ctrl_hdr hdr;
	struct {
		uint32_t x, y, width, height, enabled, flags;
	} modes[GPU_MAX_SCANOUTS];
};

struct msix_entry {
	uint32_t addr_lo, addr_hi, data, control;
};

struct gpu {
	uint32_t bdf;
	uint64_t bar_va[6];
	volatile struct virtio_common_cfg *common;
	volatile uint8_t *isr;
	volatile uint16_t *notify;
	volatile struct msix_entry *msix_table;
	uint8_t msix_cap;
	struct virtq_desc *desc;
	volatile struct virtq_avail *avail;
	volatile struct virtq_used *used;
	struct gpu_ctrl_hdr *request;
	struct gpu_display_info *response;
	uint16_t next_avail;
};

static volatile unsigned msix_count, intx_count;
static struct gpu gpu;

static bool find_gpu(uint32_t *bdf)
{
	bool found = false;

	for (unsigned bus = 0; bus < 256; bus++) {
		for (unsigned dev = 0; dev < 32; dev++) {
			unsigned functions =
				pci_cfg_read(PCI_BDF(bus, dev, 0), 0x0E, 1) & 0x80u ? 8u : 1u;

			for (unsigned fn = 0; fn < functions; fn++) {
				uint32_t id = pci_cfg_read(PCI_BDF(bus, dev, fn), 0, 4);

				if ((id & 0xFFFFu) == 0xFFFFu)
					continue;
				con_printf("# pci %02x:%02x.%u %04x:%04x class %06x\n", bus, dev,
					   fn, id & 0xFFFFu, id >> 16,
					   pci_cfg_read(PCI_BDF(bus, dev, fn), 0x08, 4) >> 8);
				if (id == (DEVICE_VIRTIO_GPU << 16 | VENDOR_VIRTIO) && !found) {
					*bdf = PCI_BDF(bus, dev, fn);
					found = true;
				}
			}
		}
	}
	return found;
}

/* Maps every memory BAR uncached in the system range; true when a 64-bit one was among them. */
static bool map_bars(void)
{
	bool any64 = false;

	for (unsigned i = 0; i < 6; i++) {
		struct pci_bar bar;
		uint64_t va;

		pci_bar_probe(gpu.bdf, i, &bar);
		if (!bar.addr)
			continue;
		con_printf("# BAR%u: %s at 0x%llx, %llu bytes%s%s\n", i, bar.io ? "I/O" : "memory",
			   bar.addr, bar.len, bar.is64 ? ", 64-bit" : "",
			   bar.prefetchable ? ", prefetchable" : "");
		if (bar.io)
			continue;
		any64 = any64 || bar.is64;
		va = sysva_alloc(bar.len / PLAT_PAGE_SIZE);
		if (!va || vm_map(va, bar.addr, bar.len / PLAT_PAGE_SIZE,
				  VM_WRITE | VM_NX | VM_UNCACHED) != 0)
			return false;
		gpu.bar_va[i] = va;
	}
	return any64;
}

static volatile void *cap_target(uint8_t cap)
{
	unsigned bar = pci_cfg_read(gpu.bdf, cap + 4u, 1);
	uint32_t offset = pci_cfg_read(gpu.bdf, cap + 8u, 4);

	return bar < 6 && gpu.bar_va[bar] ? (volatile void *)(uintptr_t)(gpu.bar_va[bar] + offset)
					  : NULL;
}

/* The virtio structures and the MSI-X table, from the capability list. */
static bool find_structures(void)
{
	uint32_t notify_multiplier = 0;
	volatile uint8_t *notify_base = NULL;

	if (!(pci_cfg_read(gpu.bdf, CFG_STATUS, 2) & STATUS_CAPABILITIES))
		return false;
	for (uint8_t cap = pci_cfg_read(gpu.bdf, CFG_CAPABILITIES, 1) & 0xFCu; cap;
	     cap = pci_cfg_read(gpu.bdf, cap + 1u, 1) & 0xFCu) {
		uint8_t id = pci_cfg_read(gpu.bdf, cap, 1);
		uint8_t type = pci_cfg_read(gpu.bdf, cap + 3u, 1);

		if (id == CAP_MSIX) {
			uint32_t table = pci_cfg_read(gpu.bdf, cap + 4u, 4);

			gpu.msix_cap = cap;
			if (gpu.bar_va[table & MSIX_BIR])
				gpu.msix_table =
					(volatile void *)(uintptr_t)(gpu.bar_va[table & MSIX_BIR] +
								     (table & ~MSIX_BIR));
		} else if (id == CAP_VENDOR && type == VIRTIO_CAP_COMMON && !gpu.common) {
			gpu.common = cap_target(cap);
		} else if (id == CAP_VENDOR && type == VIRTIO_CAP_ISR && !gpu.isr) {
			gpu.isr = cap_target(cap);
		} else if (id == CAP_VENDOR && type == VIRTIO_CAP_NOTIFY && !notify_base) {
			notify_base = cap_target(cap);
			notify_multiplier = pci_cfg_read(gpu.bdf, cap + 16u, 4);
		}
	}
	/* A function without MSI-X (QEMU's vectors=0) signals on its INTx pin only. */
	if (!gpu.common || !gpu.isr || !notify_base || (gpu.msix_cap && !gpu.msix_table))
		return false;
	gpu.common->queue_select = 0;
	gpu.notify = (volatile uint16_t *)(notify_base +
					   gpu.common->queue_notify_off * notify_multiplier);
	return true;
}

/* Reset, negotiate VERSION_1 only, set up the control queue on MSI-X entry 0, DRIVER_OK. */
static bool start_device(uint64_t message_address, uint32_t message_data)
{
	volatile struct virtio_common_cfg *c = gpu.common;
	uint8_t *rings = page_alloc(1), *buffers = page_alloc(1);
	uint16_t vector = gpu.msix_cap ? 0 : NO_VECTOR;
	uint64_t now = plat_now_ns();

	if (!rings || !buffers)
		return false;
	gpu.desc = (struct virtq_desc *)rings;
	gpu.avail = (volatile struct virtq_avail *)(rings + 1024);
	gpu.used = (volatile struct virtq_used *)(rings + 2048);
	gpu.request = (struct gpu_ctrl_hdr *)buffers;
	gpu.response = (struct gpu_display_info *)(buffers + 1024);

	pci_cfg_write(gpu.bdf, CFG_COMMAND, 2,
		      pci_cfg_read(gpu.bdf, CFG_COMMAND, 2) | COMMAND_MEMORY | COMMAND_BUS_MASTER);
	if (gpu.msix_cap) {
		uint16_t control = pci_cfg_read(gpu.bdf, gpu.msix_cap + 2u, 2);

		pci_cfg_write(gpu.bdf, gpu.msix_cap + 2u, 2,
			      control | MSIX_ENABLE | MSIX_FUNCTION_MASK);
		gpu.msix_table[0].addr_lo = (uint32_t)message_address;
		gpu.msix_table[0].addr_hi = (uint32_t)(message_address >> 32);
		gpu.msix_table[0].data = message_data;
		gpu.msix_table[0].control = 0; /* unmasked */
		pci_cfg_write(gpu.bdf, gpu.msix_cap + 2u, 2,
			      (control | MSIX_ENABLE) & ~MSIX_FUNCTION_MASK);
	}

	c->device_status = 0;
	while (c->device_status != 0)
		if (plat_now_ns() - now > WAIT_NS)
			return false;
	c->device_status = STATUS_ACKNOWLEDGE | STATUS_DRIVER;
	c->device_feature_select = 1;
	if (!(c->device_feature & FEATURE_VERSION_1_HIGH))
		return false;
	c->driver_feature_select = 1;
	c->driver_feature = FEATURE_VERSION_1_HIGH;
	c->driver_feature_select = 0;
	c->driver_feature = 0;
	c->device_status = STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK;
	if (!(c->device_status & STATUS_FEATURES_OK))
		return false;
	c->config_msix_vector = NO_VECTOR;
	c->queue_select = 0;
	if (c->queue_size < QUEUE_SIZE)
		return false;
	c->queue_size = QUEUE_SIZE;
	c->queue_msix_vector = vector;
	if (c->queue_msix_vector != vector)
		return false;
	c->queue_desc_lo = (uint32_t)(uintptr_t)gpu.desc;
	c->queue_desc_hi = (uint32_t)((uintptr_t)gpu.desc >> 32);
	c->queue_driver_lo = (uint32_t)(uintptr_t)gpu.avail;
	c->queue_driver_hi = (uint32_t)((uintptr_t)gpu.avail >> 32);
	c->queue_device_lo = (uint32_t)(uintptr_t)gpu.used;
	c->queue_device_hi = (uint32_t)((uintptr_t)gpu.used >> 32);
	c->queue_enable = 1;
	c->device_status =
		STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK;
	return true;
}

/* Queue GET_DISPLAY_INFO and wait (polling) until the device has used it. */
static bool display_info_roundtrip(void)
{
	uint16_t slot = gpu.next_avail % QUEUE_SIZE;
	uint64_t start = plat_now_ns();

	memset(gpu.request, 0, sizeof(*gpu.request));
	memset(gpu.response, 0, sizeof(*gpu.response));
	gpu.request->type = GPU_CMD_GET_DISPLAY_INFO;
	gpu.desc[0] =
		(struct virtq_desc){ (uintptr_t)gpu.request, sizeof(*gpu.request), DESC_NEXT, 1 };
	gpu.desc[1] = (struct virtq_desc){ (uintptr_t)gpu.response, sizeof(*gpu.response),
					   DESC_WRITE, 0 };
	gpu.avail->ring[slot] = 0;
	__asm__ volatile("" : : : "memory"); /* x86 keeps stores in order; the compiler must too */
	gpu.avail->idx = ++gpu.next_avail;
	*gpu.notify = 0;
	while (gpu.used->idx != gpu.next_avail)
		if (plat_now_ns() - start > WAIT_NS)
			return false;
	return gpu.response->hdr.type == GPU_RESP_OK_DISPLAY_INFO;
}

static void set_cr8(uint64_t irql)
{
	__asm__ volatile("mov %0, %%cr8" : : "r"(irql) : "memory");
}

static void on_msix(void *ctx, uint8_t vector)
{
	msix_count++;
	lapic_eoi();
}

static void on_intx(void *ctx, uint8_t vector)
{
	/* Reading the ISR status acknowledges it and lowers the line: before the EOI. */
	if (*gpu.isr & ISR_QUEUE)
		intx_count++;
	lapic_eoi();
}

static void check_msix(void)
{
	uint8_t vector = irq_vector_alloc(DEVICE_IRQL, on_msix, NULL);
	unsigned class = vector >> 4;
	bool held_at, held_above, started, completed;

	started = vector && start_device(msi_address(), msi_data(vector));
	check_case("platform.virtio_gpu_start", started);
	if (!started)
		return;
	set_cr8(class);
	completed = display_info_roundtrip();
	con_printf("# display info: %s, scanout 0 %ux%u enabled %u; MSI-X vector 0x%x, "
		   "address 0x%llx, data 0x%x\n",
		   completed ? "answered" : "no answer", gpu.response->modes[0].width,
		   gpu.response->modes[0].height, gpu.response->modes[0].enabled, vector,
		   msi_address(), msi_data(vector));
	check_case("platform.virtio_gpu_command", completed);
	irq_idle(plat_now_ns() + HOLD_NS);
	held_at = msix_count == 0;
	set_cr8(class + 1);
	irq_window();
	held_above = msix_count == 0;
	set_cr8(class - 1);
	irq_window();
	set_cr8(0);
	con_printf("# MSI-X held at CR8 %u: %s, above: %s; delivered below: %u\n", class,
		   held_at ? "yes" : "no", held_above ? "yes" : "no", msix_count);
	check_case("platform.msix_held_by_cr8", completed && held_at && held_above);
	check_case("platform.msix_delivered", completed && msix_count == 1);
	irq_vector_free(vector);
}

static void check_intx(void)
{
	uint8_t vector = irq_vector_alloc(DEVICE_IRQL, on_intx, NULL);
	unsigned gsi = pci_intx_gsi(gpu.bdf);
	uint64_t deadline;
	bool completed;

	/* Without MSI-X the function signals on its INTx pin. */
	if (gpu.msix_cap)
		pci_cfg_write(gpu.bdf, gpu.msix_cap + 2u, 2,
			      pci_cfg_read(gpu.bdf, gpu.msix_cap + 2u, 2) & ~MSIX_ENABLE);
	pci_cfg_write(gpu.bdf, CFG_COMMAND, 2,
		      pci_cfg_read(gpu.bdf, CFG_COMMAND, 2) & ~COMMAND_INTX_DISABLE);
	if (!vector || ioapic_route(gsi, vector) != 0) {
		check_case("platform.intx_delivered", false);
		return;
	}
	ioapic_mask(gsi, false);
	completed = display_info_roundtrip();
	deadline = plat_now_ns() + WAIT_NS;
	while (!intx_count && plat_now_ns() < deadline)
		irq_idle(deadline);
	ioapic_mask(gsi, true);
	con_printf("# INTx pin %u, interrupt line (GSI) %u: %u interrupt(s)\n",
		   pci_cfg_read(gpu.bdf, 0x3D, 1), gsi, intx_count);
	check_case("platform.intx_delivered", completed && intx_count == 1);
	irq_vector_free(vector);
}

void check_virtio_gpu(void)
{
	bool found = find_gpu(&gpu.bdf);

	check_case("platform.pci_finds_virtio_gpu", found);
	if (!found)
		return;
	check_case("platform.pci_bars", map_bars() && find_structures());
	if (!gpu.common)
		return;
	if (gpu.msix_cap) {
		check_msix();
	} else {
		con_printf("# no MSI-X capability: the function signals on its INTx pin only\n");
		check_case("platform.virtio_gpu_start", start_device(0, 0));
	}
	check_intx();
	gpu.common->device_status = 0; /* reset: the device stops using our rings */
}
