/* SPDX-License-Identifier: MIT */
/*
 * The virtio PCI transport's shared memory regions (VIRTIO_PCI_CAP_SHARED_
 * MEMORY_CFG): found where the capability and its BAR say, and every
 * malformed capability skipped, on the fake PCI device.
 */
#include <stdint.h>
#include <string.h>

#include "pci_rig.h"

#define SHM_CAP 0xb0u /* after the standard list */
#define SHM_BAR 2u
#define SHM_BAR_ADDRESS 0x8000000000ull /* 512 GiB: a large 64-bit BAR */
#define MIB (1ull << 20)

/* The standard device plus one region: `id` at `offset` of BAR 2 (64-bit, prefetchable). */
static struct rig *rig_with_shm(uint8_t id, uint64_t offset, uint64_t length)
{
	struct rig *r = rig_new();

	fake_pci_set_bar(&r->dev, SHM_BAR, SHM_BAR_ADDRESS, BAR_MEM64 | BAR_PREFETCH);
	r->dev.cfg[CAP_PCICFG + 1] = SHM_CAP;
	fake_pci_cap_shm(&r->dev, SHM_CAP, 0, SHM_BAR, id, offset, length);
	return r;
}

static int shm_lookup(struct rig *r, uint8_t id, uint64_t *pa, uint64_t *len)
{
	return r->t.ops->shm_region(r->t.priv, id, pa, len);
}

/* Region `id` must be unknown, and say so without leaving old values behind. */
static void check_no_region(struct rig *r, uint8_t id)
{
	uint64_t pa = 0xeeee, len = 0xeeee;

	CHECK_EQ(shm_lookup(r, id, &pa, &len), VGPU_E_UNSUPPORTED);
	CHECK_EQ(pa, 0);
	CHECK_EQ(len, 0);
}

static void check_region(struct rig *r, uint8_t id, uint64_t want_pa, uint64_t want_len)
{
	uint64_t pa = 0, len = 0;

	CHECK_EQ(shm_lookup(r, id, &pa, &len), VGPU_OK);
	CHECK_EQ(pa, want_pa);
	CHECK_EQ(len, want_len);
}

static void test_shm_region_found(void)
{
	struct rig *r = rig_with_shm(VGPU_SHM_ID_HOST_VISIBLE, 0x1000, 256 * MIB);
	uint64_t len;

	CHECK_EQ(rig_init(r), VGPU_OK);
	CHECK(r->t.ops->shm_region != NULL);
	/* the BAR's flag bits (64-bit, prefetchable) are not part of the address */
	check_region(r, VGPU_SHM_ID_HOST_VISIBLE, SHM_BAR_ADDRESS + 0x1000, 256 * MIB);
	check_no_region(r, 2);
	check_no_region(r, 0);
	CHECK_EQ(shm_lookup(r, VGPU_SHM_ID_HOST_VISIBLE, NULL, &len), VGPU_E_INVALID);
	CHECK_EQ(shm_lookup(r, VGPU_SHM_ID_HOST_VISIBLE, &len, NULL), VGPU_E_INVALID);
	rig_done(r);
}

static void test_shm_none(void)
{
	struct rig *r = rig_up();

	check_no_region(r, VGPU_SHM_ID_HOST_VISIBLE);
	rig_done(r);
}

/* Offsets and lengths beyond 4 GiB use the capability's high words. */
static void test_shm_64bit_fields(void)
{
	struct rig *r = rig_with_shm(1, 5ull << 32 | 0x2000, 3ull << 32 | 0x4000);

	CHECK_EQ(rig_init(r), VGPU_OK);
	check_region(r, 1, SHM_BAR_ADDRESS + (5ull << 32 | 0x2000), 3ull << 32 | 0x4000);
	rig_done(r);
}

/* A region that ends on the very last byte a BAR can address is still fine. */
static void test_shm_region_at_the_top(void)
{
	struct rig *r = rig_with_shm(1, 0x1000, 0x10000);

	fake_pci_set_bar(&r->dev, SHM_BAR, 0xffffffff00000000ull, BAR_MEM64);
	fake_pci_cap_shm(&r->dev, SHM_CAP, 0, SHM_BAR, 1, 0x80000000ull, 0x80000000ull);
	CHECK_EQ(rig_init(r), VGPU_OK);
	check_region(r, 1, 0xffffffff80000000ull, 0x80000000ull);
	rig_done(r);
}

static void test_shm_32bit_bar(void)
{
	struct rig *r = rig_with_shm(1, 0, 0);

	/* BAR 0 and 1 are 32-bit; the region sits in BAR 1, ending exactly at 4 GiB */
	fake_pci_set_bar(&r->dev, 0, 0xc0000000u, BAR_MEM32);
	fake_pci_set_bar(&r->dev, 1, 0xf0000000u, BAR_MEM32 | BAR_PREFETCH);
	fake_pci_cap_shm(&r->dev, SHM_CAP, 0, 1, 1, 0x8000000u, 0x8000000u);
	CHECK_EQ(rig_init(r), VGPU_OK);
	check_region(r, 1, 0xf8000000u, 0x8000000u);
	rig_done(r);
}

/* Regions in different BARs; a second capability for a known id does not replace the first. */
static void test_shm_several_regions(void)
{
	struct rig *r = rig_with_shm(1, 0x1000, 64 * MIB);

	fake_pci_set_bar(&r->dev, 0, 0xc0000000u, BAR_MEM32);
	r->dev.cfg[SHM_CAP + 1] = 0xc8;
	fake_pci_cap_shm(&r->dev, 0xc8, 0xe0, 0, 7, 0x2000, 0x10000);
	fake_pci_cap_shm(&r->dev, 0xe0, 0, SHM_BAR, 1, 0x8000000, 4 * MIB);
	CHECK_EQ(rig_init(r), VGPU_OK);
	check_region(r, 1, SHM_BAR_ADDRESS + 0x1000, 64 * MIB);
	check_region(r, 7, 0xc0002000u, 0x10000);
	check_no_region(r, 2);
	CHECK_EQ(r->vp.nshm, 2);
	rig_done(r);
}

/* More regions than the transport keeps: the first ones stay, the rest are left out. */
static void test_shm_table_full(void)
{
	struct rig *r = rig_new();
	uint8_t pos = 0x84;
	unsigned i;

	/* a compact list: four structures, then five regions up to the end of config space */
	memset(r->dev.cfg + 0x40, 0, 0xc0);
	r->dev.cfg[0x34] = 0x40;
	fake_pci_cap_vendor(&r->dev, 0x40, 0x50, 16, 1, BAR_INDEX, COMMON_AT, REGION_LEN);
	fake_pci_cap_vendor(&r->dev, 0x50, 0x60, 16, 3, BAR_INDEX, ISR_AT, REGION_LEN);
	fake_pci_cap_vendor(&r->dev, 0x60, 0x70, 16, 4, BAR_INDEX, DEVCFG_AT, DEVCFG_LEN);
	fake_pci_cap_vendor(&r->dev, 0x70, pos, 20, 2, BAR_INDEX, NOTIFY_AT, REGION_LEN);
	fake_pci_store_le(r->dev.cfg + 0x70 + 16, 4, NOTIFY_MULT);
	fake_pci_set_bar(&r->dev, SHM_BAR, SHM_BAR_ADDRESS, BAR_MEM64);
	for (i = 1; i <= VGPU_VIRTIO_PCI_MAX_SHM + 1; i++, pos += 24)
		fake_pci_cap_shm(&r->dev, pos, i <= VGPU_VIRTIO_PCI_MAX_SHM ? pos + 24 : 0, SHM_BAR,
				 (uint8_t)i, i * MIB, MIB);
	CHECK_EQ(rig_init(r), VGPU_OK);
	for (i = 1; i <= VGPU_VIRTIO_PCI_MAX_SHM; i++)
		check_region(r, (uint8_t)i, SHM_BAR_ADDRESS + i * MIB, MIB);
	check_no_region(r, VGPU_VIRTIO_PCI_MAX_SHM + 1);
	rig_done(r);
}

static void shm_cap_short(struct fake_pci *d)
{
	d->cfg[SHM_CAP + 2] = 20;
}

static void shm_bar_reserved(struct fake_pci *d)
{
	d->cfg[SHM_CAP + 4] = 6;
}

static void shm_bar_huge(struct fake_pci *d)
{
	d->cfg[SHM_CAP + 4] = 0xff;
}

static void shm_bar_upper_half(struct fake_pci *d)
{
	d->cfg[SHM_CAP + 4] = SHM_BAR + 1;
}

static void shm_bar_io(struct fake_pci *d)
{
	fake_pci_set_bar(d, SHM_BAR, 0xc000, BAR_IO);
}

static void shm_bar_unassigned(struct fake_pci *d)
{
	fake_pci_set_bar(d, SHM_BAR, 0, BAR_MEM64);
}

static void shm_bar_type_reserved(struct fake_pci *d)
{
	fake_pci_set_bar(d, SHM_BAR, 0xd0000000u, 0x6);
}

static void shm_bar_64bit_last(struct fake_pci *d)
{
	fake_pci_set_bar(d, 5, 0xd0000000u, BAR_MEM64);
	d->cfg[SHM_CAP + 4] = 5;
}

static void shm_length_zero(struct fake_pci *d)
{
	fake_pci_cap_shm(d, SHM_CAP, 0, SHM_BAR, 1, 0x1000, 0);
}

static void shm_offset_wraps(struct fake_pci *d)
{
	fake_pci_set_bar(d, SHM_BAR, 0xffffffff00000000ull, BAR_MEM64);
	fake_pci_cap_shm(d, SHM_CAP, 0, SHM_BAR, 1, 1ull << 32, 0x1000);
}

static void shm_length_wraps(struct fake_pci *d)
{
	fake_pci_cap_shm(d, SHM_CAP, 0, SHM_BAR, 1, 0x1000, UINT64_MAX - 0x800);
}

static void shm_past_the_top(struct fake_pci *d)
{
	fake_pci_set_bar(d, SHM_BAR, 0xffffffff00000000ull, BAR_MEM64);
	fake_pci_cap_shm(d, SHM_CAP, 0, SHM_BAR, 1, 0x80000000ull, 0x80000001ull);
}

static void shm_32bit_past_4g(struct fake_pci *d)
{
	fake_pci_set_bar(d, SHM_BAR, 0xf0000000u, BAR_MEM32);
	fake_pci_cap_shm(d, SHM_CAP, 0, SHM_BAR, 1, 0x1000, 0x10000000u);
}

static void shm_32bit_offset_hi(struct fake_pci *d)
{
	fake_pci_set_bar(d, SHM_BAR, 0xc0000000u, BAR_MEM32);
	fake_pci_cap_shm(d, SHM_CAP, 0, SHM_BAR, 1, 1ull << 32, 0x1000);
}

/* A region capability that cannot be trusted is left out; the device itself still works. */
static void test_shm_malformed(void)
{
	static const struct {
		const char *name;
		breakage apply;
	} cases[] = {
		{ "capability shorter than virtio_pci_cap64", shm_cap_short },
		{ "BAR 6", shm_bar_reserved },
		{ "BAR 255", shm_bar_huge },
		{ "upper half of a 64-bit BAR", shm_bar_upper_half },
		{ "I/O BAR", shm_bar_io },
		{ "unassigned BAR", shm_bar_unassigned },
		{ "reserved BAR type", shm_bar_type_reserved },
		{ "64-bit BAR 5 without its upper half", shm_bar_64bit_last },
		{ "zero length", shm_length_zero },
		{ "offset wrapping the address space", shm_offset_wraps },
		{ "length wrapping the address space", shm_length_wraps },
		{ "one byte past the top", shm_past_the_top },
		{ "32-bit BAR region past 4 GiB", shm_32bit_past_4g },
		{ "32-bit BAR with a high offset", shm_32bit_offset_hi },
	};
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rig *r = rig_with_shm(1, 0x1000, MIB);
		uint64_t pa = 1, len = 1;
		int err, found;

		cases[i].apply(&r->dev);
		err = rig_init(r);
		found = err == VGPU_OK ? shm_lookup(r, 1, &pa, &len) : err;
		if (err != VGPU_OK || found != VGPU_E_UNSUPPORTED)
			printf("# case '%s'\n", cases[i].name);
		CHECK_EQ(err, VGPU_OK);
		CHECK_EQ(found, VGPU_E_UNSUPPORTED);
		CHECK(r->vp.common == r->dev.bar + COMMON_AT);
		rig_done(r);
	}
}

int main(void)
{
	RUN(test_shm_region_found);
	RUN(test_shm_none);
	RUN(test_shm_64bit_fields);
	RUN(test_shm_region_at_the_top);
	RUN(test_shm_32bit_bar);
	RUN(test_shm_several_regions);
	RUN(test_shm_table_full);
	RUN(test_shm_malformed);
	return tap_done();
}
