/* SPDX-License-Identifier: MIT */
/*
 * The core against a misbehaving environment: allocations that fail, a
 * device that answers with errors, answers short, answers ids it was never
 * given, forgets to answer, or dies.  Each must cost a clear error code and
 * nothing else: no crash, no hang, no leak, and the core stays usable.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "device.h" /* white box: the fence id limit */
#include "session.h"

#define SECOND 1000000000ull

static uint64_t device_errors(void)
{
	struct vgpu_get_stats st = { 0 };

	CHECK_EQ(call(F, VGPU_IOCTL_GET_STATS, &st, sizeof(st)), VGPU_OK);
	return st.device_errors;
}

/* A device that fails or never answers during start: a clear error, a clean destroy. */
static void test_device_start_faults(void)
{
	uint64_t start;

	CHECK_EQ(harness_fakes(&H, NULL), VGPU_OK);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_GET_CAPSET_INFO, FAKE_GPU_ERROR, WIRE_RESP_ERR_UNSPEC,
			  1);
	CHECK_EQ(harness_create(&H), VGPU_E_DEVICE);
	CHECK(harness_down(&H));

	CHECK_EQ(harness_fakes(&H, NULL), VGPU_OK);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_GET_CAPSET_INFO, FAKE_GPU_DROP, 0, 1);
	start = now_ns();
	CHECK_EQ(harness_create(&H), VGPU_E_TIMEOUT);
	CHECK(now_ns() - start < 2 * SECOND);
	CHECK(harness_down(&H));

	CHECK_EQ(harness_fakes(&H, NULL), VGPU_OK);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_GET_CAPSET_INFO, FAKE_GPU_TRUNCATE, 0, 1);
	CHECK_EQ(harness_create(&H), VGPU_E_DEVICE);
	CHECK(harness_down(&H));

	/* a device that stops before start */
	CHECK_EQ(harness_fakes(&H, NULL), VGPU_OK);
	fake_gpu_die(&H.gpu);
	CHECK(harness_create(&H) != VGPU_OK);
	CHECK(harness_down(&H));
}

/* A device announcing endless capsets, none usable: start asks a few, then goes on without. */
static void test_device_announces_endless_capsets(void)
{
	struct fake_gpu_config cfg = fake_gpu_default_config();

	cfg.num_capsets = 100000;
	cfg.malformed_capsets = true;
	CHECK_EQ(harness_up(&H, &cfg), VGPU_OK);
	CHECK(fake_gpu_count(&H.gpu, WIRE_CMD_GET_CAPSET_INFO) <= 32);
	CHECK(harness_down(&H));
}

static void test_alloc_failure_during_device_create(void)
{
	int n, ret = VGPU_E_NO_MEMORY;

	for (n = 0; n < MAX_FAILURE_POINTS && ret != VGPU_OK; n++) {
		CHECK_EQ(harness_fakes(&H, NULL), VGPU_OK);
		fake_os_fail_at(&H.os, n);
		ret = harness_create(&H);
		if (ret != VGPU_OK) {
			CHECK_EQ(ret, VGPU_E_NO_MEMORY);
			CHECK_EQ(H.os.injected_failures, 1);
			CHECK_EQ(fake_os_live(&H.os), 0);
		}
		CHECK(harness_down(&H));
	}
	printf("# device create and start made %d acquisitions\n", n - 1);
	CHECK(n > 3);
	CHECK_EQ(ret, VGPU_OK);
}

static void test_alloc_failure_during_resource_create(void)
{
	int64_t baseline;
	uint32_t handle = 0;
	int n;

	if (!up(true))
		return;
	warm_up();
	baseline = fake_os_live(&H.os);
	for (n = 0; n < MAX_FAILURE_POINTS && !handle; n++) {
		struct vgpu_resource_create c = buffer_desc(65536);
		int ret;

		fake_os_fail_at(&H.os, n);
		ret = call(F, VGPU_IOCTL_RESOURCE_CREATE, &c, sizeof(c));
		fake_os_fail_at(&H.os, -1);
		if (ret == VGPU_OK) {
			handle = c.handle;
			break;
		}
		CHECK_EQ(ret, VGPU_E_NO_MEMORY);
		if (fake_gpu_live_resources(&H.gpu) || fake_os_live(&H.os) != baseline)
			printf("# failing acquisition %d of the create left %u device resources, "
			       "%lld OS objects\n",
			       n, fake_gpu_live_resources(&H.gpu),
			       (long long)(fake_os_live(&H.os) - baseline));
		CHECK_EQ(fake_gpu_live_resources(&H.gpu), 0);
		CHECK_EQ(fake_os_live(&H.os), baseline);
	}
	printf("# resource create made %d acquisitions\n", n);
	CHECK(n >= 2);
	CHECK(handle != 0);
	CHECK_EQ(fake_gpu_live_resources(&H.gpu), 1);
	down();
}

/* Each failure point of a map, a submit and a wait is clean too. */
static void test_alloc_failure_during_map_submit_wait(void)
{
	struct vgpu_resource_map m;
	uint32_t handle;
	uint64_t signal = 1;
	int ret = VGPU_E_NO_MEMORY, n;

	if (!up(true))
		return;
	handle = make_buffer(F, 4096, NULL);
	for (n = 0; n < MAX_FAILURE_POINTS && ret != VGPU_OK; n++) {
		m = (struct vgpu_resource_map){ .handle = handle };
		fake_os_fail_at(&H.os, n);
		ret = call(F, VGPU_IOCTL_RESOURCE_MAP, &m, sizeof(m));
		fake_os_fail_at(&H.os, -1);
		CHECK(ret == VGPU_OK || ret == VGPU_E_NO_MEMORY);
	}
	CHECK_EQ(ret, VGPU_OK);
	ret = VGPU_E_NO_MEMORY;
	for (n = 0; n < MAX_FAILURE_POINTS && ret != VGPU_OK; n++) {
		fake_os_fail_at(&H.os, n);
		ret = submit(F, &handle, 1, 8, signal);
		fake_os_fail_at(&H.os, -1);
		CHECK(ret == VGPU_OK || ret == VGPU_E_NO_MEMORY);
		CHECK_EQ(wait_fence(F, signal, SECOND, NULL),
			 ret == VGPU_OK ? VGPU_OK : VGPU_E_INVALID);
	}
	CHECK_EQ(ret, VGPU_OK);
	down();
}

static void test_device_error_response(void)
{
	struct vgpu_resource_create c = buffer_desc(4096);
	int64_t before_live;
	uint64_t errors;

	if (!up(true))
		return;
	warm_up();
	errors = device_errors();
	before_live = fake_os_live(&H.os);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_RESOURCE_CREATE_3D, FAKE_GPU_ERROR,
			  WIRE_RESP_ERR_OUT_OF_MEMORY, 1);
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_CREATE, &c, sizeof(c)), VGPU_E_DEVICE);
	CHECK_EQ(device_errors(), errors + 1);
	CHECK_EQ(fake_gpu_live_resources(&H.gpu), 0);
	CHECK_EQ(fake_os_live(&H.os), before_live);
	/* a later stage failing takes the earlier ones back */
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_CTX_ATTACH_RESOURCE, FAKE_GPU_ERROR,
			  WIRE_RESP_ERR_INVALID_CONTEXT_ID, 1);
	c = buffer_desc(4096);
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_CREATE, &c, sizeof(c)), VGPU_E_DEVICE);
	CHECK_EQ(fake_gpu_live_resources(&H.gpu), 0);
	CHECK_EQ(fake_os_live(&H.os), before_live);
	/* and the next call works */
	c = buffer_desc(4096);
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_CREATE, &c, sizeof(c)), VGPU_OK);
	CHECK_EQ(fake_gpu_live_resources(&H.gpu), 1);
	down();
}

static void test_device_error_on_context_create(void)
{
	if (!up(false))
		return;
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_CTX_CREATE, FAKE_GPU_ERROR, WIRE_RESP_ERR_UNSPEC, 1);
	CHECK_EQ(make_context(F), VGPU_E_DEVICE);
	CHECK_EQ(fake_gpu_live_contexts(&H.gpu), 0);
	CHECK_EQ(make_context(F), VGPU_OK);
	CHECK_EQ(fake_gpu_live_contexts(&H.gpu), 1);
	down();
}

static void test_dropped_completion_times_out(void)
{
	struct vgpu_resource_create c = buffer_desc(4096);
	uint64_t start, took;

	if (!up(true))
		return;
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_RESOURCE_CREATE_3D, FAKE_GPU_DROP, 0, 1);
	start = now_ns();
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_CREATE, &c, sizeof(c)), VGPU_E_TIMEOUT);
	took = now_ns() - start;
	printf("# dropped command answered after %llu ms\n", (unsigned long long)(took / 1000000));
	CHECK(took >= HARNESS_COMMAND_TIMEOUT_NS);
	CHECK(took < 2 * SECOND);
	/* the core stays usable */
	c = buffer_desc(4096);
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_CREATE, &c, sizeof(c)), VGPU_OK);
	CHECK_EQ(submit(F, &c.handle, 1, 4, 1), VGPU_OK);
	CHECK_EQ(wait_fence(F, 1, SECOND, NULL), VGPU_OK);
	down();
}

static void test_dropped_fence_times_out_and_close_completes(void)
{
	uint32_t handle;
	uint64_t start;

	if (!up(true))
		return;
	handle = make_buffer(F, 4096, NULL);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_SUBMIT_3D, FAKE_GPU_DROP, 0, 1);
	CHECK_EQ(submit(F, &handle, 1, 4, 1), VGPU_OK);
	CHECK_EQ(wait_fence(F, 1, 30000000ull, NULL), VGPU_E_TIMEOUT);
	start = now_ns();
	vgpu_file_close(F);
	F = NULL;
	CHECK(now_ns() - start < 5 * SECOND);
	CHECK_EQ(fake_gpu_live_resources(&H.gpu), 0);
	CHECK_EQ(fake_gpu_live_contexts(&H.gpu), 0);
	down();
}

struct waiter_thread {
	uint64_t value;
	int status;
	uint64_t took;
};

static void *wait_in_thread(void *arg)
{
	struct waiter_thread *w = arg;
	uint64_t start = now_ns();

	w->status = wait_fence(F, w->value, 30 * SECOND, NULL);
	w->took = now_ns() - start;
	return NULL;
}

/* Closing a handle while another thread waits on it ends that wait at once. */
static void test_cancel_ends_waits(void)
{
	struct waiter_thread w = { .value = 1 };
	uint32_t handle;
	pthread_t thread;

	if (!up(true))
		return;
	handle = make_buffer(F, 4096, NULL);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_SUBMIT_3D, FAKE_GPU_DROP, 0, 1);
	CHECK_EQ(submit(F, &handle, 1, 4, 1), VGPU_OK);
	CHECK_EQ(pthread_create(&thread, NULL, wait_in_thread, &w), 0);
	/* let the thread block in WAIT, then cancel as IRP_MJ_CLEANUP would */
	nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
	vgpu_file_cancel(F);
	pthread_join(thread, NULL);
	CHECK_EQ(w.status, VGPU_E_CANCELLED);
	CHECK(w.took < 5 * SECOND);
	/* later waits end at once too; the value still did not complete */
	CHECK_EQ(wait_fence(F, 1, SECOND, NULL), VGPU_E_CANCELLED);
	down();
}

#define NUDGE_WAITERS 4
#define NUDGE_WAIT_NS (60ull * 1000000ull)

static void *wait_briefly(void *arg)
{
	struct waiter_thread *w = arg;

	w->status = wait_fence(F, w->value, NUDGE_WAIT_NS, NULL);
	return NULL;
}

/* NUDGE_WAITERS threads at once each wait NUDGE_WAIT_NS for `value`, which does not complete. */
static void wait_briefly_in_threads(uint64_t value)
{
	struct waiter_thread w[NUDGE_WAITERS];
	pthread_t threads[NUDGE_WAITERS];
	unsigned i;

	for (i = 0; i < NUDGE_WAITERS; i++) {
		w[i] = (struct waiter_thread){ .value = value };
		CHECK_EQ(pthread_create(&threads[i], NULL, wait_briefly, &w[i]), 0);
	}
	for (i = 0; i < NUDGE_WAITERS; i++) {
		pthread_join(threads[i], NULL);
		CHECK_EQ(w[i].status, VGPU_E_TIMEOUT);
	}
}

/*
 * Threads waiting for fences nudge the device (kmd/core/wait.h) once per
 * interval between them, not each on its own: a busy program's waiters
 * must not multiply the notifications the host handles.
 */
static void test_waiters_share_the_nudges(void)
{
	uint64_t before, sent;
	uint32_t handle;

	if (!up(true))
		return;
	handle = make_buffer(F, 4096, NULL);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_SUBMIT_3D, FAKE_GPU_DEFER, 0, 1);
	CHECK_EQ(submit(F, &handle, 1, 4, 1), VGPU_OK);
	before = fake_gpu_stats(&H.gpu).notifies;
	wait_briefly_in_threads(1);
	sent = fake_gpu_stats(&H.gpu).notifies - before;
	printf("# %u threads waiting %llu ms: %llu nudges\n", NUDGE_WAITERS,
	       (unsigned long long)(NUDGE_WAIT_NS / 1000000u), (unsigned long long)sent);
	/* one per interval over the waits' span (with slack for their starts), not one each */
	CHECK(sent >= 1);
	CHECK(sent <= NUDGE_WAIT_NS / VGPU_FENCE_NUDGE_NS + NUDGE_WAITERS + 10);
	fake_gpu_complete_pending(&H.gpu, FAKE_GPU_ARRIVAL);
	CHECK_EQ(wait_fence(F, 1, SECOND, NULL), VGPU_OK);
	down();
}

/*
 * A clock as coarse as an OS's can be (Windows' default tick is 15.6 ms):
 * a timed wait of the fake OS lasts a whole number of its ticks.
 */
#define COARSE_TICK_NS (100ull * 1000000ull)

/* H and F with the fake OS's periodic timer offered and waits ending at ticks of `tick_ns`. */
static bool up_with_timer(uint64_t tick_ns)
{
	CHECK_EQ(harness_fakes(&H, NULL), VGPU_OK);
	fake_os_offer_timer(&H.os, tick_ns);
	CHECK_EQ(harness_create(&H), VGPU_OK);
	if (H.dev && vgpu_file_open(H.dev, &H, &F) != VGPU_OK)
		F = NULL;
	if (F && make_context(F) == VGPU_OK)
		return true;
	CHECK(F != NULL);
	down();
	return false;
}

/*
 * Where the OS's timed waits end only at its clock's tick, the OS's timer
 * nudges a polling device while a thread waits for a fence (kmd/core/wait.h):
 * the fence is seen long before the waiter's first slice could end.  The
 * timer runs only while someone waits, once for all the waiters.
 */
static void test_timer_nudges_when_waits_are_coarse(void)
{
	uint64_t start, took, calls;
	uint32_t handle;

	if (!up_with_timer(COARSE_TICK_NS))
		return;
	CHECK(H.dev->nudge_timer != NULL);
	handle = make_buffer(F, 4096, NULL);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_SUBMIT_3D, FAKE_GPU_POLLED, 0, 1);
	CHECK_EQ(submit(F, &handle, 1, 2, 1), VGPU_OK);
	start = now_ns();
	CHECK_EQ(wait_fence(F, 1, HARNESS_COMMAND_TIMEOUT_NS, NULL), VGPU_OK);
	took = now_ns() - start;
	printf("# a polled fence seen after %llu us with a %llu ms clock\n",
	       (unsigned long long)(took / 1000), (unsigned long long)(COARSE_TICK_NS / 1000000));
	CHECK(took < COARSE_TICK_NS / 2);
	CHECK(__atomic_load_n(&H.os.timer_calls, __ATOMIC_RELAXED) >= 1);
	CHECK_EQ(H.os.timer_starts, 1);
	CHECK_EQ(H.os.timer_stops, 1);

	/* Stopped: no calls while nobody waits. */
	calls = __atomic_load_n(&H.os.timer_calls, __ATOMIC_RELAXED);
	nanosleep(&(struct timespec){ 0, 5 * VGPU_FENCE_NUDGE_NS }, NULL);
	CHECK_EQ(__atomic_load_n(&H.os.timer_calls, __ATOMIC_RELAXED), calls);

	/* Several waiters: one start, one stop. */
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_SUBMIT_3D, FAKE_GPU_DEFER, 0, 1);
	CHECK_EQ(submit(F, &handle, 1, 4, 2), VGPU_OK);
	wait_briefly_in_threads(2);
	CHECK(H.os.timer_starts >= 2 && H.os.timer_starts <= 1 + NUDGE_WAITERS);
	CHECK_EQ(H.os.timer_stops, H.os.timer_starts);
	fake_gpu_complete_pending(&H.gpu, FAKE_GPU_ARRIVAL);
	CHECK_EQ(wait_fence(F, 2, SECOND, NULL), VGPU_OK);
	down();
}

/* An OS that offers a timer but cannot give one: the waiters nudge, as without it. */
static void test_timer_refused_waiters_nudge(void)
{
	struct vgpu_device *probe = NULL;
	uint64_t before, made;
	uint32_t handle;

	CHECK_EQ(harness_fakes(&H, NULL), VGPU_OK);
	fake_os_offer_timer(&H.os, 0);
	/* The timer is the last thing vgpu_device_create acquires. */
	before = fake_os_acquisitions(&H.os);
	CHECK_EQ(vgpu_device_create(&H.os.os, &H.gpu.transport, VGPU_PERSONALITY_STANDARD, &probe),
		 VGPU_OK);
	made = fake_os_acquisitions(&H.os) - before;
	CHECK(probe && probe->nudge_timer);
	if (probe)
		vgpu_device_destroy(probe);
	fake_os_fail_at(&H.os, (int64_t)made - 1);
	CHECK_EQ(harness_create(&H), VGPU_OK);
	fake_os_fail_at(&H.os, -1);
	CHECK_EQ(H.os.injected_failures, 1);
	if (!H.dev || vgpu_file_open(H.dev, &H, &F) != VGPU_OK || make_context(F) != VGPU_OK) {
		CHECK(!"the device did not come up without its timer");
		down();
		return;
	}
	CHECK(H.dev->nudge_timer == NULL);
	handle = make_buffer(F, 4096, NULL);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_SUBMIT_3D, FAKE_GPU_POLLED, 0, 1);
	CHECK_EQ(submit(F, &handle, 1, 2, 1), VGPU_OK);
	CHECK_EQ(wait_fence(F, 1, HARNESS_COMMAND_TIMEOUT_NS, NULL), VGPU_OK);
	CHECK_EQ(H.os.timer_starts, 0);
	down();
}

/*
 * Fence ids restart below the device's 32-bit limit only when no fenced
 * command is in flight, so that "every earlier fence" keeps its meaning.
 */
static void test_fence_ids_wrap_after_drain(void)
{
	struct fake_gpu_record rec;
	uint32_t handle;
	uint64_t v;

	if (!up(true))
		return;
	handle = make_buffer(F, 4096, NULL);
	H.dev->ctrlq.fence_id_limit = 4; /* white box: the real limit is 2^31 */
	for (v = 1; v <= 10; v++) {
		CHECK_EQ(submit(F, &handle, 1, 4, v), VGPU_OK);
		CHECK(fake_gpu_last(&H.gpu, WIRE_CMD_SUBMIT_3D, &rec));
		CHECK(rec.fence_id >= 1 && rec.fence_id < 4);
	}
	CHECK_EQ(wait_fence(F, 10, SECOND, NULL), VGPU_OK);
	down();
}

static void check_everything_fails(struct vgpu_file *f, int status)
{
	struct vgpu_resource_create c = buffer_desc(4096);

	CHECK_EQ(call(f, VGPU_IOCTL_RESOURCE_CREATE, &c, sizeof(c)), status);
	CHECK_EQ(make_context(f), status);
}

/* A device that stops answering: timeouts for everyone, then DEVICE_LOST once declared. */
static void test_device_dies(void)
{
	struct vgpu_file *other;
	struct vgpu_resource_create c;
	uint32_t handle;
	uint64_t start;

	if (!up(true))
		return;
	other = harness_open(&H, &other);
	CHECK(other != NULL);
	if (!other) {
		down();
		return;
	}
	handle = make_buffer(F, 4096, NULL);
	CHECK_EQ(submit(F, &handle, 1, 4, 1), VGPU_OK);
	CHECK_EQ(wait_fence(F, 1, SECOND, NULL), VGPU_OK);
	fake_gpu_die(&H.gpu);

	c = buffer_desc(4096);
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_CREATE, &c, sizeof(c)), VGPU_E_TIMEOUT);
	CHECK_EQ(make_context(other), VGPU_E_TIMEOUT);
	CHECK_EQ(submit(F, &handle, 1, 4, 2), VGPU_OK); /* asynchronous: accepted */
	CHECK_EQ(wait_fence(F, 2, 30000000ull, NULL), VGPU_E_TIMEOUT);

	vgpu_device_mark_lost(H.dev);
	CHECK_EQ(wait_fence(F, 2, SECOND, NULL), VGPU_E_DEVICE_LOST);
	check_everything_fails(F, VGPU_E_DEVICE_LOST);
	check_everything_fails(other, VGPU_E_DEVICE_LOST);
	CHECK_EQ(submit(F, &handle, 1, 4, 3), VGPU_E_DEVICE_LOST);

	start = now_ns();
	vgpu_file_close(other);
	vgpu_file_close(F);
	F = NULL;
	CHECK(now_ns() - start < 5 * SECOND);
	down();
}

/*
 * After power-down the shell builds a new core on the same transport while
 * files of the old one are open: the detached old core must never touch the
 * device again, neither its calls nor its files' closes nor its destroy.
 */
static void test_detached_core_leaves_the_device_alone(void)
{
	const struct vgpu_transport *t = &H.gpu.transport;
	struct fake_gpu_stats before, after;
	uint32_t handle;

	if (!up(true))
		return;
	handle = make_buffer(F, 4096, NULL);
	CHECK(make_texture(F, 64, 64, 1) != 0);
	CHECK_EQ(submit(F, &handle, 1, 4, 1), VGPU_OK);
	CHECK_EQ(wait_fence(F, 1, SECOND, NULL), VGPU_OK);
	/* what the shell does at power-down; the device then forgets everything */
	vgpu_device_mark_lost(H.dev);
	t->ops->reset(t->priv);
	vgpu_device_detach(H.dev);
	before = fake_gpu_stats(&H.gpu);
	check_everything_fails(F, VGPU_E_DEVICE_LOST);
	vgpu_file_close(F);
	F = NULL;
	vgpu_device_destroy(H.dev);
	H.dev = NULL;
	after = fake_gpu_stats(&H.gpu);
	CHECK_EQ(after.resets, before.resets);
	CHECK_EQ(after.notifies, before.notifies);
	CHECK_EQ(after.requests, before.requests);
	down();
}

/* A WAIT of a call the OS interrupts (CancelIoEx, thread termination) ends within a poll. */
static void test_interrupted_call_ends_its_wait(void)
{
	static int call_a, call_b;
	struct vgpu_wait w = { .kind = VGPU_WAIT_FENCE, .value = 1, .timeout_ns = 10 * SECOND };
	struct vgpu_ioctl_bufs b = {
		.in = &w, .in_size = sizeof(w), .out = &w, .out_size = sizeof(w), .call = &call_b
	};
	uint64_t start;

	if (!up(true))
		return;
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_SUBMIT_3D, FAKE_GPU_DEFER, 0, -1);
	CHECK_EQ(submit(F, NULL, 0, 2, 1), VGPU_OK);
	/* another call's interruption leaves this one alone */
	__atomic_store_n(&H.os.interrupted_call, (void *)&call_a, __ATOMIC_RELEASE);
	w.timeout_ns = 3 * VGPU_CALL_POLL_NS;
	CHECK_EQ(vgpu_file_ioctl(F, VGPU_IOCTL_WAIT, &b), VGPU_E_TIMEOUT);
	CHECK(H.os.interrupt_checks >= 2);
	__atomic_store_n(&H.os.interrupted_call, (void *)&call_b, __ATOMIC_RELEASE);
	w.timeout_ns = 10 * SECOND;
	start = now_ns();
	CHECK_EQ(vgpu_file_ioctl(F, VGPU_IOCTL_WAIT, &b), VGPU_E_CANCELLED);
	CHECK(now_ns() - start < SECOND);
	/* the work itself goes on: the fence still completes */
	__atomic_store_n(&H.os.interrupted_call, NULL, __ATOMIC_RELEASE);
	CHECK_EQ(fake_gpu_complete_pending(&H.gpu, FAKE_GPU_ARRIVAL), 1);
	CHECK_EQ(wait_fence(F, 1, SECOND, NULL), VGPU_OK);
	down();
}

/* A device dying without anyone declaring it lost still lets files close in bounded time. */
static void test_device_dies_silently_close_completes(void)
{
	uint32_t handle;
	uint64_t start;

	if (!up(true))
		return;
	handle = make_buffer(F, 4096, NULL);
	CHECK(make_texture(F, 64, 64, 1) != 0);
	fake_gpu_die(&H.gpu);
	CHECK_EQ(submit(F, &handle, 1, 4, 1), VGPU_OK);
	start = now_ns();
	vgpu_file_close(F);
	F = NULL;
	printf("# close on a dead device took %llu ms\n",
	       (unsigned long long)((now_ns() - start) / 1000000));
	CHECK(now_ns() - start < 10 * SECOND);
	down();
}

static void test_truncated_response(void)
{
	struct vgpu_resource_create c = buffer_desc(4096);
	uint64_t errors;

	if (!up(true))
		return;
	errors = device_errors();
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_RESOURCE_CREATE_3D, FAKE_GPU_TRUNCATE, 0, 1);
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_CREATE, &c, sizeof(c)), VGPU_E_DEVICE);
	CHECK_EQ(device_errors(), errors + 1);
	/* fenced work answered short completes its fence and is counted */
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_SUBMIT_3D, FAKE_GPU_TRUNCATE, 0, 1);
	CHECK_EQ(submit(F, NULL, 0, 4, 1), VGPU_OK);
	CHECK(wait_fence(F, 1, SECOND, NULL) != VGPU_E_TIMEOUT);
	CHECK_EQ(device_errors(), errors + 2);
	c = buffer_desc(4096);
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_CREATE, &c, sizeof(c)), VGPU_OK);
	down();
}

static void test_bogus_used_id(void)
{
	struct vgpu_resource_create c = buffer_desc(4096);
	uint64_t errors;

	if (!up(true))
		return;
	errors = device_errors();
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_CTX_ATTACH_RESOURCE, FAKE_GPU_BOGUS_ID, 0, 1);
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_CREATE, &c, sizeof(c)), VGPU_OK);
	CHECK_EQ(fake_gpu_stats(&H.gpu).bogus_used, 2);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_SUBMIT_3D, FAKE_GPU_BOGUS_ID, 0, 3);
	for (uint64_t v = 1; v <= 3; v++)
		CHECK_EQ(submit(F, &c.handle, 1, 4, v), VGPU_OK);
	CHECK_EQ(wait_fence(F, 3, SECOND, NULL), VGPU_OK);
	CHECK_EQ(fake_gpu_stats(&H.gpu).bogus_used, 8);
	CHECK_EQ(device_errors(), errors);
	c = buffer_desc(4096);
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_CREATE, &c, sizeof(c)), VGPU_OK);
	CHECK_EQ(fake_gpu_live_resources(&H.gpu), 2);
	down();
}

int main(void)
{
	RUN(test_device_start_faults);
	RUN(test_device_announces_endless_capsets);
	RUN(test_alloc_failure_during_device_create);
	RUN(test_alloc_failure_during_resource_create);
	RUN(test_alloc_failure_during_map_submit_wait);
	RUN(test_device_error_response);
	RUN(test_device_error_on_context_create);
	RUN(test_dropped_completion_times_out);
	RUN(test_dropped_fence_times_out_and_close_completes);
	RUN(test_device_dies);
	RUN(test_detached_core_leaves_the_device_alone);
	RUN(test_interrupted_call_ends_its_wait);
	RUN(test_device_dies_silently_close_completes);
	RUN(test_truncated_response);
	RUN(test_bogus_used_id);
	RUN(test_cancel_ends_waits);
	RUN(test_waiters_share_the_nudges);
	RUN(test_timer_nudges_when_waits_are_coarse);
	RUN(test_timer_refused_waiters_nudge);
	RUN(test_fence_ids_wrap_after_drain);
	return tap_done();
}
