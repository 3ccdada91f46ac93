/* SPDX-License-Identifier: MIT */
/*
 * Programs of the guest using the device through libvgpu, unchanged: the
 * very DeviceIoControl calls the user-mode driver makes, into vgpu.sys,
 * out to QEMU's virtio-gpu-gl.
 */
#include "blob_client.h"
#include "fence_rounds.h"
#include "libvgpu.h"
#include "platform.h"
#include "scenario.h"
#include "triangle_scene.h"

#define WAIT_NS (10ull * 1000000000ull)
#define INFLIGHT_SUBMITS 200u
/* Any id the program has not used; the smallest blob is a page. */
#define TRIANGLE_BLOB_ID 1u
#define TRIANGLE_BLOB_BYTES 4096u

static void info_app(void *arg)
{
	struct vgpu_dev *dev = app_open_device();
	const struct vgpu_get_info *info;
	uint8_t *caps = malloc(VGPU_MAX_CAPSET_BYTES); /* user memory, as a program's */
	uint32_t size = 0;

	if (!dev || !caps)
		return;
	info = vgpu_info(dev);
	CHECK_EQ(info->abi_major, VGPU_ABI_VERSION_MAJOR);
	CHECK(info->features & VGPU_FEATURE_VIRGL);
	CHECK(info->capset_mask & (1u << VGPU_CAPSET_VIRGL));
	CHECK(info->capset_mask & (1u << VGPU_CAPSET_VIRGL2));
	con_printf("# personality %u, features 0x%llx, capsets 0x%x\n", info->personality,
		   (unsigned long long)info->features, info->capset_mask);
	CHECK_EQ(vgpu_get_capset(dev, VGPU_CAPSET_VIRGL, 0, caps, VGPU_MAX_CAPSET_BYTES, &size),
		 VGPU_OK);
	CHECK_EQ(size, 308);
	CHECK_EQ(vgpu_get_capset(dev, VGPU_CAPSET_VIRGL2, 0, caps, VGPU_MAX_CAPSET_BYTES, &size),
		 VGPU_OK);
	/* virglrenderer 0.10's; later versions append fields (1.1: 1384 bytes) */
	CHECK(size >= 1376);
	CHECK_EQ(vgpu_get_capset(dev, 77, 0, caps, VGPU_MAX_CAPSET_BYTES, &size),
		 VGPU_E_UNSUPPORTED);
	CHECK_EQ(vgpu_context_create(dev, VGPU_CAPSET_VIRGL2, "testos-nt"), VGPU_OK);
	vgpu_close(dev);
	free(caps);
}

static void info(void)
{
	if (need_started_gpu())
		run_app("info", info_app, NULL);
}

struct target {
	struct vgpu_resource_create desc;
	uint8_t *map;
};

static int create_mapped(struct vgpu_dev *dev, struct target *t)
{
	uint64_t size = 0;
	void *ptr = NULL;
	int ret = vgpu_resource_create(dev, &t->desc);

	if (ret == VGPU_OK)
		ret = vgpu_resource_map(dev, t->desc.handle, &ptr, &size);
	if (ret == VGPU_OK && size < t->desc.size)
		ret = VGPU_E_INVALID;
	t->map = ptr;
	return ret;
}

/* The vertex buffer a triangle program draws from, mapped into the program. */
struct vertex_source {
	uint32_t handle, res_id;
	float *map;
};

/* A buffer with guest backing: the vertices go up with a transfer. */
static int vertices_by_transfer(struct vgpu_dev *dev, struct vertex_source *v, uint64_t *fence)
{
	struct target vb = { .desc = app_vertex_buffer(TRIANGLE_SCENE_VB_BYTES) };
	struct vgpu_transfer up = { .box = { .w = TRIANGLE_SCENE_VB_BYTES, .h = 1, .d = 1 } };
	int ret = create_mapped(dev, &vb);

	if (ret != VGPU_OK)
		return ret;
	v->handle = up.handle = vb.desc.handle;
	v->res_id = vb.desc.res_id;
	v->map = (float *)vb.map;
	memcpy(v->map, triangle_scene_vertices, TRIANGLE_SCENE_VB_BYTES);
	return vgpu_transfer_to_host(dev, &up, fence);
}

/* A HOST3D blob in the device's host-visible memory: the host reads the mapping itself. */
static int vertices_in_blob(struct vgpu_dev *dev, struct vertex_source *v, uint64_t *fence)
{
	struct vgpu_resource_create_blob blob;
	uint64_t size = 0;
	void *ptr = NULL;
	int ret = blob_client_create(dev, TRIANGLE_BLOB_ID, VGPU_BLOB_FLAG_MAPPABLE,
				     TRIANGLE_BLOB_BYTES, &blob);

	if (ret != VGPU_OK)
		return ret;
	v->handle = blob.handle;
	v->res_id = blob.res_id;
	ret = vgpu_resource_map(dev, blob.handle, &ptr, &size);
	if (ret == VGPU_OK && size < TRIANGLE_BLOB_BYTES)
		ret = VGPU_E_INVALID;
	if (ret != VGPU_OK)
		return ret;
	v->map = ptr;
	memcpy(v->map, triangle_scene_vertices, TRIANGLE_SCENE_VB_BYTES);
	return VGPU_OK;
}

/* The reference triangle: vertices up as `make_vertices` puts them, pixels back through a mapping. */
static void render_triangle(int (*make_vertices)(struct vgpu_dev *dev, struct vertex_source *v,
						 uint64_t *fence))
{
	struct vgpu_dev *dev = app_open_device();
	uint32_t *stream = malloc(TRIANGLE_SCENE_MAX_DWORDS * 4);
	struct target rt = { .desc = { .target = VSTREAM_TARGET_TEXTURE_2D,
				       .format = TRIANGLE_SCENE_FORMAT,
				       .bind = VSTREAM_BIND_RENDER_TARGET |
					       VSTREAM_BIND_SAMPLER_VIEW,
				       .width = TRIANGLE_SCENE_WIDTH,
				       .height = TRIANGLE_SCENE_HEIGHT,
				       .depth = 1,
				       .array_size = 1,
				       .size = TRIANGLE_SCENE_RT_BYTES } };
	struct vertex_source vb = { 0 };
	struct vgpu_transfer down = {
		.box = { .w = TRIANGLE_SCENE_WIDTH, .h = TRIANGLE_SCENE_HEIGHT, .d = 1 },
		.stride = TRIANGLE_SCENE_STRIDE
	};
	uint32_t handles[2];
	uint64_t fence = 0;
	struct vstream st;

	if (!dev || !stream)
		return;
	CHECK_EQ(vgpu_context_create(dev, VGPU_CAPSET_VIRGL2, "triangle"), VGPU_OK);
	CHECK_EQ(create_mapped(dev, &rt), VGPU_OK);
	CHECK_EQ(make_vertices(dev, &vb, &fence), VGPU_OK);
	if (scenario_failing())
		goto out;
	CHECK((uint64_t)(uintptr_t)rt.map >= USER_VA_BASE &&
	      (uint64_t)(uintptr_t)rt.map < USER_VA_END);
	CHECK((uint64_t)(uintptr_t)vb.map >= USER_VA_BASE &&
	      (uint64_t)(uintptr_t)vb.map < USER_VA_END);
	vstream_init(&st, stream, TRIANGLE_SCENE_MAX_DWORDS);
	triangle_scene_encode(&st, rt.desc.res_id, vb.res_id);
	CHECK(vstream_ok(&st));
	handles[0] = rt.desc.handle;
	handles[1] = vb.handle;
	CHECK_EQ(vgpu_submit(dev, stream, vstream_size_bytes(&st), handles, 2, &fence), VGPU_OK);
	down.handle = rt.desc.handle;
	CHECK_EQ(vgpu_transfer_from_host(dev, &down, &fence), VGPU_OK);
	CHECK_EQ(vgpu_wait_fence(dev, fence, WAIT_NS), VGPU_OK);
	if (!scenario_failing())
		CHECK_EQ(triangle_scene_check(rt.map, TRIANGLE_SCENE_STRIDE, stdout, "#   "), 0);
	CHECK_EQ(vgpu_resource_destroy(dev, vb.handle), VGPU_OK);
	CHECK_EQ(vgpu_resource_destroy(dev, rt.desc.handle), VGPU_OK);
out:
	vgpu_close(dev);
	free(stream);
}

void app_render_triangle(void *arg)
{
	render_triangle(vertices_by_transfer);
}

void app_render_triangle_from_blob(void *arg)
{
	render_triangle(vertices_in_blob);
}

static void triangle(void)
{
	if (need_started_gpu())
		run_app("triangle", app_render_triangle, NULL);
}

/* Many fenced submits queued before any wait: in flight together, completing in order. */
static void inflight_app(void *arg)
{
	struct vgpu_dev *dev = app_open_device();
	uint32_t *stream = malloc(TRIANGLE_SCENE_MAX_DWORDS * 4);
	uint64_t fences[INFLIGHT_SUBMITS];
	struct vgpu_get_stats stats;
	struct vstream st;
	unsigned i;

	if (!dev || !stream)
		return;
	CHECK_EQ(vgpu_context_create(dev, VGPU_CAPSET_VIRGL2, "inflight"), VGPU_OK);
	vstream_init(&st, stream, TRIANGLE_SCENE_MAX_DWORDS);
	/* the smallest stream the host runs: select the default sub-context */
	vstream_set_sub_ctx(&st, 0);
	CHECK(vstream_ok(&st));
	for (i = 0; i < INFLIGHT_SUBMITS && !scenario_failing(); i++) {
		CHECK_EQ(vgpu_submit(dev, stream, vstream_size_bytes(&st), NULL, 0, &fences[i]),
			 VGPU_OK);
		if (i)
			CHECK(fences[i] > fences[i - 1]);
	}
	CHECK_EQ(vgpu_get_stats(dev, &stats), VGPU_OK);
	con_printf("# %u requests in flight after %u submits\n", stats.requests_in_flight,
		   INFLIGHT_SUBMITS);
	CHECK_EQ(vgpu_wait_fence(dev, fences[INFLIGHT_SUBMITS - 1], WAIT_NS), VGPU_OK);
	for (i = 0; i < INFLIGHT_SUBMITS; i++)
		CHECK_EQ(vgpu_wait_fence(dev, fences[i], 0), VGPU_OK);
	vgpu_close(dev);
	free(stream);
}

static void inflight(void)
{
	if (need_started_gpu())
		run_app("inflight", inflight_app, NULL);
}

/*
 * QEMU's virtio-gpu-gl looks at its renderer's fences when the guest
 * notifies the control queue, else every 10 ms; vgpu.sys's fence waits
 * nudge it (kmd/core/wait.h).  A clear and the wait for its fence, again
 * and again: most must take far less than that timer (each took about
 * 10 ms without the nudge).
 */
static void prompt_app(void *arg)
{
	static const float rgba[4] = { 0.25f, 0.5f, 0.75f, 1.0f };
	struct vgpu_dev *dev = app_open_device();
	uint32_t *stream = malloc(TRIANGLE_SCENE_MAX_DWORDS * 4);
	struct vgpu_resource_create rt = app_render_target(256, 256);
	struct fence_rounds r = { 0 };
	uint64_t fence = 0;
	struct vstream st;
	unsigned i;

	if (!dev || !stream)
		return;
	CHECK_EQ(vgpu_context_create(dev, VGPU_CAPSET_VIRGL2, "prompt"), VGPU_OK);
	CHECK_EQ(vgpu_resource_create(dev, &rt), VGPU_OK);
	vstream_init(&st, stream, TRIANGLE_SCENE_MAX_DWORDS);
	triangle_scene_encode_target(&st, rt.res_id);
	CHECK(vstream_ok(&st));
	if (scenario_failing())
		goto out;
	CHECK_EQ(vgpu_submit(dev, stream, vstream_size_bytes(&st), &rt.handle, 1, &fence), VGPU_OK);
	for (i = 0; i < FENCE_ROUNDS && !scenario_failing(); i++) {
		uint64_t start = plat_now_ns();

		vstream_init(&st, stream, TRIANGLE_SCENE_MAX_DWORDS);
		vstream_clear_color(&st, rgba);
		CHECK_EQ(vgpu_submit(dev, stream, vstream_size_bytes(&st), &rt.handle, 1, &fence),
			 VGPU_OK);
		CHECK_EQ(vgpu_wait_fence(dev, fence, WAIT_NS), VGPU_OK);
		fence_rounds_add(&r, plat_now_ns() - start);
	}
	con_printf("# a clear and the wait for its fence, %u times: %llu us on average, slowest "
		   "%llu us, %u of 5 ms or more\n",
		   FENCE_ROUNDS, (unsigned long long)(r.total_ns / FENCE_ROUNDS / 1000u),
		   (unsigned long long)(r.slowest_ns / 1000u), r.slow);
	CHECK(r.slow <= FENCE_ROUNDS / 2);
	CHECK_EQ(vgpu_resource_destroy(dev, rt.handle), VGPU_OK);
out:
	vgpu_close(dev);
	free(stream);
}

static void fence_prompt(void)
{
	if (need_started_gpu())
		run_app("prompt", prompt_app, NULL);
}

/*
 * Low resources, as Driver Verifier simulates them: one driver allocation
 * in LOWRES_ONE_IN fails (pool, MDLs, pages, contiguous memory, mappings;
 * a user mapping fails by raising, and the driver's __except must catch it).
 * Every call either works or fails with its error; nothing leaks, and the
 * device works as before once allocations succeed again.
 */
#define LOWRES_ONE_IN 6u
#define LOWRES_ROUNDS 40u
/* Schedules of failures, a program each; on the first MmMapLockedPagesSpecifyCache raises too. */
static const uint64_t lowres_seeds[] = { 0x5eed2u, 0x1111u, 0x2222u, 0x3333u };

static void lowres_app(void *arg)
{
	unsigned *failures = arg, i;
	struct vgpu_dev *dev = NULL;

	for (i = 0; i < LOWRES_ROUNDS; i++) {
		struct vgpu_resource_create rt = app_render_target(128, 128);

		if (!app_lowres_ready(&dev, "lowres", failures))
			continue;
		if (app_lowres_created(vgpu_resource_create(dev, &rt), failures))
			app_lowres_finish(&dev, i, rt.handle, 0, failures);
	}
	vgpu_close(dev);
}

static void low_resources(void)
{
	uint64_t injected = nt_faults_injected();
	uint64_t raised = nt_faults_injected_in("MmMapLockedPagesSpecifyCache");
	unsigned failures = 0, i;

	if (!need_started_gpu())
		return;
	for (i = 0; i < sizeof(lowres_seeds) / sizeof(lowres_seeds[0]); i++) {
		nt_faults_arm(lowres_seeds[i], LOWRES_ONE_IN);
		run_app("lowres", lowres_app, &failures);
		nt_faults_disarm();
	}
	injected = nt_faults_injected() - injected;
	raised = nt_faults_injected_in("MmMapLockedPagesSpecifyCache") - raised;
	con_printf(
		"# %u schedules: %llu allocations failed on purpose (%llu user mappings raised), "
		"%u calls saw it\n",
		i, (unsigned long long)injected, (unsigned long long)raised, failures);
	CHECK(injected > 0);
	CHECK(raised > 0);
	run_app("after-lowres", app_render_triangle, NULL);
}

/*
 * Two threads of one program on one handle, their calls interleaved by a
 * seeded schedule: at every point where a thread waits or the IRQL drops
 * below DISPATCH_LEVEL, the generator may run the other one first.  Each
 * seed is one interleaving; a failing one is printed with its step.
 */
#define SHARED_SUBMITS 40u
#define SCHEDULE_SEEDS 3u

struct shared {
	struct vgpu_dev *dev;
	uint32_t *stream;
	uint32_t bytes;
	unsigned finished;
};

static void shared_setup(void *arg)
{
	struct shared *sh = arg;
	struct vstream st;

	sh->dev = app_open_device();
	sh->stream = malloc(16);
	if (!sh->dev || !sh->stream)
		return;
	CHECK_EQ(vgpu_context_create(sh->dev, VGPU_CAPSET_VIRGL2, "shared"), VGPU_OK);
	vstream_init(&st, sh->stream, 4);
	vstream_set_sub_ctx(&st, 0);
	CHECK(vstream_ok(&st));
	sh->bytes = vstream_size_bytes(&st);
}

static void shared_teardown(void *arg)
{
	struct shared *sh = arg;

	vgpu_close(sh->dev);
	free(sh->stream);
}

static void submitter(void *arg)
{
	struct shared *sh = arg;
	uint64_t fence = 0, last = 0;
	unsigned i;

	for (i = 0; i < SHARED_SUBMITS; i++) {
		CHECK_EQ(vgpu_submit(sh->dev, sh->stream, sh->bytes, NULL, 0, &fence), VGPU_OK);
		CHECK(fence > last);
		last = fence;
		if (i % 5 == 4)
			CHECK_EQ(vgpu_wait_fence(sh->dev, fence, WAIT_NS), VGPU_OK);
	}
	sh->finished++;
}

static void schedules(void)
{
	struct shared sh;
	struct nt_process *proc;
	struct nt_thread *a, *b;
	uint64_t seed;

	if (!need_started_gpu())
		return;
	for (seed = 1; seed <= SCHEDULE_SEEDS && !scenario_failing(); seed++) {
		memset(&sh, 0, sizeof(sh));
		proc = nt_process_create("two-threads");
		/* the program's setup, in its own first thread */
		a = nt_thread_start(proc, "setup", shared_setup, &sh);
		nt_join(a);
		if (!sh.dev || !sh.stream) {
			CHECK(sh.dev && sh.stream);
			nt_process_terminate(proc);
			return;
		}
		nt_sched_seed(seed);
		a = nt_thread_start(proc, "submitter-a", submitter, &sh);
		b = nt_thread_start(proc, "submitter-b", submitter, &sh);
		nt_join(a);
		nt_join(b);
		nt_sched_seed(0);
		CHECK_EQ(sh.finished, 2);
		con_printf("# seed %llu: %llu scheduling steps so far\n", (unsigned long long)seed,
			   (unsigned long long)nt_sched_steps());
		a = nt_thread_start(proc, "teardown", shared_teardown, &sh);
		nt_join(a);
		nt_process_terminate(proc);
	}
}

/*
 * vgpu.sys connects what the PnP manager offers: MSI-X messages when the
 * function has MSI-X, else the line (QEMU's vectors=0, which
 * scripts/testos-nt.sh runs as a second pass).  On the line its ISR must
 * leave another device's interrupt alone.
 */
static void irq_as_offered(void)
{
	if (!need_started_gpu())
		return;
	con_printf("# the function %s MSI-X\n",
		   pnp_function_has_msix(world.gpu) ? "has" : "has no");
	CHECK_EQ(pnp_shared_line_interrupt(world.gpu), !pnp_function_has_msix(world.gpu));
	run_app("after-irq", app_render_triangle, NULL);
}

const struct scenario scenarios_device[] = {
	{ "irq.as_offered", irq_as_offered },      { "device.info", info },
	{ "render.triangle", triangle },           { "submit.inflight", inflight },
	{ "fence.seen_promptly", fence_prompt },   { "verifier.low_resources", low_resources },
	{ "sched.two_threads_seeded", schedules },
};
const unsigned scenarios_device_count = sizeof(scenarios_device) / sizeof(scenarios_device[0]);
