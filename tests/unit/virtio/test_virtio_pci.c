// SPDX-License-Identifier: MIT
/*
 * The virtio PCI modern transport against a fake PCI device modelled here
 * from the spec (virtio 1.x, 4.1): a 256-byte config space with a
 * capability list and one BAR holding the common configuration (registers
 * that behave like a device's: feature windows, queue select, status),
 * the ISR byte, the device configuration and the notify area.  The fake
 * also flags every access a driver must not make: wrong width, misaligned,
 * read-only registers written, anything outside config space or the BAR.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "vgpu/vgpu_abi.h"
#include "virtio/virtio_pci.h"

#define BAR_INDEX 4u
#define BAR_SIZE 0x4000u
#define COMMON_AT 0x0000u
#define ISR_AT 0x1000u
#define DEVCFG_AT 0x2000u
#define NOTIFY_AT 0x3000u
#define REGION_LEN 0x1000u
#define DEVCFG_LEN 64u
#define NOTIFY_MULT 4u
#define NQUEUES 2u

#define ST_ACK 0x01u
#define ST_DRIVER 0x02u
#define ST_DRIVER_OK 0x04u
#define ST_FEATURES_OK 0x08u
#define ST_NEEDS_RESET 0x40u
#define ST_FAILED 0x80u

#define DEVICE_FEATURES (1ull << 32 | 1ull << 29 | 1ull << 28 | 0x3u)

struct fake_queue {
	uint16_t max_size, size, msix, enable, notify_off;
	uint32_t addr[6]; /* desc lo/hi, avail lo/hi, used lo/hi */
};

struct fake_pci {
	uint8_t cfg[256];
	uint8_t bar[BAR_SIZE];

	/* common configuration */
	uint32_t dfselect, gfselect;
	uint64_t device_features, driver_features;
	uint8_t status, generation;
	uint16_t msix_config, queue_select;
	struct fake_queue queues[NQUEUES];

	uint8_t devcfg[DEVCFG_LEN];
	uint8_t isr;

	/* misbehaviour knobs */
	uint16_t num_queues; /* what the device admits to; the model has NQUEUES */
	bool refuse_features_ok;
	bool needs_reset;
	bool reset_stuck;
	unsigned reset_delay, reset_reads_left;
	unsigned change_after_reads; /* devcfg changes after this many reads (0: never) */
	bool change_always;

	/* what the driver did */
	unsigned bad_accesses;
	unsigned resets;
	unsigned devcfg_reads;
	uint8_t status_log[16];
	unsigned nstatus;
	unsigned notifies;
	uint32_t notify_offset, notify_width, notify_value;
};

static struct fake_pci *fake_of(void *ctx)
{
	return ctx;
}

static void bad_access(struct fake_pci *d, const char *what, uint32_t offset)
{
	d->bad_accesses++;
	printf("# fake device: %s at 0x%x\n", what, offset);
}

static uint32_t load_le(const uint8_t *p, uint32_t width)
{
	uint32_t v = 0, i;

	for (i = 0; i < width; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static void store_le(uint8_t *p, uint32_t width, uint32_t v)
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
	return load_le(d->cfg + offset, width);
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
		q->msix = (uint16_t)value;
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
		d->msix_config = (uint16_t)value;
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
	v = load_le(d->devcfg + offset, width);
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
	if (offset < ISR_AT) {
		if (common_access_ok(d, offset, width))
			common_write(d, offset, value);
	} else if (offset >= DEVCFG_AT && offset < NOTIFY_AT) {
		if (offset - DEVCFG_AT + width > DEVCFG_LEN)
			bad_access(d, "write beyond the device configuration", offset);
		else
			store_le(d->devcfg + offset - DEVCFG_AT, width, value);
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

static void cap_vendor(struct fake_pci *d, uint8_t pos, uint8_t next, uint8_t cap_len,
		       uint8_t type, uint8_t bar, uint32_t offset, uint32_t length)
{
	d->cfg[pos] = 0x09;
	d->cfg[pos + 1] = next;
	d->cfg[pos + 2] = cap_len;
	d->cfg[pos + 3] = type;
	d->cfg[pos + 4] = bar;
	store_le(d->cfg + pos + 8, 4, offset);
	store_le(d->cfg + pos + 12, 4, length);
}

/* Positions of the standard list, so cases can break one link. */
enum {
	CAP_MSIX = 0x40,
	CAP_COMMON = 0x50,
	CAP_ISR = 0x60,
	CAP_DEVCFG = 0x70,
	CAP_NOTIFY = 0x80,
	CAP_PCICFG = 0x98,
};

static void fake_init(struct fake_pci *d)
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

	store_le(d->cfg + 0x06, 2, 0x10);
	d->cfg[0x34] = CAP_MSIX;
	d->cfg[CAP_MSIX] = 0x11;
	d->cfg[CAP_MSIX + 1] = CAP_COMMON;
	cap_vendor(d, CAP_COMMON, CAP_ISR, 16, 1, BAR_INDEX, COMMON_AT, REGION_LEN);
	cap_vendor(d, CAP_ISR, CAP_DEVCFG, 16, 3, BAR_INDEX, ISR_AT, REGION_LEN);
	cap_vendor(d, CAP_DEVCFG, CAP_NOTIFY, 16, 4, BAR_INDEX, DEVCFG_AT, DEVCFG_LEN);
	cap_vendor(d, CAP_NOTIFY, CAP_PCICFG, 20, 2, BAR_INDEX, NOTIFY_AT, REGION_LEN);
	store_le(d->cfg + CAP_NOTIFY + 16, 4, NOTIFY_MULT);
	cap_vendor(d, CAP_PCICFG, 0, 20, 5, 0, 0, 0);
}

static struct vgpu_os fake_os(struct fake_pci *d)
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

/* A device brought to the point where the transport can drive it. */
struct rig {
	struct fake_pci dev;
	struct vgpu_os os;
	struct vgpu_virtio_pci vp;
	struct vgpu_transport t;
};

static struct rig *rig_new(void)
{
	struct rig *r = calloc(1, sizeof(*r));

	if (!r) {
		printf("# out of memory\n");
		exit(2);
	}
	fake_init(&r->dev);
	r->os = fake_os(&r->dev);
	return r;
}

static int rig_init(struct rig *r)
{
	int err = vgpu_virtio_pci_init(&r->vp, &r->os);

	vgpu_virtio_pci_transport(&r->vp, &r->t);
	return err;
}

static struct rig *rig_up(void)
{
	struct rig *r = rig_new();

	CHECK_EQ(rig_init(r), VGPU_OK);
	return r;
}

static void rig_done(struct rig *r)
{
	CHECK_EQ(r->dev.bad_accesses, 0);
	free(r);
}

/* ---- cases ---- */

static void test_caps_found(void)
{
	struct rig *r = rig_up();

	CHECK(r->vp.common == r->dev.bar + COMMON_AT);
	CHECK(r->vp.isr == r->dev.bar + ISR_AT);
	CHECK(r->vp.device_cfg == r->dev.bar + DEVCFG_AT);
	CHECK_EQ(r->vp.device_cfg_len, DEVCFG_LEN);
	CHECK(r->vp.notify_base == r->dev.bar + NOTIFY_AT);
	CHECK_EQ(r->vp.notify_len, REGION_LEN);
	CHECK_EQ(r->vp.notify_multiplier, NOTIFY_MULT);
	CHECK(r->t.priv == &r->vp);
	CHECK(r->t.ops && r->t.ops->begin && r->t.ops->reset);
	rig_done(r);
}

static void test_init_needs_callbacks(void)
{
	struct rig *r = rig_new();

	r->os.mmio_write = NULL;
	CHECK_EQ(rig_init(r), VGPU_E_INVALID);
	CHECK_EQ(vgpu_virtio_pci_init(NULL, &r->os), VGPU_E_INVALID);
	CHECK_EQ(vgpu_virtio_pci_init(&r->vp, NULL), VGPU_E_INVALID);
	rig_done(r);
}

static void test_negotiation(void)
{
	struct rig *r = rig_up();
	const struct vgpu_transport_ops *ops = r->t.ops;
	uint64_t wanted = 1ull << 32 | 1ull << 28 | 1u;

	r->dev.status = ST_ACK | ST_DRIVER | ST_DRIVER_OK; /* left over from a previous driver */
	CHECK_EQ(ops->begin(r->t.priv), VGPU_OK);
	CHECK_EQ(r->dev.resets, 1);
	CHECK_EQ(r->dev.nstatus, 3);
	CHECK_EQ(r->dev.status_log[0], 0);
	CHECK_EQ(r->dev.status_log[1], ST_ACK);
	CHECK_EQ(r->dev.status_log[2], ST_ACK | ST_DRIVER);
	CHECK_EQ(ops->device_features(r->t.priv), DEVICE_FEATURES);
	CHECK_EQ(ops->set_features(r->t.priv, wanted), VGPU_OK);
	CHECK_EQ(r->dev.driver_features, wanted);
	CHECK_EQ(r->dev.status, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	CHECK_EQ(ops->driver_ok(r->t.priv), VGPU_OK);
	CHECK_EQ(r->dev.status, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
	rig_done(r);
}

static void test_features_refused(void)
{
	struct rig *r = rig_up();

	r->dev.refuse_features_ok = true;
	CHECK_EQ(r->t.ops->begin(r->t.priv), VGPU_OK);
	CHECK_EQ(r->t.ops->set_features(r->t.priv, 1ull << 32), VGPU_E_DEVICE);
	CHECK(!(r->dev.status & ST_FEATURES_OK));
	rig_done(r);
}

static void test_driver_ok_refused(void)
{
	struct rig *r = rig_up();

	CHECK_EQ(r->t.ops->begin(r->t.priv), VGPU_OK);
	r->dev.reset_stuck = true; /* status now always reads ACKNOWLEDGE alone */
	CHECK_EQ(r->t.ops->driver_ok(r->t.priv), VGPU_E_DEVICE);
	rig_done(r);
}

static void test_driver_ok_needs_reset(void)
{
	struct rig *r = rig_up();

	CHECK_EQ(r->t.ops->begin(r->t.priv), VGPU_OK);
	r->dev.needs_reset = true;
	CHECK_EQ(r->t.ops->driver_ok(r->t.priv), VGPU_E_DEVICE);
	rig_done(r);
}

static void test_reset_bounded(void)
{
	struct rig *r = rig_up();

	r->dev.reset_delay = 50;
	CHECK_EQ(r->t.ops->begin(r->t.priv), VGPU_OK);
	CHECK_EQ(r->dev.reset_reads_left, 0);
	r->dev.reset_stuck = true;
	CHECK_EQ(r->t.ops->begin(r->t.priv), VGPU_E_DEVICE);
	rig_done(r);
}

static void test_fail_and_reset(void)
{
	struct rig *r = rig_up();
	const struct vgpu_transport_ops *ops = r->t.ops;

	CHECK_EQ(ops->begin(r->t.priv), VGPU_OK);
	r->dev.nstatus = 0;
	ops->fail(r->t.priv);
	CHECK_EQ(r->dev.nstatus, 2);
	CHECK_EQ(r->dev.status_log[0], ST_ACK | ST_DRIVER | ST_FAILED);
	CHECK_EQ(r->dev.status_log[1], 0);
	CHECK_EQ(r->dev.resets, 2);
	ops->reset(r->t.priv);
	CHECK_EQ(r->dev.resets, 3);
	rig_done(r);
}

static void test_queue_setup(void)
{
	struct rig *r = rig_up();
	const struct vgpu_transport_ops *ops = r->t.ops;
	struct fake_queue *q1 = &r->dev.queues[1];
	struct fake_queue *q0 = &r->dev.queues[0];
	unsigned i;

	CHECK_EQ(ops->begin(r->t.priv), VGPU_OK);
	CHECK_EQ(ops->queue_max_size(r->t.priv, 0), 256);
	CHECK_EQ(ops->queue_max_size(r->t.priv, 1), 16);
	CHECK_EQ(ops->queue_max_size(r->t.priv, 2), 0);
	CHECK_EQ(ops->queue_max_size(r->t.priv, 0xffff), 0);
	r->dev.num_queues = 1; /* queue 1 exists in the model, but the device does not offer it */
	CHECK_EQ(ops->queue_max_size(r->t.priv, 1), 0);
	CHECK_EQ(ops->queue_enable(r->t.priv, 1, 8, 0x1000, 0x2000, 0x3000), VGPU_E_INVALID);
	CHECK_EQ(q1->enable, 0);
	r->dev.num_queues = NQUEUES;

	CHECK_EQ(ops->queue_enable(r->t.priv, 1, 8, 0x123456000ull, 0x123457000ull, 0x987650000ull),
		 VGPU_OK);
	CHECK_EQ(q1->size, 8);
	CHECK_EQ(q1->addr[0], 0x23456000u);
	CHECK_EQ(q1->addr[1], 0x1);
	CHECK_EQ(q1->addr[2], 0x23457000u);
	CHECK_EQ(q1->addr[3], 0x1);
	CHECK_EQ(q1->addr[4], 0x87650000u);
	CHECK_EQ(q1->addr[5], 0x9);
	CHECK_EQ(q1->enable, 1);
	CHECK_EQ(q0->enable, 0);
	for (i = 0; i < 6; i++)
		CHECK_EQ(q0->addr[i], 0);

	CHECK_EQ(ops->queue_enable(r->t.priv, 0, 512, 0x1000, 0x2000, 0x3000), VGPU_E_INVALID);
	CHECK_EQ(ops->queue_enable(r->t.priv, 0, 96, 0x1000, 0x2000, 0x3000), VGPU_E_INVALID);
	CHECK_EQ(ops->queue_enable(r->t.priv, 0, 0, 0x1000, 0x2000, 0x3000), VGPU_E_INVALID);
	CHECK_EQ(ops->queue_enable(r->t.priv, 2, 8, 0x1000, 0x2000, 0x3000), VGPU_E_INVALID);
	CHECK_EQ(q0->enable, 0);
	rig_done(r);
}

static void test_queue_notify(void)
{
	struct rig *r = rig_up();
	const struct vgpu_transport_ops *ops = r->t.ops;

	CHECK_EQ(ops->begin(r->t.priv), VGPU_OK);
	ops->queue_notify(r->t.priv, 0); /* not enabled yet: nothing to write */
	CHECK_EQ(r->dev.notifies, 0);
	CHECK_EQ(ops->queue_enable(r->t.priv, 1, 16, 0x1000, 0x2000, 0x3000), VGPU_OK);
	ops->queue_notify(r->t.priv, 1);
	CHECK_EQ(r->dev.notifies, 1);
	CHECK_EQ(r->dev.notify_offset, 1 * NOTIFY_MULT);
	CHECK_EQ(r->dev.notify_width, 2);
	CHECK_EQ(r->dev.notify_value, 1);
	CHECK_EQ(ops->queue_enable(r->t.priv, 0, 256, 0x4000, 0x5000, 0x6000), VGPU_OK);
	ops->queue_notify(r->t.priv, 0);
	CHECK_EQ(r->dev.notifies, 2);
	CHECK_EQ(r->dev.notify_offset, 0);
	CHECK_EQ(r->dev.notify_value, 0);
	ops->queue_notify(r->t.priv, 9);
	CHECK_EQ(r->dev.notifies, 2);
	/* a reset disables every queue */
	ops->reset(r->t.priv);
	ops->queue_notify(r->t.priv, 1);
	CHECK_EQ(r->dev.notifies, 2);
	rig_done(r);
}

static void test_notify_outside_region(void)
{
	struct rig *r = rig_up();

	r->dev.queues[1].notify_off = REGION_LEN / NOTIFY_MULT; /* one past the end */
	CHECK_EQ(r->t.ops->begin(r->t.priv), VGPU_OK);
	CHECK_EQ(r->t.ops->queue_enable(r->t.priv, 1, 16, 0x1000, 0x2000, 0x3000), VGPU_E_DEVICE);
	CHECK_EQ(r->dev.queues[1].enable, 0);
	r->t.ops->queue_notify(r->t.priv, 1);
	CHECK_EQ(r->dev.notifies, 0);
	rig_done(r);
}

static void test_config_read_write(void)
{
	struct rig *r = rig_up();
	const struct vgpu_transport_ops *ops = r->t.ops;
	uint8_t buf[16];
	unsigned i;

	ops->config_read(r->t.priv, 4, buf, 8);
	CHECK(memcmp(buf, r->dev.devcfg + 4, 8) == 0);
	ops->config_read(r->t.priv, 1, buf, 6); /* unaligned: split into aligned pieces */
	CHECK(memcmp(buf, r->dev.devcfg + 1, 6) == 0);
	memset(buf, 0xee, sizeof(buf));
	ops->config_read(r->t.priv, DEVCFG_LEN - 4, buf, 8);
	CHECK(memcmp(buf, r->dev.devcfg + DEVCFG_LEN - 4, 4) == 0);
	for (i = 4; i < 8; i++)
		CHECK_EQ(buf[i], 0);
	memset(buf, 0xee, sizeof(buf));
	ops->config_read(r->t.priv, 0xfffffff0u, buf, 16);
	for (i = 0; i < 16; i++)
		CHECK_EQ(buf[i], 0);

	memcpy(buf, "\x01\x02\x03\x04\x05\x06", 6);
	ops->config_write(r->t.priv, 10, buf, 6);
	CHECK(memcmp(r->dev.devcfg + 10, buf, 6) == 0);
	ops->config_write(r->t.priv, DEVCFG_LEN - 2, buf, 6);
	CHECK_EQ(r->dev.devcfg[DEVCFG_LEN - 2], 1);
	CHECK_EQ(r->dev.devcfg[DEVCFG_LEN - 1], 2);
	rig_done(r);
}

static void test_config_generation(void)
{
	struct rig *r = rig_up();
	uint8_t before[8], buf[8];
	unsigned i;

	memcpy(before, r->dev.devcfg, 8);
	/* the device updates its configuration between the two halves of our read */
	r->dev.change_after_reads = 1;
	r->t.ops->config_read(r->t.priv, 0, buf, 8);
	for (i = 0; i < 8; i++)
		CHECK_EQ(buf[i], (uint8_t)(before[i] + 0x11));
	CHECK_EQ(r->dev.devcfg_reads, 4);

	/* one that never settles still gets a bounded number of tries */
	r->dev.change_always = true;
	r->dev.devcfg_reads = 0;
	r->t.ops->config_read(r->t.priv, 0, buf, 8);
	CHECK(r->dev.devcfg_reads >= 4);
	CHECK(r->dev.devcfg_reads <= 256);
	rig_done(r);
}

static void test_isr(void)
{
	struct rig *r = rig_up();

	r->dev.isr = 3;
	CHECK_EQ(r->t.ops->isr(r->t.priv), 3);
	CHECK_EQ(r->t.ops->isr(r->t.priv), 0);
	rig_done(r);
}

static void test_device_cfg_optional(void)
{
	struct rig *r = rig_new();
	uint8_t buf[4] = { 0xee, 0xee, 0xee, 0xee };

	r->dev.cfg[CAP_DEVCFG + 3] = 6; /* some other type: no device configuration */
	CHECK_EQ(rig_init(r), VGPU_OK);
	r->t.ops->config_read(r->t.priv, 0, buf, 4);
	CHECK_EQ(load_le(buf, 4), 0);
	CHECK_EQ(r->dev.devcfg_reads, 0);
	rig_done(r);
}

/* Unusable duplicates are skipped; the first usable structure of each type wins. */
static void test_first_usable_cap(void)
{
	struct rig *r = rig_new();

	/* the list now starts with a common cfg in a reserved BAR, then one beyond the BAR */
	r->dev.cfg[0x34] = 0xa0;
	cap_vendor(&r->dev, 0xa0, 0xb0, 16, 1, 6, COMMON_AT, REGION_LEN);
	cap_vendor(&r->dev, 0xb0, CAP_MSIX, 16, 1, BAR_INDEX, BAR_SIZE - 16, 64);
	/* and a second valid ISR later, which must not replace the first */
	r->dev.cfg[CAP_PCICFG + 1] = 0xc0;
	cap_vendor(&r->dev, 0xc0, 0, 16, 3, BAR_INDEX, ISR_AT + 4, 4);
	CHECK_EQ(rig_init(r), VGPU_OK);
	CHECK(r->vp.common == r->dev.bar + COMMON_AT);
	CHECK(r->vp.isr == r->dev.bar + ISR_AT);
	rig_done(r);
}

typedef void (*breakage)(struct fake_pci *d);

static void no_cap_list(struct fake_pci *d)
{
	d->cfg[0x06] = 0;
}

static void loop_in_chain(struct fake_pci *d)
{
	d->cfg[CAP_PCICFG + 1] = CAP_COMMON;
}

static void self_loop(struct fake_pci *d)
{
	d->cfg[CAP_MSIX + 1] = CAP_MSIX;
}

/* A harmless power-management capability at `pos` leading back into the list. */
static void misplaced_cap(struct fake_pci *d, uint8_t pos, uint8_t next)
{
	d->cfg[pos] = 0x01;
	d->cfg[pos + 1] = next;
}

static void pointer_into_header(struct fake_pci *d)
{
	misplaced_cap(d, 0x24, CAP_MSIX);
	d->cfg[0x34] = 0x24;
}

static void pointer_unaligned(struct fake_pci *d)
{
	misplaced_cap(d, 0xa1, CAP_DEVCFG);
	d->cfg[CAP_ISR + 1] = 0xa1;
}

static void cap_beyond_config_space(struct fake_pci *d)
{
	/* only the header fits: the rest would lie past offset 0xff */
	d->cfg[CAP_PCICFG + 1] = 0xf8;
	d->cfg[0xf8] = 0x09;
	d->cfg[0xf9] = 0;
	d->cfg[0xfa] = 16;
	d->cfg[0xfb] = 1;
}

static void cap_too_short(struct fake_pci *d)
{
	d->cfg[CAP_ISR + 2] = 12;
}

static void notify_cap_too_short(struct fake_pci *d)
{
	d->cfg[CAP_NOTIFY + 2] = 16;
}

static void common_bar_reserved(struct fake_pci *d)
{
	d->cfg[CAP_COMMON + 4] = 6;
}

static void common_bar_huge(struct fake_pci *d)
{
	d->cfg[CAP_COMMON + 4] = 0xff;
}

static void common_beyond_bar(struct fake_pci *d)
{
	store_le(d->cfg + CAP_COMMON + 8, 4, BAR_SIZE - 0x10);
	store_le(d->cfg + CAP_COMMON + 12, 4, 0x100);
}

static void common_offset_wraps(struct fake_pci *d)
{
	store_le(d->cfg + CAP_COMMON + 8, 4, 0xfffffff0u);
	store_le(d->cfg + CAP_COMMON + 12, 4, 0x100);
}

static void common_too_small(struct fake_pci *d)
{
	store_le(d->cfg + CAP_COMMON + 12, 4, 0x20);
}

static void common_missing(struct fake_pci *d)
{
	d->cfg[CAP_COMMON + 3] = 5;
}

static void notify_missing(struct fake_pci *d)
{
	d->cfg[CAP_NOTIFY] = 0x05; /* an MSI capability now, not a vendor one */
}

static void isr_missing(struct fake_pci *d)
{
	d->cfg[CAP_COMMON + 1] = CAP_DEVCFG;
}

static void test_malformed_caps(void)
{
	static const struct {
		const char *name;
		breakage apply;
	} cases[] = {
		{ "no capability list", no_cap_list },
		{ "loop in the chain", loop_in_chain },
		{ "capability pointing at itself", self_loop },
		{ "pointer into the header", pointer_into_header },
		{ "unaligned pointer", pointer_unaligned },
		{ "capability beyond config space", cap_beyond_config_space },
		{ "capability too short", cap_too_short },
		{ "notify capability too short", notify_cap_too_short },
		{ "common cfg in BAR 6", common_bar_reserved },
		{ "common cfg in BAR 255", common_bar_huge },
		{ "common cfg beyond the BAR", common_beyond_bar },
		{ "common cfg offset wrapping", common_offset_wraps },
		{ "common cfg too small", common_too_small },
		{ "no common cfg", common_missing },
		{ "no notify cfg", notify_missing },
		{ "no ISR", isr_missing },
	};
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rig *r = rig_new();
		int err;

		cases[i].apply(&r->dev);
		err = rig_init(r);
		if (err != VGPU_E_DEVICE)
			printf("# case '%s'\n", cases[i].name);
		CHECK_EQ(err, VGPU_E_DEVICE);
		rig_done(r);
	}
}

int main(void)
{
	RUN(test_caps_found);
	RUN(test_init_needs_callbacks);
	RUN(test_negotiation);
	RUN(test_features_refused);
	RUN(test_driver_ok_refused);
	RUN(test_driver_ok_needs_reset);
	RUN(test_reset_bounded);
	RUN(test_fail_and_reset);
	RUN(test_queue_setup);
	RUN(test_queue_notify);
	RUN(test_notify_outside_region);
	RUN(test_config_read_write);
	RUN(test_config_generation);
	RUN(test_isr);
	RUN(test_device_cfg_optional);
	RUN(test_first_usable_cap);
	RUN(test_malformed_caps);
	return tap_done();
}
