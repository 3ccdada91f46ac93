/* SPDX-License-Identifier: MIT */
/*
 * The fence id wrap with fenced work still on the device.  Device fence ids
 * stay below VGPU_FENCE_ID_LIMIT; when the counter reaches it, the next
 * fenced request waits until no fenced request is in flight and restarts
 * the ids at 1, so that a device completing "every fence up to id N" never
 * mixes ids from before and after the wrap.
 *
 * The cases start the engine's counter three ids before the real limit
 * (white box: ctrlq.next_fence_id through device.h), hold the fenced work
 * on the fake device (DEFER) and let it finish in order, out of order,
 * slowly, never, or lose the device meanwhile.  The fake counts a fenced
 * command that restarts the ids while an older one is still held as a
 * violation, which harness_down reports.
 */
#include <pthread.h>
#include <time.h>

#include "device.h" /* white box: the fence id counter and the waiters */
#include "session.h"

#define MS 1000000ull
#define SECOND (1000 * MS)
/* The last id before the wrap; the first after it is 1. */
#define LAST_ID (VGPU_FENCE_ID_LIMIT - 1u)
/* Fenced commands the cases hold on the device before the wrap. */
#define HELD 3u

/* Make the engine's next fence id `id` (no fenced request may be in flight). */
static void start_fence_ids_at(uint32_t id)
{
	vgpu_dev_lock(H.dev);
	CHECK_EQ(H.dev->ctrlq.fenced_in_flight, 0);
	H.dev->ctrlq.next_fence_id = id;
	vgpu_dev_unlock(H.dev);
}

static uint32_t fenced_in_flight(void)
{
	uint32_t n;

	vgpu_dev_lock(H.dev);
	n = H.dev->ctrlq.fenced_in_flight;
	vgpu_dev_unlock(H.dev);
	return n;
}

static uint32_t next_fence_id(void)
{
	uint32_t id;

	vgpu_dev_lock(H.dev);
	id = H.dev->ctrlq.next_fence_id;
	vgpu_dev_unlock(H.dev);
	return id;
}

/* Someone sleeps in the core (the cases make sure it can only be the wrap). */
static bool core_has_waiter(void)
{
	bool any;

	vgpu_dev_lock(H.dev);
	any = !vgpu_list_empty(&H.dev->waiters);
	vgpu_dev_unlock(H.dev);
	return any;
}

static bool wait_for_core_waiter(void)
{
	uint64_t start = now_ns();

	while (!core_has_waiter()) {
		if (now_ns() - start > 5 * SECOND)
			return false;
		nanosleep(&(struct timespec){ 0, 1000 * 1000 }, NULL);
	}
	return true;
}

/* The fence id of the last fenced command of type `cmd` the device received (0: none). */
static uint64_t last_fence_id(uint32_t cmd)
{
	struct fake_gpu_record rec;

	if (!fake_gpu_last(&H.gpu, cmd, &rec) || !(rec.flags & WIRE_FLAG_FENCE))
		return 0;
	return rec.fence_id;
}

/* Every fence id the device was given lies in [1, VGPU_FENCE_ID_LIMIT). */
static void check_fence_ids_in_range(void)
{
	for (unsigned i = 0; i < H.gpu.nrecords; i++) {
		const struct fake_gpu_record *r = &H.gpu.records[i];

		if (r->flags & WIRE_FLAG_FENCE)
			CHECK(r->fence_id >= 1 && r->fence_id < VGPU_FENCE_ID_LIMIT);
	}
}

/* A SUBMIT made on another thread, because at the wrap it may have to wait. */
struct late_submit {
	pthread_t thread;
	struct vgpu_file *file;
	uint32_t handle;
	uint64_t signal;
	int status;
	uint64_t took;
};

static void *submit_in_thread(void *arg)
{
	struct late_submit *s = arg;
	uint64_t start = now_ns();

	s->status = submit(s->file, &s->handle, 1, 4, s->signal);
	s->took = now_ns() - start;
	return NULL;
}

/* Start the SUBMIT; true once it sleeps at the wrap (then join it with finish_late_submit). */
static bool start_late_submit(struct late_submit *s, struct vgpu_file *f, uint32_t handle,
			      uint64_t signal)
{
	*s = (struct late_submit){ .file = f, .handle = handle, .signal = signal };
	if (pthread_create(&s->thread, NULL, submit_in_thread, s) != 0) {
		CHECK(!"pthread_create");
		return false;
	}
	CHECK(wait_for_core_waiter());
	return true;
}

static int finish_late_submit(struct late_submit *s)
{
	pthread_join(s->thread, NULL);
	return s->status;
}

/*
 * Hold the three fenced commands before the wrap on the device: submit 1,
 * a transfer 2 and submit 3 of F, with ids LAST_ID - 2 .. LAST_ID.  Every
 * SUBMIT_3D from now on is deferred; the transfer is held behind it.
 */
static void hold_work_before_wrap(uint32_t handle)
{
	start_fence_ids_at(LAST_ID - 2);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_SUBMIT_3D, FAKE_GPU_DEFER, 0, -1);
	CHECK_EQ(submit(F, &handle, 1, 4, 1), VGPU_OK);
	CHECK_EQ(transfer_buffer(F, VGPU_IOCTL_TRANSFER_TO_HOST, handle, 0, 64, 2), VGPU_OK);
	CHECK_EQ(last_fence_id(WIRE_CMD_TRANSFER_TO_HOST_3D), LAST_ID - 1);
	CHECK_EQ(submit(F, &handle, 1, 4, 3), VGPU_OK);
	CHECK_EQ(last_fence_id(WIRE_CMD_SUBMIT_3D), LAST_ID);
	CHECK_EQ(fake_gpu_pending_count(&H.gpu), HELD);
	CHECK_EQ(fenced_in_flight(), HELD);
	CHECK_EQ(next_fence_id(), VGPU_FENCE_ID_LIMIT);
}

static bool mvisor_session_up(void)
{
	struct fake_gpu_config cfg = fake_gpu_default_config();

	cfg.mvisor = true;
	cfg.features &= ~(1ull << VIRTIO_GPU_FEAT_VIRGL);
	CHECK_EQ(harness_up(&H, &cfg), VGPU_OK);
	F = H.dev ? harness_open(&H, &H) : NULL;
	if (F && make_context(F) == VGPU_OK)
		return true;
	CHECK(!"mvisor session");
	down();
	return false;
}

/*
 * The wrap waits for the held work, which then completes in order; the
 * timeline goes on across it, waits on values before and after the wrap
 * answer, and commands without a fence are not held up meanwhile.
 */
static void check_wrap_in_order(bool mvisor)
{
	struct late_submit late;
	struct vgpu_file *other;
	uint64_t completed = 0;
	uint32_t handle;

	if (!(mvisor ? mvisor_session_up() : up(true)))
		return;
	vgpu_device_set_command_timeout(H.dev, 30 * SECOND); /* the wrap must not give up here */
	other = harness_open(&H, &other);
	handle = make_buffer(F, 4096, NULL);
	CHECK(other && handle);
	if (!other || make_context(other) != VGPU_OK || !handle) {
		down();
		return;
	}
	hold_work_before_wrap(handle);
	CHECK_EQ(wait_fence(F, 3, 0, &completed), VGPU_E_BUSY);
	CHECK_EQ(completed, 0);

	if (start_late_submit(&late, F, handle, 4)) {
		/* Signal 4 is not submitted yet, nothing reached the device, no id was reused. */
		CHECK_EQ(wait_fence(F, 4, 0, NULL), VGPU_E_INVALID);
		CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_SUBMIT_3D), 2);
		CHECK_EQ(next_fence_id(), VGPU_FENCE_ID_LIMIT);
		/* Commands without a fence need no id: they go on. */
		CHECK(make_buffer(other, 4096, NULL) != 0);

		CHECK_EQ(fake_gpu_complete_pending(&H.gpu, FAKE_GPU_ARRIVAL), HELD);
		CHECK_EQ(finish_late_submit(&late), VGPU_OK);
		CHECK_EQ(last_fence_id(WIRE_CMD_SUBMIT_3D), 1);
	}
	CHECK_EQ(wait_fence(F, 3, SECOND, &completed), VGPU_OK);
	CHECK(completed >= 3);
	CHECK_EQ(wait_fence(F, 4, 0, &completed), VGPU_E_BUSY);
	CHECK_EQ(completed, 3);

	CHECK_EQ(transfer_buffer(F, VGPU_IOCTL_TRANSFER_TO_HOST, handle, 64, 64, 5), VGPU_OK);
	CHECK_EQ(last_fence_id(WIRE_CMD_TRANSFER_TO_HOST_3D), 2);
	CHECK_EQ(fake_gpu_complete_pending(&H.gpu, FAKE_GPU_ARRIVAL), 2);
	CHECK_EQ(wait_fence(F, 5, SECOND, &completed), VGPU_OK);
	CHECK_EQ(completed, 5);
	/* Values from before the wrap stay reached. */
	CHECK_EQ(wait_fence(F, 1, 0, &completed), VGPU_OK);
	CHECK_EQ(completed, 5);
	check_fence_ids_in_range();
	vgpu_file_close(other);
	down();
}

static void test_wrap_waits_for_pending_work(void)
{
	check_wrap_in_order(false);
}

static void test_wrap_waits_for_pending_work_mvisor(void)
{
	check_wrap_in_order(true);
}

/*
 * The device finishes the fenced work before the wrap newest first, one at
 * a time, across two files: each timeline moves only over work that is
 * done in its own order, and the wrap waits for the last one.
 */
static void test_wrap_with_out_of_order_completions(void)
{
	struct late_submit late;
	struct vgpu_file *other;
	uint64_t completed = 0;
	uint32_t a, b;

	if (!up(true))
		return;
	vgpu_device_set_command_timeout(H.dev, 30 * SECOND);
	other = harness_open(&H, &other);
	CHECK(other != NULL);
	if (!other || make_context(other) != VGPU_OK) {
		down();
		return;
	}
	a = make_buffer(F, 4096, NULL);
	b = make_buffer(other, 4096, NULL);
	start_fence_ids_at(LAST_ID - 2);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_SUBMIT_3D, FAKE_GPU_DEFER, 0, -1);
	CHECK_EQ(submit(F, &a, 1, 4, 1), VGPU_OK);     /* LAST_ID - 2 */
	CHECK_EQ(submit(other, &b, 1, 4, 1), VGPU_OK); /* LAST_ID - 1 */
	CHECK_EQ(submit(F, &a, 1, 4, 2), VGPU_OK);     /* LAST_ID */
	CHECK_EQ(fenced_in_flight(), 3);

	if (start_late_submit(&late, other, b, 2)) {
		/* F's second submit finishes first: F's timeline cannot skip its first. */
		CHECK_EQ(fake_gpu_complete_some(&H.gpu, FAKE_GPU_REVERSED_ALL, 1), 1);
		CHECK_EQ(wait_fence(F, 2, 0, &completed), VGPU_E_BUSY);
		CHECK_EQ(completed, 0);
		CHECK_EQ(fenced_in_flight(), 2);
		/* the other file's first: its timeline moves, the wrap still waits */
		CHECK_EQ(fake_gpu_complete_some(&H.gpu, FAKE_GPU_REVERSED_ALL, 1), 1);
		CHECK_EQ(wait_fence(other, 1, 0, &completed), VGPU_OK);
		CHECK_EQ(completed, 1);
		CHECK(core_has_waiter());
		CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_SUBMIT_3D), 3);
		/* the oldest last: F reaches 2 at once, and the ids restart */
		CHECK_EQ(fake_gpu_complete_some(&H.gpu, FAKE_GPU_REVERSED_ALL, 1), 1);
		CHECK_EQ(wait_fence(F, 2, 0, &completed), VGPU_OK);
		CHECK_EQ(completed, 2);
		CHECK_EQ(finish_late_submit(&late), VGPU_OK);
		CHECK_EQ(last_fence_id(WIRE_CMD_SUBMIT_3D), 1);
	}
	CHECK_EQ(fake_gpu_complete_pending(&H.gpu, FAKE_GPU_REVERSED_ALL), 1);
	CHECK_EQ(wait_fence(other, 2, SECOND, &completed), VGPU_OK);
	CHECK_EQ(completed, 2);
	check_fence_ids_in_range();
	vgpu_file_close(other);
	down();
}

/*
 * A device that does not finish the held work: the fenced call at the
 * wrap fails with TIMEOUT after one command timeout, reuses no id and
 * leaves the held work in flight; commands without a fence still work.
 * Once the device finishes, the same signal value goes through.
 */
static void test_wrap_device_never_finishes_then_recovers(void)
{
	uint64_t completed = 0, start, took;
	uint32_t handle;

	if (!up(true))
		return;
	handle = make_buffer(F, 4096, NULL);
	hold_work_before_wrap(handle);

	start = now_ns();
	CHECK_EQ(submit(F, &handle, 1, 4, 4), VGPU_E_TIMEOUT);
	took = now_ns() - start;
	CHECK(took >= HARNESS_COMMAND_TIMEOUT_NS && took < 5 * SECOND);
	CHECK_EQ(transfer_buffer(F, VGPU_IOCTL_TRANSFER_TO_HOST, handle, 0, 64, 4), VGPU_E_TIMEOUT);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_SUBMIT_3D), 2);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_TRANSFER_TO_HOST_3D), 1);
	CHECK_EQ(fenced_in_flight(), HELD);
	CHECK_EQ(next_fence_id(), VGPU_FENCE_ID_LIMIT);
	/* Signal 4 was never accepted; the held work is still running. */
	CHECK_EQ(wait_fence(F, 4, 0, NULL), VGPU_E_INVALID);
	CHECK_EQ(wait_fence(F, 3, 0, &completed), VGPU_E_BUSY);
	CHECK_EQ(completed, 0);
	CHECK(make_buffer(F, 4096, NULL) != 0);

	/* The device catches up late. */
	CHECK_EQ(fake_gpu_complete_pending(&H.gpu, FAKE_GPU_ARRIVAL), HELD);
	CHECK_EQ(wait_fence(F, 3, SECOND, &completed), VGPU_OK);
	CHECK_EQ(completed, 3);
	CHECK_EQ(submit(F, &handle, 1, 4, 4), VGPU_OK);
	CHECK_EQ(last_fence_id(WIRE_CMD_SUBMIT_3D), 1);
	CHECK_EQ(fake_gpu_complete_pending(&H.gpu, FAKE_GPU_ARRIVAL), 1);
	CHECK_EQ(wait_fence(F, 4, SECOND, &completed), VGPU_OK);
	CHECK_EQ(completed, 4);
	check_fence_ids_in_range();
	down();
}

/*
 * The device drops the held work for good, and its file closes: the
 * engine keeps the requests (the device may still write them), so fenced
 * calls at the wrap keep failing with TIMEOUT, each in bounded time, until
 * the device is declared lost.
 */
static void test_wrap_device_drops_pending_work(void)
{
	struct vgpu_file *other;
	uint32_t handle;
	uint64_t start;

	if (!up(true))
		return;
	other = harness_open(&H, &other);
	handle = make_buffer(F, 4096, NULL);
	CHECK(other && handle);
	if (!other || make_context(other) != VGPU_OK || !handle) {
		down();
		return;
	}
	start_fence_ids_at(LAST_ID - 1);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_SUBMIT_3D, FAKE_GPU_DROP, 0, 2);
	CHECK_EQ(submit(F, &handle, 1, 4, 1), VGPU_OK);
	CHECK_EQ(submit(F, &handle, 1, 4, 2), VGPU_OK);
	start = now_ns();
	vgpu_file_close(F);
	F = NULL;
	CHECK(now_ns() - start < 5 * SECOND);
	CHECK_EQ(fenced_in_flight(), 2);

	handle = make_buffer(other, 4096, NULL);
	CHECK(handle != 0);
	for (uint64_t v = 1; v <= 2; v++) {
		start = now_ns();
		CHECK_EQ(submit(other, &handle, 1, 4, v), VGPU_E_TIMEOUT);
		CHECK(now_ns() - start < 5 * SECOND);
	}
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_SUBMIT_3D), 2);
	CHECK_EQ(next_fence_id(), VGPU_FENCE_ID_LIMIT);

	vgpu_device_mark_lost(H.dev);
	CHECK_EQ(submit(other, &handle, 1, 4, 1), VGPU_E_DEVICE_LOST);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_SUBMIT_3D), 2);
	start = now_ns();
	vgpu_file_close(other);
	CHECK(now_ns() - start < 5 * SECOND);
	check_fence_ids_in_range();
	down();
}

/*
 * The device is lost while a call sleeps at the wrap: the call ends at
 * once with DEVICE_LOST, waits on the held work say so too, and late
 * answers for the held work land in requests the engine still owns.
 */
static void test_device_lost_during_wrap(void)
{
	struct late_submit late;
	uint64_t completed = 0;
	uint32_t handle;

	if (!up(true))
		return;
	vgpu_device_set_command_timeout(H.dev, 30 * SECOND);
	handle = make_buffer(F, 4096, NULL);
	hold_work_before_wrap(handle);

	if (start_late_submit(&late, F, handle, 4)) {
		vgpu_device_mark_lost(H.dev);
		CHECK_EQ(finish_late_submit(&late), VGPU_E_DEVICE_LOST);
		CHECK(late.took < 5 * SECOND);
	}
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_SUBMIT_3D), 2);
	CHECK_EQ(wait_fence(F, 3, SECOND, &completed), VGPU_E_DEVICE_LOST);
	CHECK_EQ(completed, 0);
	CHECK_EQ(submit(F, &handle, 1, 4, 4), VGPU_E_DEVICE_LOST);

	/* The device answers after all: nothing is freed twice or written after free. */
	CHECK_EQ(fake_gpu_complete_pending(&H.gpu, FAKE_GPU_ARRIVAL), HELD);
	CHECK_EQ(fenced_in_flight(), 0);
	CHECK_EQ(wait_fence(F, 3, SECOND, &completed), VGPU_E_DEVICE_LOST);
	CHECK_EQ(next_fence_id(), VGPU_FENCE_ID_LIMIT);
	check_fence_ids_in_range();
	down();
}

/* The call at the wrap, while the device answers the held work one by one, `step` apart. */
static int submit_while_device_trickles(unsigned answers, uint64_t step, uint64_t *took)
{
	struct late_submit late;
	uint32_t handle = make_buffer(F, 4096, NULL);
	unsigned i;

	hold_work_before_wrap(handle);
	if (!start_late_submit(&late, F, handle, 4))
		return VGPU_E_NO_MEMORY;
	for (i = 0; i < answers; i++) {
		nanosleep(&(struct timespec){ 0, (long)step }, NULL);
		CHECK_EQ(fake_gpu_complete_some(&H.gpu, FAKE_GPU_ARRIVAL, 1), 1);
	}
	finish_late_submit(&late);
	*took = late.took;
	return late.status;
}

/*
 * A device that answers each held command within the command timeout but
 * all of them only after more than one: the wrap waits as long as answers
 * keep coming, and fails with TIMEOUT once they stop.
 */
static void test_wrap_waits_while_device_makes_progress(void)
{
	const uint64_t timeout = 300 * MS, step = 150 * MS;
	uint64_t completed = 0, took = 0;

	if (!up(true))
		return;
	vgpu_device_set_command_timeout(H.dev, timeout);
	CHECK_EQ(submit_while_device_trickles(HELD, step, &took), VGPU_OK);
	CHECK(took >= HELD * step);
	CHECK_EQ(last_fence_id(WIRE_CMD_SUBMIT_3D), 1);
	CHECK_EQ(wait_fence(F, 3, 0, &completed), VGPU_OK);
	CHECK_EQ(completed, 3);
	down();

	if (!up(true))
		return;
	vgpu_device_set_command_timeout(H.dev, timeout);
	/* Answers stop after the first: one more timeout, then the call gives up. */
	CHECK_EQ(submit_while_device_trickles(1, step, &took), VGPU_E_TIMEOUT);
	CHECK(took >= step + timeout && took < step + 2 * timeout + SECOND);
	CHECK_EQ(fenced_in_flight(), HELD - 1);
	CHECK_EQ(next_fence_id(), VGPU_FENCE_ID_LIMIT);
	CHECK_EQ(fake_gpu_complete_pending(&H.gpu, FAKE_GPU_ARRIVAL), HELD - 1);
	down();
}

int main(void)
{
	RUN(test_wrap_waits_for_pending_work);
	RUN(test_wrap_waits_for_pending_work_mvisor);
	RUN(test_wrap_with_out_of_order_completions);
	RUN(test_wrap_device_never_finishes_then_recovers);
	RUN(test_wrap_device_drops_pending_work);
	RUN(test_device_lost_during_wrap);
	RUN(test_wrap_waits_while_device_makes_progress);
	return tap_done();
}
