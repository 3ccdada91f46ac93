/* SPDX-License-Identifier: MIT */
/* The fake virtio PCI device of fake_pci.h: config space, BAR registers, capability list. */
#include "fake_pci.h"

#include <stdio.h>
#include <string.h>

static struct fake_pci *fake_of(void *ctx)
{
	return ctx;
}

static void bad_access(struct fake_pci *d, const char *what, uint32_t offset)
{
	d->bad_accesses++;
	printf("# fake device: %s at 0x%x\n", what, offset);
}

uint32_t fake_pci_load_le(const uint8_t *p, uint32_t width)
{
	uint32_t v = 0, i;

	for (i = 0; i < width; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

void fake_pci_store_le(uint8_t *p, uint32_t width, uint32_t v)
{
	uint32_t i;

	for (i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- config space ---- */

static uint32_t fake_cfg_read(void *ctx, uint32_t offset, uint32_t width)
{
	struct fake_pci *d = fake_of(ctx);

	if ((width != 1 && width != 2 && width != 4) || offset % width || offset + width > 256) {
		bad_access(d, "bad config space read", offset);
		return 0xffffffffu;
	}
	return fake_pci_load_le(d->cfg + offset, width);
}

static volatile void *fake_bar_map(void *ctx, uint32_t bar, uint64_t offset, uint64_t len)
{
	struct fake_pci *d = fake_of(ctx);

	if (bar >= 6)
		bad_access(d, "bar_map of a BAR that PCI does not have", bar);
	if (bar != BAR_INDEX || offset > BAR_SIZE || len > BAR_SIZE - offset)
		return NULL;
	return d->bar + offset;
}

/* ---- common configuration registers ---- */

static uint32_t common_width(uint32_t offset)
{
	if (offset < 16 || (offset >= 32 && offset < 56))
		return offset % 4 ? 0 : 4;
	if (offset == 20 || offset == 21)
		return 1;
	if (offset < 32)
		return offset % 2 ? 0 : 2;
	return 0;
}

static struct fake_queue *selected_queue(struct fake_pci *d)
{
	return d->queue_select < NQUEUES ? &d->queues[d->queue_select] : NULL;
}

static uint32_t queue_reg_read(struct fake_pci *d, uint32_t offset)
{
	struct fake_queue *q = selected_queue(d);

	if (!q)
		return 0;
	switch (offset) {
	case 24:
		return q->size;
	case 26:
		return q->msix;
	case 28:
		return q->enable;
	case 30:
		return q->notify_off;
	default:
		return q->addr[(offset - 32) / 4];
	}
}

static uint32_t feature_window(uint64_t features, uint32_t select)
{
	if (select > 1)
		return 0;
	return (uint32_t)(features >> (32 * select));
}

static uint8_t status_read(struct fake_pci *d)
{
	if (d->reset_stuck)
		return ST_ACK;
	if (d->reset_reads_left) {
		d->reset_reads_left--;
		return ST_ACK;
	}
	return d->status | (d->needs_reset ? ST_NEEDS_RESET : 0);
}

static uint32_t common_read(struct fake_pci *d, uint32_t offset)
{
	switch (offset) {
	case 0:
		return d->dfselect;
	case 4:
		return feature_window(d->device_features, d->dfselect);
	case 8:
		return d->gfselect;
	case 12:
		return feature_window(d->driver_features, d->gfselect);
	case 16:
		return d->msix_config;
	case 18:
		return d->num_queues;
	case 20:
		return status_read(d);
	case 21:
		return d->generation;
	case 22:
		return d->queue_select;
	default:
		return queue_reg_read(d, offset);
	}
}

static void fake_reset(struct fake_pci *d)
{
	unsigned i;

	d->resets++;
	d->status = 0;
	d->driver_features = 0;
	d->needs_reset = false;
	d->reset_reads_left = d->reset_delay;
	for (i = 0; i < NQUEUES; i++) {
		d->queues[i].size = d->queues[i].max_size;
		d->queues[i].enable = 0;
		memset(d->queues[i].addr, 0, sizeof(d->queues[i].addr));
	}
}

static void status_write(struct fake_pci *d, uint32_t value)
{
	if (d->nstatus < sizeof(d->status_log))
		d->status_log[d->nstatus++] = (uint8_t)value;
	if (value == 0) {
		fake_reset(d);
		return;
	}
	if (d->refuse_features_ok)
		value &= ~ST_FEATURES_OK;
	if ((value & ST_DRIVER_OK) && d->needs_reset_at_driver_ok)
		d->needs_reset = true;
	d->status = (uint8_t)value;
}

static void driver_feature_write(struct fake_pci *d, uint32_t value)
{
	if (d->gfselect > 1)
		return;
	d->driver_features &= ~(0xffffffffull << (32 * d->gfselect));
	d->driver_features |= (uint64_t)value << (32 * d->gfselect);
}

static void queue_reg_write(struct fake_pci *d, uint32_t offset, uint32_t value)
{
	struct fake_queue *q = selected_queue(d);

	if (!q)
		return;
	switch (offset) {
	case 24:
		q->size = (uint16_t)value;
		break;
	case 26:
		q->msix = fake_pci_msix_accept(d, value);
		break;
	case 28:
		q->enable = (uint16_t)value;
		break;
	case 30:
		bad_access(d, "write to queue_notify_off", offset);
		break;
	default:
		q->addr[(offset - 32) / 4] = value;
	}
}

static void common_write(struct fake_pci *d, uint32_t offset, uint32_t value)
{
	switch (offset) {
	case 0:
		d->dfselect = value;
		break;
	case 8:
		d->gfselect = value;
		break;
	case 12:
		driver_feature_write(d, value);
		break;
	case 16:
		d->msix_config = fake_pci_msix_accept(d, value);
		break;
	case 20:
		status_write(d, value);
		break;
	case 22:
		d->queue_select = (uint16_t)value;
		break;
	case 4:
	case 18:
	case 21:
		bad_access(d, "write to a read-only register", offset);
		break;
	default:
		queue_reg_write(d, offset, value);
	}
}

/* ---- device configuration ---- */

static void devcfg_maybe_change(struct fake_pci *d)
{
	if (d->change_always || (d->change_after_reads && --d->change_after_reads == 0)) {
		unsigned i;

		for (i = 0; i < DEVCFG_LEN; i++)
			d->devcfg[i] = (uint8_t)(d->devcfg[i] + 0x11);
		d->generation++;
	}
}

static uint32_t devcfg_read(struct fake_pci *d, uint32_t offset, uint32_t width)
{
	uint32_t v;

	if (offset + width > DEVCFG_LEN) {
		bad_access(d, "read beyond the device configuration", offset);
		return 0;
	}
	d->devcfg_reads++;
	v = fake_pci_load_le(d->devcfg + offset, width);
	devcfg_maybe_change(d);
	return v;
}

/* ---- MMIO dispatch ---- */

static bool bar_offset(struct fake_pci *d, volatile void *addr, uint32_t width, uint32_t *offset)
{
	uintptr_t a = (uintptr_t)addr, base = (uintptr_t)d->bar;

	if ((width != 1 && width != 2 && width != 4) || a < base || a + width > base + BAR_SIZE ||
	    (a - base) % width) {
		bad_access(d, "MMIO outside the BAR, or of a bad width or alignment",
			   (uint32_t)(a - base));
		return false;
	}
	*offset = (uint32_t)(a - base);
	return true;
}

static bool common_access_ok(struct fake_pci *d, uint32_t offset, uint32_t width)
{
	if (offset >= REGION_LEN || common_width(offset) != width) {
		bad_access(d, "common cfg access of the wrong width", offset);
		return false;
	}
	return true;
}

static uint32_t fake_mmio_read(void *ctx, volatile void *addr, uint32_t width)
{
	struct fake_pci *d = fake_of(ctx);
	uint32_t offset, v;

	if (!bar_offset(d, addr, width, &offset))
		return 0;
	if (d->unplugged) {
		bad_access(d, "register read after surprise removal", offset);
		return 0xFFFFFFFFu;
	}
	if (offset < ISR_AT)
		return common_access_ok(d, offset, width) ? common_read(d, offset) : 0;
	if (offset < DEVCFG_AT) {
		v = d->isr;
		d->isr = 0;
		return v;
	}
	if (offset < NOTIFY_AT)
		return devcfg_read(d, offset - DEVCFG_AT, width);
	bad_access(d, "read of the notify area", offset);
	return 0;
}

static void fake_mmio_write(void *ctx, volatile void *addr, uint32_t width, uint32_t value)
{
	struct fake_pci *d = fake_of(ctx);
	uint32_t offset;

	if (!bar_offset(d, addr, width, &offset))
		return;
	if (d->unplugged) {
		bad_access(d, "register write after surprise removal", offset);
		return;
	}
	if (offset < ISR_AT) {
		if (common_access_ok(d, offset, width))
			common_write(d, offset, value);
	} else if (offset >= DEVCFG_AT && offset < NOTIFY_AT) {
		if (offset - DEVCFG_AT + width > DEVCFG_LEN)
			bad_access(d, "write beyond the device configuration", offset);
		else
			fake_pci_store_le(d->devcfg + (offset - DEVCFG_AT), width, value);
	} else if (offset >= NOTIFY_AT) {
		d->notifies++;
		d->notify_offset = offset - NOTIFY_AT;
		d->notify_width = width;
		d->notify_value = value;
	} else {
		bad_access(d, "write to the ISR", offset);
	}
}

/* ---- capability list ---- */

void fake_pci_cap_vendor(struct fake_pci *d, uint8_t pos, uint8_t next, uint8_t cap_len,
			 uint8_t type, uint8_t bar, uint32_t offset, uint32_t length)
{
	d->cfg[pos] = 0x09;
	d->cfg[pos + 1] = next;
	d->cfg[pos + 2] = cap_len;
	d->cfg[pos + 3] = type;
	d->cfg[pos + 4] = bar;
	fake_pci_store_le(d->cfg + pos + 8, 4, offset);
	fake_pci_store_le(d->cfg + pos + 12, 4, length);
}

void fake_pci_cap_shm(struct fake_pci *d, uint8_t pos, uint8_t next, uint8_t bar, uint8_t id,
		      uint64_t offset, uint64_t length)
{
	fake_pci_cap_vendor(d, pos, next, 24, 8, bar, (uint32_t)offset, (uint32_t)length);
	d->cfg[pos + 5] = id;
	fake_pci_store_le(d->cfg + pos + 16, 4, (uint32_t)(offset >> 32));
	fake_pci_store_le(d->cfg + pos + 20, 4, (uint32_t)(length >> 32));
}

void fake_pci_set_bar(struct fake_pci *d, unsigned index, uint64_t address, uint32_t flags)
{
	fake_pci_store_le(d->cfg + 0x10 + 4 * index, 4, (uint32_t)address | flags);
	if (!(flags & BAR_IO) && (flags & 0x6u) == BAR_MEM64 && index + 1 < 6)
		fake_pci_store_le(d->cfg + 0x10 + 4 * (index + 1), 4, (uint32_t)(address >> 32));
}

void fake_pci_init(struct fake_pci *d)
{
	unsigned i;

	memset(d, 0, sizeof(*d));
	d->num_queues = NQUEUES;
	d->device_features = DEVICE_FEATURES;
	d->queues[0].max_size = 256;
	d->queues[1].max_size = 16;
	d->queues[1].notify_off = 1;
	for (i = 0; i < NQUEUES; i++)
		d->queues[i].size = d->queues[i].max_size;
	for (i = 0; i < DEVCFG_LEN; i++)
		d->devcfg[i] = (uint8_t)(0x40 + i);

	fake_pci_store_le(d->cfg + 0x06, 2, 0x10);
	fake_pci_set_bar(d, BAR_INDEX, BAR_INDEX_ADDRESS, BAR_MEM64 | BAR_PREFETCH);
	d->cfg[0x34] = CAP_MSIX;
	d->cfg[CAP_MSIX] = 0x11;
	d->cfg[CAP_MSIX + 1] = CAP_COMMON;
	fake_pci_cap_vendor(d, CAP_COMMON, CAP_ISR, 16, 1, BAR_INDEX, COMMON_AT, REGION_LEN);
	fake_pci_cap_vendor(d, CAP_ISR, CAP_DEVCFG, 16, 3, BAR_INDEX, ISR_AT, REGION_LEN);
	fake_pci_cap_vendor(d, CAP_DEVCFG, CAP_NOTIFY, 16, 4, BAR_INDEX, DEVCFG_AT, DEVCFG_LEN);
	fake_pci_cap_vendor(d, CAP_NOTIFY, CAP_PCICFG, 20, 2, BAR_INDEX, NOTIFY_AT, REGION_LEN);
	fake_pci_store_le(d->cfg + CAP_NOTIFY + 16, 4, NOTIFY_MULT);
	fake_pci_cap_vendor(d, CAP_PCICFG, 0, 20, 5, 0, 0, 0);
}

struct vgpu_os fake_pci_os(struct fake_pci *d)
{
	struct vgpu_os os;

	memset(&os, 0, sizeof(os));
	os.ctx = d;
	os.pci_cfg_read = fake_cfg_read;
	os.bar_map = fake_bar_map;
	os.mmio_read = fake_mmio_read;
	os.mmio_write = fake_mmio_write;
	return os;
}

uint16_t fake_pci_msix_accept(const struct fake_pci *d, uint32_t value)
{
	if (d->msix_vectors && value != 0xffffu && value >= d->msix_vectors)
		return 0xffffu;
	return (uint16_t)value;
}
