/* SPDX-License-Identifier: MIT */
/*
 * The plain-C parts of vgpu.sys, run on Linux: which PCI functions it
 * drives as which personality (identity.c), and the range checks before
 * device memory is mapped into a process (devmem.c).
 */
#include <stdint.h>
#include <string.h>

#include "devmem.h"
#include "identity.h"
#include "tap.h"

#define VIRTIO 0x1AF4u
#define CLASS_OTHER_DISPLAY 0x0380u
#define CLASS_VGA 0x0300u
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

/* Mvisor's virtio-vgpu is driven now, whatever class it reports. */
static void test_identify_mvisor(void)
{
	CHECK_EQ(identify(VIRTIO, 0x105B, CLASS_OTHER_DISPLAY, NULL), VGPU_PERSONALITY_MVISOR);
	CHECK_EQ(identify(VIRTIO, 0x105B, CLASS_VGA, NULL), VGPU_PERSONALITY_MVISOR);
	CHECK_EQ(identify(VIRTIO, 0x105B, 0, NULL), VGPU_PERSONALITY_MVISOR);
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
	RUN(test_identify_others_refused);
	RUN(test_request_ok);
	RUN(test_inside);
	RUN(test_overlaps);
	return tap_done();
}
