/* SPDX-License-Identifier: MIT */
/*
 * Blob resources in the device's host-visible memory.  QEMU offers them
 * from 9.2 with virglrenderer 1.0 (virtio-gpu-gl-pci,blob=true,hostmem=
 * SIZE): scripts/testos-nt.sh's pass "blob" boots such a QEMU with
 * "host-visible=MIB" on the command line.  vgpu.sys then maps device
 * memory, not RAM, into the program that asked, and must do so through an
 * MDL Windows documents for user mappings, take it out again when the
 * program unmaps or dies, and leave the region's range free for the next.
 * Every pass checks that the device offers exactly what the pass set up,
 * and a device without host-visible memory refuses blobs.
 */
#include "blob_client.h"
#include "libvgpu.h"
#include "scenario.h"
#include "triangle_scene.h"

#define BLOB_BYTES 4096u
/* As verifier.low_resources, for blobs: one kernel allocation or mapping in six fails. */
#define LOWRES_ONE_IN 6u
#define LOWRES_SEED 0xb10bu
#define LOWRES_ROUNDS 40u
#define LOWRES_PROGRAMS 10u

static void offered_app(void *arg)
{
	struct vgpu_dev *dev = app_open_device();
	const struct vgpu_get_info *info;
	struct vgpu_resource_create_blob blob;

	if (!dev)
		return;
	info = vgpu_info(dev);
	con_printf("# features 0x%llx, host-visible memory %llu MiB\n",
		   (unsigned long long)info->features,
		   (unsigned long long)(info->host_visible_size >> 20));
	if (world.host_visible_mib) {
		CHECK(info->features & VGPU_FEATURE_RESOURCE_BLOB);
		CHECK(info->features & VGPU_FEATURE_HOST_VISIBLE);
		/* QEMU's blobs take the virgl object from the context, as Linux makes them */
		CHECK(!(info->features & VGPU_FEATURE_BLOB_DESC));
		CHECK_EQ(info->host_visible_size, (uint64_t)world.host_visible_mib << 20);
	} else {
		CHECK(!(info->features & VGPU_FEATURE_HOST_VISIBLE));
		CHECK_EQ(info->host_visible_size, 0);
		CHECK_EQ(vgpu_context_create(dev, VGPU_CAPSET_VIRGL2, "no-blobs"), VGPU_OK);
		blob_client_request(1, VGPU_BLOB_FLAG_MAPPABLE, BLOB_BYTES, &blob);
		CHECK_EQ(vgpu_resource_create_blob(dev, &blob), VGPU_E_UNSUPPORTED);
	}
	vgpu_close(dev);
}

static void offered(void)
{
	if (need_started_gpu())
		run_app("blob-offered", offered_app, NULL);
}

/* The reference triangle drawn by the host from vertices the program wrote into its blob. */
static void triangle_from_mapping(void)
{
	if (!need_started_gpu())
		return;
	run_app("blob-triangle", app_render_triangle_from_blob, NULL);
	CHECK_EQ(nt_mm_mapped_views(), 0);
}

/* A program that ends with its blob mapped, written and never given back. */
static void careless_app(void *arg)
{
	struct vgpu_dev *dev = app_open_device();
	struct vgpu_resource_create_blob blob;
	uint64_t size = 0;
	void *ptr = NULL;

	if (!dev)
		return;
	CHECK_EQ(vgpu_context_create(dev, VGPU_CAPSET_VIRGL2, "careless-blob"), VGPU_OK);
	CHECK_EQ(blob_client_create(dev, 1, VGPU_BLOB_FLAG_MAPPABLE, BLOB_BYTES, &blob), VGPU_OK);
	CHECK_EQ(vgpu_resource_map(dev, blob.handle, &ptr, &size), VGPU_OK);
	if (ptr)
		memset(ptr, 0x5a, BLOB_BYTES);
	CHECK(nt_mm_mapped_views() > 0);
}

/*
 * The process's exit takes the mapping out (vgpu.sys's process notify
 * routine and CLEANUP), the blob goes, and its range of the region serves
 * the next program.
 */
static void process_dies_mapped(void)
{
	struct vgpu_get_stats before, after;

	if (!need_started_gpu())
		return;
	run_app("stats", app_read_stats, &before);
	run_app("careless-blob", careless_app, NULL);
	CHECK_EQ(nt_mm_mapped_views(), 0);
	memset(&after, 0xff, sizeof(after));
	run_app("stats", app_read_stats, &after);
	CHECK_EQ(after.contexts, 0);
	CHECK_EQ(after.resources, 0);
	CHECK_EQ(after.device_errors, before.device_errors);
	run_app("after-careless-blob", app_render_triangle_from_blob, NULL);
}

/* Blobs made, mapped, written and destroyed while kernel allocations fail: OK or NO_MEMORY. */
static void lowres_app(void *arg)
{
	unsigned *failures = arg, i;
	struct vgpu_dev *dev = NULL;

	for (i = 0; i < LOWRES_ROUNDS; i++) {
		struct vgpu_resource_create_blob blob;
		int ret;

		if (!app_lowres_ready(&dev, "lowres-blob", failures))
			continue;
		ret = blob_client_create(dev, i + 1, VGPU_BLOB_FLAG_MAPPABLE, BLOB_BYTES, &blob);
		if (app_lowres_created(ret, failures))
			app_lowres_finish(&dev, i, blob.handle, BLOB_BYTES, failures);
	}
	vgpu_close(dev);
}

/* Each step of vgpu.sys's blob mapping has been made to fail at least once. */
static bool every_step_failed(void)
{
	return nt_faults_injected_in("MmMapIoSpaceEx") && nt_faults_injected_in("IoAllocateMdl") &&
	       nt_faults_injected_in("MmMapLockedPagesSpecifyCache");
}

/*
 * vgpu.sys's blob mapping fails cleanly at each of its steps (the window's
 * system mapping, the MDL, the user mapping); nothing stays mapped, and
 * the next program renders from a blob.
 */
static void low_resources(void)
{
	unsigned failures = 0, programs;

	if (!need_started_gpu())
		return;
	nt_faults_arm(LOWRES_SEED, LOWRES_ONE_IN);
	for (programs = 0; programs < LOWRES_PROGRAMS && !every_step_failed(); programs++)
		run_app("lowres-blob", lowres_app, &failures);
	nt_faults_disarm();
	con_printf("# %u programs: %llu allocations failed on purpose (%llu system mappings of "
		   "device memory, %llu MDLs, %llu user mappings), %u calls saw it\n",
		   programs, (unsigned long long)nt_faults_injected(),
		   (unsigned long long)nt_faults_injected_in("MmMapIoSpaceEx"),
		   (unsigned long long)nt_faults_injected_in("IoAllocateMdl"),
		   (unsigned long long)nt_faults_injected_in("MmMapLockedPagesSpecifyCache"),
		   failures);
	CHECK(every_step_failed());
	CHECK_EQ(nt_mm_mapped_views(), 0);
	run_app("after-lowres-blob", app_render_triangle_from_blob, NULL);
}

const struct scenario scenarios_blob[] = {
	{ "blob.offered", offered },
};
const unsigned scenarios_blob_count = sizeof(scenarios_blob) / sizeof(scenarios_blob[0]);

const struct scenario scenarios_host_visible[] = {
	{ "blob.triangle_from_mapping", triangle_from_mapping },
	{ "blob.process_dies_mapped", process_dies_mapped },
	{ "blob.low_resources", low_resources },
};
const unsigned scenarios_host_visible_count =
	sizeof(scenarios_host_visible) / sizeof(scenarios_host_visible[0]);
