/* SPDX-License-Identifier: MIT */
/*
 * The virtio PCI modern transport against the fake PCI device of
 * fake_pci.h, which flags every access a driver must not make.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "pci_rig.h"

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

/* After surprise removal: no register access, all ones read, a reset that fails at once. */
static void test_gone(void)
{
	struct rig *r = rig_up();
	const struct vgpu_transport_ops *ops = r->t.ops;
	uint8_t cfg[4];

	CHECK_EQ(ops->begin(r->t.priv), VGPU_OK);
	r->dev.unplugged = true;
	vgpu_virtio_pci_gone(&r->vp);
	CHECK_EQ(ops->isr(r->t.priv), 0xFF);
	ops->reset(r->t.priv);
	CHECK_EQ(ops->begin(r->t.priv), VGPU_E_DEVICE);
	ops->queue_notify(r->t.priv, 0);
	ops->config_read(r->t.priv, 0, cfg, sizeof(cfg));
	CHECK_EQ(cfg[0], 0xFF);
	ops->fail(r->t.priv);
	rig_done(r);
}

static void test_device_cfg_optional(void)
{
	struct rig *r = rig_new();
	uint8_t buf[4] = { 0xee, 0xee, 0xee, 0xee };

	r->dev.cfg[CAP_DEVCFG + 3] = 6; /* some other type: no device configuration */
	CHECK_EQ(rig_init(r), VGPU_OK);
	r->t.ops->config_read(r->t.priv, 0, buf, 4);
	CHECK_EQ(fake_pci_load_le(buf, 4), 0);
	CHECK_EQ(r->dev.devcfg_reads, 0);
	rig_done(r);
}

/* Unusable duplicates are skipped; the first usable structure of each type wins. */
static void test_first_usable_cap(void)
{
	struct rig *r = rig_new();

	/* the list now starts with a common cfg in a reserved BAR, then one beyond the BAR */
	r->dev.cfg[0x34] = 0xa0;
	fake_pci_cap_vendor(&r->dev, 0xa0, 0xb0, 16, 1, 6, COMMON_AT, REGION_LEN);
	fake_pci_cap_vendor(&r->dev, 0xb0, CAP_MSIX, 16, 1, BAR_INDEX, BAR_SIZE - 16, 64);
	/* and a second valid ISR later, which must not replace the first */
	r->dev.cfg[CAP_PCICFG + 1] = 0xc0;
	fake_pci_cap_vendor(&r->dev, 0xc0, 0, 16, 3, BAR_INDEX, ISR_AT + 4, 4);
	CHECK_EQ(rig_init(r), VGPU_OK);
	CHECK(r->vp.common == r->dev.bar + COMMON_AT);
	CHECK(r->vp.isr == r->dev.bar + ISR_AT);
	rig_done(r);
}

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
	fake_pci_store_le(d->cfg + CAP_COMMON + 8, 4, BAR_SIZE - 0x10);
	fake_pci_store_le(d->cfg + CAP_COMMON + 12, 4, 0x100);
}

static void common_offset_wraps(struct fake_pci *d)
{
	fake_pci_store_le(d->cfg + CAP_COMMON + 8, 4, 0xfffffff0u);
	fake_pci_store_le(d->cfg + CAP_COMMON + 12, 4, 0x100);
}

static void common_too_small(struct fake_pci *d)
{
	fake_pci_store_le(d->cfg + CAP_COMMON + 12, 4, 0x20);
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

/* Line-based interrupts (the default): the vector registers stay as they are. */
static void test_msix_default_untouched(void)
{
	struct rig *r = rig_up();
	const struct vgpu_transport_ops *ops = r->t.ops;

	r->dev.msix_config = 0x1234;
	r->dev.queues[0].msix = 0x1234;
	CHECK_EQ(ops->begin(r->t.priv), VGPU_OK);
	CHECK_EQ(ops->queue_enable(r->t.priv, 0, 8, 0x1000, 0x2000, 0x3000), VGPU_OK);
	CHECK_EQ(r->dev.msix_config, 0x1234);
	CHECK_EQ(r->dev.queues[0].msix, 0x1234);
	rig_done(r);
}

static void test_msix_vectors_routed(void)
{
	struct rig *r = rig_up();
	const struct vgpu_transport_ops *ops = r->t.ops;

	r->dev.msix_config = 0x1234;
	vgpu_virtio_pci_set_msix(&r->vp, VGPU_VIRTIO_MSI_NO_VECTOR, 0);
	CHECK_EQ(ops->begin(r->t.priv), VGPU_OK);
	CHECK_EQ(r->dev.msix_config, 0x1234); /* configuration changes stay unrouted */
	CHECK_EQ(ops->queue_enable(r->t.priv, 1, 8, 0x1000, 0x2000, 0x3000), VGPU_OK);
	CHECK_EQ(r->dev.queues[1].msix, 0);

	vgpu_virtio_pci_set_msix(&r->vp, 1, 2);
	CHECK_EQ(ops->begin(r->t.priv), VGPU_OK);
	CHECK_EQ(r->dev.msix_config, 1);
	CHECK_EQ(ops->queue_enable(r->t.priv, 0, 8, 0x1000, 0x2000, 0x3000), VGPU_OK);
	CHECK_EQ(r->dev.queues[0].msix, 2);
	CHECK_EQ(r->dev.queues[0].enable, 1);
	vgpu_virtio_pci_set_msix(NULL, 0, 0); /* ignored */
	rig_done(r);
}

/* A device that cannot give the vector says NO_VECTOR; setup must fail, the queue stay off. */
static void test_msix_vector_refused(void)
{
	struct rig *r = rig_up();
	const struct vgpu_transport_ops *ops = r->t.ops;

	r->dev.msix_vectors = 1;
	vgpu_virtio_pci_set_msix(&r->vp, 3, VGPU_VIRTIO_MSI_NO_VECTOR);
	CHECK_EQ(ops->begin(r->t.priv), VGPU_E_DEVICE);
	vgpu_virtio_pci_set_msix(&r->vp, VGPU_VIRTIO_MSI_NO_VECTOR, 1);
	CHECK_EQ(ops->begin(r->t.priv), VGPU_OK);
	CHECK_EQ(ops->queue_enable(r->t.priv, 0, 8, 0x1000, 0x2000, 0x3000), VGPU_E_DEVICE);
	CHECK_EQ(r->dev.queues[0].enable, 0);
	rig_done(r);
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
	RUN(test_gone);
	RUN(test_device_cfg_optional);
	RUN(test_first_usable_cap);
	RUN(test_malformed_caps);
	RUN(test_msix_default_untouched);
	RUN(test_msix_vectors_routed);
	RUN(test_msix_vector_refused);
	return tap_done();
}
