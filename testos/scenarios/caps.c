/* SPDX-License-Identifier: MIT */
/*
 * Feature negotiation and capability sets: what the core agreed with the
 * device (read back from the virtio registers too) and both virgl capsets
 * through GET_INFO and GET_CAPSET, as a UMD asks for them.
 */
#include <string.h>

#include "check.h"
#include "client.h"
#include "virgl_caps.h"
#include "../kernel/kprint.h"
#include "../shell/gpu.h"

/* virtio common configuration registers (virtio 1.x, 4.1.4.3) and status bits. */
#define COMMON_GFSELECT 8u
#define COMMON_GF 12u
#define COMMON_STATUS 20u
#define STATUS_LIVE 0x0Fu /* ACKNOWLEDGE | DRIVER | DRIVER_OK | FEATURES_OK */
#define FEATURE_VIRGL 0u
#define FEATURE_EDID 1u
#define FEATURE_INDIRECT_DESC 28u
#define FEATURE_EVENT_IDX 29u
#define FEATURE_VERSION_1 32u
/* Sizes QEMU 7.2 with virglrenderer 0.10 announces. */
#define CAPSET_VIRGL_BYTES 308u
#define CAPSET_VIRGL2_BYTES 1376u

static uint8_t capset_buf[VGPU_MAX_CAPSET_BYTES];

static uint64_t driver_features(struct testos_gpu *gpu)
{
	const struct vgpu_os *os = &gpu->env.os;
	volatile uint8_t *common = gpu->vp.common;
	uint64_t lo, hi;

	os->mmio_write(os->ctx, common + COMMON_GFSELECT, 4, 0);
	lo = os->mmio_read(os->ctx, common + COMMON_GF, 4);
	os->mmio_write(os->ctx, common + COMMON_GFSELECT, 4, 1);
	hi = os->mmio_read(os->ctx, common + COMMON_GF, 4);
	return lo | hi << 32;
}

/* The device's own registers say what was agreed: live, VERSION_1 + VIRGL, nothing unasked. */
static void negotiated_on_the_device(struct testos_gpu *gpu)
{
	const struct vgpu_os *os = &gpu->env.os;
	uint64_t features = driver_features(gpu);

	CHECK_EQ(os->mmio_read(os->ctx, gpu->vp.common + COMMON_STATUS, 1), STATUS_LIVE);
	CHECK(features & (1ull << FEATURE_VERSION_1));
	CHECK(features & (1ull << FEATURE_VIRGL));
	CHECK(!(features & (1ull << FEATURE_EDID)));
	kprintf("# driver features %llx\n", (unsigned long long)features);
}

static void get_info(struct testos_gpu *gpu)
{
	struct client c;
	struct vgpu_get_info info = { .abi_major = VGPU_ABI_VERSION_MAJOR,
				      .abi_minor = VGPU_ABI_VERSION_MINOR };
	uint64_t agreed;

	CHECK_EQ(client_open(&c, gpu), VGPU_OK);
	CHECK_EQ(client_call(&c, VGPU_IOCTL_GET_INFO, &info, sizeof(info)), VGPU_OK);
	agreed = driver_features(gpu);
	CHECK_EQ(info.abi_major, VGPU_ABI_VERSION_MAJOR);
	CHECK_EQ(info.personality, VGPU_PERSONALITY_STANDARD);
	CHECK_EQ(info.capset_mask, (1u << VGPU_CAPSET_VIRGL) | (1u << VGPU_CAPSET_VIRGL2));
	CHECK(info.features & VGPU_FEATURE_VIRGL);
	/* GET_INFO reports exactly the transport features the device agreed to. */
	CHECK_EQ(!!(info.features & VGPU_FEATURE_INDIRECT_DESC),
		 !!(agreed & (1ull << FEATURE_INDIRECT_DESC)));
	CHECK_EQ(!!(info.features & VGPU_FEATURE_EVENT_IDX),
		 !!(agreed & (1ull << FEATURE_EVENT_IDX)));
	/* QEMU 7.2 offers neither blob resources nor context init. */
	CHECK(!(info.features & (VGPU_FEATURE_RESOURCE_BLOB | VGPU_FEATURE_CONTEXT_INIT |
				 VGPU_FEATURE_HOST_VISIBLE)));
	CHECK_EQ(info.host_visible_size, 0);
	CHECK(info.num_scanouts >= 1);
	CHECK_EQ(info.max_submit_bytes, VGPU_MAX_SUBMIT_BYTES);
	CHECK_EQ(info.max_submit_handles, VGPU_MAX_SUBMIT_HANDLES);
	kprintf("# features %llx, %u scanouts\n", (unsigned long long)info.features,
		info.num_scanouts);
	client_close(&c);
}

static void get_info_other_major(struct testos_gpu *gpu)
{
	struct client c;
	struct vgpu_get_info info = { .abi_major = VGPU_ABI_VERSION_MAJOR + 1 };

	CHECK_EQ(client_open(&c, gpu), VGPU_OK);
	CHECK_EQ(client_call(&c, VGPU_IOCTL_GET_INFO, &info, sizeof(info)), VGPU_E_VERSION);
	/* Still filled in, so that the caller can say what it found. */
	CHECK_EQ(info.abi_major, VGPU_ABI_VERSION_MAJOR);
	CHECK_EQ(info.capset_mask, (1u << VGPU_CAPSET_VIRGL) | (1u << VGPU_CAPSET_VIRGL2));
	client_close(&c);
}

static uint32_t fetch_capset(struct client *c, uint32_t id, uint32_t version, uint32_t room,
			     int want)
{
	const struct vgpu_get_capset gc = { .capset_id = id, .version = version };
	uint32_t written = 0xFFFFFFFFu;

	memset(capset_buf, 0xA5, sizeof(capset_buf));
	CHECK_EQ(client_call_direct(c, VGPU_IOCTL_GET_CAPSET, &gc, sizeof(gc), capset_buf, room,
				    &written),
		 want);
	return written;
}

static void check_capset(struct testos_gpu *gpu, uint32_t id, uint32_t bytes)
{
	struct virgl_caps_info caps;
	struct client c;
	uint32_t written;

	CHECK_EQ(client_open(&c, gpu), VGPU_OK);
	written = fetch_capset(&c, id, 0, sizeof(capset_buf), VGPU_OK);
	CHECK_EQ(written, bytes);
	CHECK_EQ(virgl_caps_parse(id, capset_buf, written, &caps), 0);
	CHECK_EQ(caps.value[VIRGL_CAPS_MAX_VERSION], id);
	CHECK(caps.value[VIRGL_CAPS_GLSL_LEVEL] >= 130);
	CHECK(caps.value[VIRGL_CAPS_MAX_RENDER_TARGETS] >= 1);
	kprintf("# capset %u: %u bytes, GLSL %u, renderer \"%s\"\n", id, written,
		caps.value[VIRGL_CAPS_GLSL_LEVEL], caps.renderer);
	/* Asking for the version explicitly gives the same bytes. */
	written = fetch_capset(&c, id, id, sizeof(capset_buf), VGPU_OK);
	CHECK_EQ(written, bytes);
	CHECK_EQ(virgl_caps_parse(id, capset_buf, written, &caps), 0);
	CHECK_EQ(caps.value[VIRGL_CAPS_MAX_VERSION], id);
	client_close(&c);
}

static void capset_virgl(struct testos_gpu *gpu)
{
	check_capset(gpu, VGPU_CAPSET_VIRGL, CAPSET_VIRGL_BYTES);
}

static void capset_virgl2(struct testos_gpu *gpu)
{
	struct virgl_caps_info caps;

	check_capset(gpu, VGPU_CAPSET_VIRGL2, CAPSET_VIRGL2_BYTES);
	CHECK_EQ(virgl_caps_parse(VGPU_CAPSET_VIRGL2, capset_buf, CAPSET_VIRGL2_BYTES, &caps), 0);
	CHECK(caps.present[VIRGL_CAPS_MAX_TEXTURE_2D_SIZE]);
	CHECK(caps.value[VIRGL_CAPS_MAX_TEXTURE_2D_SIZE] >= 2048);
	CHECK(caps.renderer[0] != '\0');
}

static void capset_refusals(struct testos_gpu *gpu)
{
	struct client c;

	CHECK_EQ(client_open(&c, gpu), VGPU_OK);
	fetch_capset(&c, 3, 0, sizeof(capset_buf), VGPU_E_UNSUPPORTED);
	fetch_capset(&c, VGPU_CAPSET_VIRGL, 2, sizeof(capset_buf), VGPU_E_UNSUPPORTED);
	CHECK_EQ(fetch_capset(&c, VGPU_CAPSET_VIRGL2, 0, CAPSET_VIRGL2_BYTES - 1, VGPU_E_BAD_SIZE),
		 0);
	CHECK_EQ(capset_buf[0], 0xA5); /* nothing written */
	client_close(&c);
}

/* A context of each capset: what a UMD creates next. */
static void contexts_of_both_capsets(struct testos_gpu *gpu)
{
	struct client one, two;

	CHECK_EQ(client_open(&one, gpu), VGPU_OK);
	CHECK_EQ(client_open(&two, gpu), VGPU_OK);
	CHECK_EQ(client_context(&one, VGPU_CAPSET_VIRGL, "testos-virgl"), VGPU_OK);
	CHECK_EQ(client_context(&two, VGPU_CAPSET_VIRGL2, "testos-virgl2"), VGPU_OK);
	client_close(&one);
	client_close(&two);
}

static const struct test_case cases[] = {
	{ "negotiated_on_the_device", negotiated_on_the_device },
	{ "get_info", get_info },
	{ "get_info_other_major", get_info_other_major },
	{ "capset_virgl", capset_virgl },
	{ "capset_virgl2", capset_virgl2 },
	{ "capset_refusals", capset_refusals },
	{ "contexts_of_both_capsets", contexts_of_both_capsets },
};

TEST_SUITE(caps, cases);
