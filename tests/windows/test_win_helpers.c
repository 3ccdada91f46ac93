/* SPDX-License-Identifier: MIT */
/*
 * The plain-C parts of vgpu.sys, run on Linux: which PCI functions it
 * drives as which personality and how it tells Mvisor's virtio-vgpu from
 * virtio-pmem, which shares its ids (identity.c), and the range checks
 * before device memory is mapped into a process (devmem.c).
 */
#include <stdint.h>
#include <string.h>

#include "devmem.h"
#include "identity.h"
#include "tap.h"

#define VIRTIO 0x1AF4u
#define CLASS_OTHER_DISPLAY 0x0380u
#define CLASS_VGA 0x0300u
#define CLASS_QEMU_PMEM 0xFF00u /* PCI_CLASS_OTHERS, QEMU's virtio-pmem-pci */
#define MVISOR_CFG_BYTES 22u
#define PMEM_CFG_BYTES 16u
#define PAGE 0x1000ull

/* The personality for these ids, or 0 when refused (with a reason that says `why_has`). */
static int identify(uint32_t vendor, uint32_t device, uint32_t class_code, const char *why_has)
{
	enum vgpu_personality personality = 0;
	const char *why = NULL;

	if (win_identify(vendor, device, class_code, &personality, &why)) {
		CHECK(why == NULL);
		return (int)personality;
	}
	CHECK(why != NULL);
	if (why && why_has && !strstr(why, why_has))
		printf("# reason '%s' does not say '%s'\n", why, why_has);
	CHECK(why && (!why_has || strstr(why, why_has)));
	return 0;
}

static void test_identify_standard(void)
{
	CHECK_EQ(identify(VIRTIO, 0x1050, CLASS_OTHER_DISPLAY, NULL), VGPU_PERSONALITY_STANDARD);
	CHECK_EQ(identify(VIRTIO, 0x1050, 0x0302, NULL), VGPU_PERSONALITY_STANDARD);
}

static void test_identify_vga_refused(void)
{
	CHECK_EQ(identify(VIRTIO, 0x1050, CLASS_VGA, "VGA display"), 0);
}

/* Mvisor's virtio-vgpu (class 0 from its VMM) is driven whatever class it reports... */
static void test_identify_mvisor(void)
{
	CHECK_EQ(identify(VIRTIO, 0x105B, 0, NULL), VGPU_PERSONALITY_MVISOR);
	CHECK_EQ(identify(VIRTIO, 0x105B, CLASS_OTHER_DISPLAY, NULL), VGPU_PERSONALITY_MVISOR);
	CHECK_EQ(identify(VIRTIO, 0x105B, CLASS_VGA, NULL), VGPU_PERSONALITY_MVISOR);
}

/* ...but the class QEMU gives its virtio-pmem-pci, which has the same ids. */
static void test_identify_pmem_class_refused(void)
{
	CHECK_EQ(identify(VIRTIO, 0x105B, CLASS_QEMU_PMEM, "virtio-pmem"), 0);
}

static void put_le(uint8_t *p, uint64_t value, unsigned bytes)
{
	unsigned i;

	for (i = 0; i < bytes; i++)
		p[i] = (uint8_t)(value >> (8 * i));
}

/* Mvisor's packed config as its VMM lays it out: staging, queues, capsets, memory, caps. */
static void mvisor_config(uint8_t cfg[MVISOR_CFG_BYTES], uint8_t staging, uint32_t capsets)
{
	cfg[0] = staging;
	cfg[1] = 2;
	put_le(cfg + 2, capsets, 4);
	put_le(cfg + 6, 1ull << 30, 8);
	put_le(cfg + 14, 0x63, 8); /* 3D, capset fix, context init, capset ids */
}

/* virtio-pmem's config: le64 start, le64 size of its memory. */
static void pmem_config(uint8_t cfg[PMEM_CFG_BYTES], uint64_t start, uint64_t size)
{
	put_le(cfg, start, 8);
	put_le(cfg + 8, size, 8);
}

/* The reason, or NULL when the config is taken for Mvisor's. */
static const char *mvisor_refusal(const uint8_t *cfg, uint32_t len)
{
	const char *why = NULL;

	if (win_identify_mvisor(cfg, len, &why)) {
		CHECK(why == NULL);
		return NULL;
	}
	CHECK(why != NULL && strstr(why, "not Mvisor's") != NULL);
	return why ? why : "";
}

static void test_mvisor_config_accepted(void)
{
	uint8_t cfg[MVISOR_CFG_BYTES];
	uint8_t staging;
	uint32_t capsets;

	for (staging = 0; staging <= 1; staging++) {
		for (capsets = 1; capsets <= 2; capsets++) {
			mvisor_config(cfg, staging, capsets);
			CHECK(mvisor_refusal(cfg, sizeof(cfg)) == NULL);
			CHECK(mvisor_refusal(cfg, WIN_MVISOR_ID_BYTES) == NULL);
		}
	}
}

/* Every page-aligned place a pmem region could start, across all of byte 1 and beyond. */
static void test_pmem_config_refused(void)
{
	uint8_t cfg[PMEM_CFG_BYTES];
	uint64_t page;
	unsigned accepted = 0;

	for (page = 0; page < (1u << 20); page++) {
		pmem_config(cfg, page * PAGE, 1ull << 30);
		accepted += mvisor_refusal(cfg, sizeof(cfg)) == NULL;
	}
	CHECK_EQ(accepted, 0);
	pmem_config(cfg, 5ull << 30, 16ull << 30); /* above 4 GiB of RAM, as QEMU places it */
	CHECK(mvisor_refusal(cfg, sizeof(cfg)) != NULL);
	pmem_config(cfg, 1ull << 40, 2ull << 20);
	CHECK(mvisor_refusal(cfg, sizeof(cfg)) != NULL);
}

static void test_mvisor_config_malformed(void)
{
	uint8_t cfg[MVISOR_CFG_BYTES];
	const char *why = NULL;

	mvisor_config(cfg, 0, 2);
	CHECK(mvisor_refusal(cfg, WIN_MVISOR_ID_BYTES - 1) != NULL);
	CHECK(mvisor_refusal(NULL, WIN_MVISOR_ID_BYTES) != NULL);
	CHECK(!win_identify_mvisor(cfg, sizeof(cfg), NULL));
	cfg[0] = 2; /* staging is a bool */
	CHECK(mvisor_refusal(cfg, sizeof(cfg)) != NULL);
	mvisor_config(cfg, 0, 0);
	CHECK(mvisor_refusal(cfg, sizeof(cfg)) != NULL);
	mvisor_config(cfg, 0, 9);
	CHECK(mvisor_refusal(cfg, sizeof(cfg)) != NULL);
	mvisor_config(cfg, 0, 1u << 16);
	CHECK(mvisor_refusal(cfg, sizeof(cfg)) != NULL);
	mvisor_config(cfg, 0, 2);
	cfg[1] = 1;
	CHECK(mvisor_refusal(cfg, sizeof(cfg)) != NULL);
	memset(cfg, 0, sizeof(cfg)); /* no device configuration: the transport reads zeros */
	CHECK(mvisor_refusal(cfg, sizeof(cfg)) != NULL);
	memset(cfg, 0xFF, sizeof(cfg)); /* a vanished device */
	CHECK(mvisor_refusal(cfg, sizeof(cfg)) != NULL);
	CHECK(!win_identify_mvisor(cfg, sizeof(cfg), &why) && why != NULL);
}

static void test_identify_others_refused(void)
{
	enum vgpu_personality personality = VGPU_PERSONALITY_STANDARD;
	const char *why = NULL;

	CHECK_EQ(identify(VIRTIO, 0x1041, 0x0200, "not a virtio-gpu"), 0); /* virtio-net */
	CHECK_EQ(identify(0x8086, 0x1050, CLASS_OTHER_DISPLAY, "not a virtio-gpu"), 0);
	CHECK_EQ(identify(0x8086, 0x105B, CLASS_OTHER_DISPLAY, "not a virtio-gpu"), 0);
	CHECK_EQ(identify(0xFFFF, 0xFFFF, 0xFFFF, "not a virtio-gpu"), 0); /* a vanished device */
	CHECK(!win_identify(VIRTIO, 0x1050, CLASS_OTHER_DISPLAY, NULL, &why));
	CHECK(!win_identify(VIRTIO, 0x1050, CLASS_OTHER_DISPLAY, &personality, NULL));
}

static void test_request_ok(void)
{
	CHECK(win_devmem_request_ok(0x1000, PAGE));
	CHECK(win_devmem_request_ok(256ull << 30, 64 * PAGE)); /* Mvisor's window at 256 GiB */
	CHECK(win_devmem_request_ok(0, WIN_DEVMEM_MAX_BYTES));
	CHECK(!win_devmem_request_ok(0x1000, 0));
	CHECK(!win_devmem_request_ok(0x1800, PAGE));
	CHECK(!win_devmem_request_ok(0x1000, PAGE + 1));
	CHECK(!win_devmem_request_ok(0, WIN_DEVMEM_MAX_BYTES + PAGE));
	CHECK(!win_devmem_request_ok(0, 1ull << 32));
	/* the end must be an address: the top page of the address space is refused */
	CHECK(win_devmem_request_ok(UINT64_MAX - 2 * PAGE + 1, PAGE));
	CHECK(!win_devmem_request_ok(UINT64_MAX - PAGE + 1, PAGE));
	CHECK(!win_devmem_request_ok(UINT64_MAX - PAGE + 1, 2 * PAGE));
}

static void test_inside(void)
{
	uint64_t bar = 0x8000000000ull, len = 256ull << 20;

	CHECK(win_devmem_inside(bar, len, bar, len));
	CHECK(win_devmem_inside(bar + len - PAGE, PAGE, bar, len));
	CHECK(!win_devmem_inside(bar + len - PAGE, 2 * PAGE, bar, len));
	CHECK(!win_devmem_inside(bar + len, PAGE, bar, len));
	CHECK(!win_devmem_inside(bar - PAGE, 2 * PAGE, bar, len));
	CHECK(!win_devmem_inside(bar, PAGE, bar, 0));
	CHECK(!win_devmem_inside(bar, 0, bar, len));
	/* sizes that would wrap when added */
	CHECK(!win_devmem_inside(bar + PAGE, UINT64_MAX - PAGE, bar, len));
	CHECK(win_devmem_inside(UINT64_MAX - PAGE + 1, PAGE, UINT64_MAX - 2 * PAGE + 1, 2 * PAGE));
}

static void test_overlaps(void)
{
	uint64_t ram = 0x100000000ull, len = 4ull << 30;

	CHECK(win_devmem_overlaps(ram, PAGE, ram, len));
	CHECK(win_devmem_overlaps(ram + len - PAGE, PAGE, ram, len));
	CHECK(win_devmem_overlaps(ram - PAGE, 2 * PAGE, ram, len));
	CHECK(win_devmem_overlaps(0, UINT64_MAX, ram, len));     /* covers it whole */
	CHECK(!win_devmem_overlaps(ram - PAGE, PAGE, ram, len)); /* ends where RAM begins */
	CHECK(!win_devmem_overlaps(ram + len, PAGE, ram, len));  /* begins where RAM ends */
	CHECK(!win_devmem_overlaps(256ull << 30, 1ull << 30, ram, len));
	CHECK(!win_devmem_overlaps(ram, 0, ram, len));
	CHECK(!win_devmem_overlaps(ram, PAGE, ram, 0));
	CHECK(!win_devmem_overlaps(UINT64_MAX - PAGE + 1, PAGE, 0, PAGE));
}

int main(void)
{
	RUN(test_identify_standard);
	RUN(test_identify_vga_refused);
	RUN(test_identify_mvisor);
	RUN(test_identify_pmem_class_refused);
	RUN(test_mvisor_config_accepted);
	RUN(test_pmem_config_refused);
	RUN(test_mvisor_config_malformed);
	RUN(test_identify_others_refused);
	RUN(test_request_ok);
	RUN(test_inside);
	RUN(test_overlaps);
	return tap_done();
}
