/* SPDX-License-Identifier: MIT */
/*
 * The Mvisor personality against a fake virtio-vgpu playing Mvisor's rules:
 * its packed config, control commands on queue 1 and the rest on queue 0
 * (the fake counts any command on the wrong queue as a violation, which
 * harness_down reports), and one contiguous range per resource.
 */
#include <string.h>

#include "session.h"

static bool mvisor_up(bool staging)
{
	struct fake_gpu_config cfg = fake_gpu_default_config();

	cfg.mvisor = true;
	cfg.staging = staging;
	/* Mvisor's device is nothing but virgl: it need not say so. */
	cfg.features &= ~(1ull << VIRTIO_GPU_FEAT_VIRGL);
	CHECK_EQ(harness_up(&H, &cfg), VGPU_OK);
	F = H.dev ? harness_open(&H, &H) : NULL;
	if (F)
		return true;
	down();
	return false;
}

static void test_info_says_mvisor(void)
{
	struct vgpu_get_info info = { .abi_major = VGPU_ABI_VERSION_MAJOR };

	if (!mvisor_up(true))
		return;
	CHECK_EQ(call(F, VGPU_IOCTL_GET_INFO, &info, sizeof(info)), VGPU_OK);
	CHECK_EQ(info.personality, VGPU_PERSONALITY_MVISOR);
	CHECK(info.features & VGPU_FEATURE_STAGING);
	CHECK_EQ(info.capset_mask, (1u << VGPU_CAPSET_VIRGL) | (1u << VGPU_CAPSET_VIRGL2));
	down();

	if (!mvisor_up(false))
		return;
	CHECK_EQ(call(F, VGPU_IOCTL_GET_INFO, &info, sizeof(info)), VGPU_OK);
	CHECK(!(info.features & VGPU_FEATURE_STAGING));
	down();
}

static void test_commands_take_their_queues(void)
{
	struct fake_gpu_record rec;
	uint8_t capset[FAKE_GPU_CAPSET2_SIZE];
	struct vgpu_get_capset gc = { .capset_id = VGPU_CAPSET_VIRGL2 };
	uint32_t handle, written = 0;

	if (!mvisor_up(false))
		return;
	CHECK_EQ(call_payload(F, VGPU_IOCTL_GET_CAPSET, &gc, sizeof(gc), capset, sizeof(capset),
			      &written),
		 VGPU_OK);
	CHECK_EQ(written, FAKE_GPU_CAPSET2_SIZE);
	CHECK_EQ(make_context(F), VGPU_OK);
	CHECK(fake_gpu_last(&H.gpu, WIRE_CMD_CTX_CREATE, &rec) && rec.queue == 1);
	handle = make_buffer(F, 3 * 4096, NULL);
	CHECK(handle != 0);
	CHECK_EQ(submit(F, &handle, 1, 4, 1), VGPU_OK);
	CHECK(fake_gpu_last(&H.gpu, WIRE_CMD_SUBMIT_3D, &rec) && rec.queue == 0);
	CHECK_EQ(transfer_buffer(F, VGPU_IOCTL_TRANSFER_TO_HOST, handle, 0, 64, 2), VGPU_OK);
	CHECK_EQ(wait_fence(F, 2, 1000000000ull, NULL), VGPU_OK);
	down();
}

static void test_backing_is_one_range(void)
{
	const struct fake_gpu_res *res;
	uint32_t res_id = 0;
	uint32_t handle;

	if (!mvisor_up(false))
		return;
	CHECK_EQ(make_context(F), VGPU_OK);
	/* large enough that the fake OS would otherwise scatter it */
	handle = make_buffer(F, 1u << 20, &res_id);
	CHECK(handle != 0);
	res = fake_gpu_resource(&H.gpu, res_id);
	CHECK(res != NULL);
	if (res) {
		CHECK_EQ(res->nr_entries, 1);
		CHECK_EQ(res->backing_len, 1u << 20);
	}
	down();
	CHECK_EQ(fake_gpu_live_resources(&H.gpu), 0);
}

/* An OS that cannot give contiguous backing cannot drive Mvisor's device. */
static void test_needs_contiguous_backing(void)
{
	struct fake_gpu_config cfg = fake_gpu_default_config();
	struct vgpu_device *dev = NULL;
	struct vgpu_os os;

	cfg.mvisor = true;
	CHECK_EQ(harness_fakes(&H, &cfg), VGPU_OK);
	os = H.os.os;
	os.backing_alloc_contig = NULL;
	CHECK_EQ(vgpu_device_create(&os, &H.gpu.transport, VGPU_PERSONALITY_MVISOR, &dev),
		 VGPU_E_UNSUPPORTED);
	CHECK(dev == NULL);
	CHECK(harness_down(&H));
}

int main(void)
{
	RUN(test_info_says_mvisor);
	RUN(test_commands_take_their_queues);
	RUN(test_backing_is_one_range);
	RUN(test_needs_contiguous_backing);
	return tap_done();
}
