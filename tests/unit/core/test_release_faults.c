/* SPDX-License-Identifier: MIT */
/*
 * Giving memory back when memory runs short: a destroy, a close or a
 * refused create must still make the device let go of what it holds (the
 * control queue's kept request), and where the device cannot be told, the
 * guest memory it holds is kept, never freed under it.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "device.h" /* white box: the kept request */
#include "session.h"

/*
 * Each failure point of a destroy, once alone and once with memory short
 * from there on: the device is still told to let the resource go (the
 * commands that make it let go of memory do not depend on an allocation),
 * so it keeps nothing and no memory the guest freed is left in its hands;
 * afterwards nothing is left over.
 */
static void destroy_with_failures(bool onward)
{
	int64_t baseline;
	uint64_t injected = 1;
	int n;

	if (!up(true))
		return;
	warm_up();
	baseline = fake_os_live(&H.os);
	for (n = 0; n < MAX_FAILURE_POINTS && injected; n++) {
		struct vgpu_resource_destroy rd = { .handle = make_buffer(F, 65536, NULL) };

		CHECK(rd.handle != 0);
		injected = H.os.injected_failures;
		(onward ? fake_os_fail_onward : fake_os_fail_at)(&H.os, n);
		CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_DESTROY, &rd, sizeof(rd)), VGPU_OK);
		fake_os_fail_at(&H.os, -1);
		injected = H.os.injected_failures - injected;
		if (fake_gpu_live_resources(&H.gpu) || fake_os_live(&H.os) != baseline)
			printf("# failing acquisition %d%s of the destroy left %u device "
			       "resources, "
			       "%lld OS objects\n",
			       n, onward ? " onward" : "", fake_gpu_live_resources(&H.gpu),
			       (long long)(fake_os_live(&H.os) - baseline));
		CHECK_EQ(fake_gpu_live_resources(&H.gpu), 0);
		CHECK_EQ(fake_gpu_freed_backings(&H.gpu), 0);
		CHECK_EQ(fake_os_live(&H.os), baseline);
	}
	printf("# resource destroy made %d acquisitions\n", n - 1);
	CHECK(n >= 2);
	CHECK_EQ(injected, 0);
	down();
}

static void test_alloc_failure_during_resource_destroy(void)
{
	destroy_with_failures(false);
	destroy_with_failures(true);
}

/*
 * Memory short and the kept request taken (white box): the device cannot
 * be told, so the backing it holds is kept until the device is reset, not
 * freed under it.
 */
static void test_destroy_untold_keeps_backing(void)
{
	struct vgpu_resource_destroy rd;
	int64_t backings;

	if (!up(true))
		return;
	warm_up();
	rd = (struct vgpu_resource_destroy){ .handle = make_buffer(F, 65536, NULL) };
	backings = H.os.live_backings;
	H.dev->ctrlq.kept_taken = true;
	fake_os_fail_onward(&H.os, 0);
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_DESTROY, &rd, sizeof(rd)), VGPU_OK);
	fake_os_fail_at(&H.os, -1);
	H.dev->ctrlq.kept_taken = false;
	CHECK_EQ(fake_gpu_live_resources(&H.gpu), 1);
	CHECK_EQ(H.os.live_backings, backings);
	CHECK_EQ(fake_gpu_freed_backings(&H.gpu), 0);
	down(); /* the reset frees it, and checks that nothing else is left */
}

/* A close with memory short from its start: the device still lets go of the file's objects. */
static void test_close_with_memory_short(void)
{
	if (!up(true))
		return;
	warm_up();
	CHECK(make_buffer(F, 65536, NULL) != 0);
	CHECK(make_buffer(F, 4096, NULL) != 0);
	fake_os_fail_onward(&H.os, 0);
	vgpu_file_close(F);
	F = NULL;
	fake_os_fail_at(&H.os, -1);
	CHECK_EQ(fake_gpu_live_resources(&H.gpu), 0);
	CHECK_EQ(fake_gpu_live_contexts(&H.gpu), 0);
	down();
}

struct destroy_thread {
	struct vgpu_file *file;
	uint32_t handle;
	int status;
};

static void *destroy_in_thread(void *arg)
{
	struct destroy_thread *d = arg;
	struct vgpu_resource_destroy rd = { .handle = d->handle };

	d->status = call(d->file, VGPU_IOCTL_RESOURCE_DESTROY, &rd, sizeof(rd));
	return NULL;
}

/*
 * Two destroys on two files with memory short: the first holds the kept
 * request (the device has not answered its DETACH yet); the second finds it
 * taken and no memory to wait for it, so the device keeps that resource,
 * and the backing stays with it until the reset.  The first completes.
 */
static void test_kept_request_busy(void)
{
	struct destroy_thread first = { 0 };
	struct vgpu_resource_destroy rd;
	struct vgpu_file *other;
	int64_t backings;
	pthread_t thread;
	int polls = 0;

	if (!up(true))
		return;
	warm_up();
	other = harness_open(&H, &H.gpu);
	CHECK(other != NULL);
	if (!other) {
		down();
		return;
	}
	CHECK_EQ(make_context(other), VGPU_OK);
	first = (struct destroy_thread){ .file = F, .handle = make_buffer(F, 65536, NULL) };
	rd = (struct vgpu_resource_destroy){ .handle = make_buffer(other, 65536, NULL) };
	backings = H.os.live_backings;
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_CTX_DETACH_RESOURCE, FAKE_GPU_DEFER, 0, 1);
	fake_os_fail_onward(&H.os, 0);
	CHECK_EQ(pthread_create(&thread, NULL, destroy_in_thread, &first), 0);
	while (fake_gpu_pending_count(&H.gpu) == 0 && polls++ < 30000)
		nanosleep(&(struct timespec){ 0, 1000000L }, NULL);
	CHECK_EQ(fake_gpu_pending_count(&H.gpu), 1);
	CHECK_EQ(call(other, VGPU_IOCTL_RESOURCE_DESTROY, &rd, sizeof(rd)), VGPU_OK);
	fake_gpu_complete_pending(&H.gpu, FAKE_GPU_ARRIVAL);
	pthread_join(thread, NULL);
	fake_os_fail_at(&H.os, -1);
	CHECK_EQ(first.status, VGPU_OK);
	CHECK_EQ(fake_gpu_live_resources(&H.gpu), 1);
	CHECK_EQ(H.os.live_backings, backings - 1);
	vgpu_file_close(other);
	down();
}

/* With memory short, destroy a buffer of a new file; whether the device let it go. */
static bool released_with_memory_short(void)
{
	struct vgpu_file *f = harness_open(&H, &H.gpu);
	struct vgpu_resource_destroy rd;
	unsigned before;
	bool released;

	CHECK(f != NULL);
	if (!f)
		return false;
	CHECK_EQ(make_context(f), VGPU_OK);
	rd = (struct vgpu_resource_destroy){ .handle = make_buffer(f, 65536, NULL) };
	before = fake_gpu_live_resources(&H.gpu);
	fake_os_fail_onward(&H.os, 0);
	CHECK_EQ(call(f, VGPU_IOCTL_RESOURCE_DESTROY, &rd, sizeof(rd)), VGPU_OK);
	fake_os_fail_at(&H.os, -1);
	released = fake_gpu_live_resources(&H.gpu) < before;
	vgpu_file_close(f);
	return released;
}

/*
 * The device does not answer the kept request's command in time: the
 * engine keeps it, and a release with memory short meanwhile cannot tell
 * the device (its backing stays).  Once the device answers after all, the
 * kept request serves the next release.
 */
static void test_kept_request_after_a_silence(void)
{
	struct vgpu_resource_destroy rd;

	if (!up(true))
		return;
	warm_up();
	rd = (struct vgpu_resource_destroy){ .handle = make_buffer(F, 65536, NULL) };
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_CTX_DETACH_RESOURCE, FAKE_GPU_DEFER, 0, 1);
	fake_os_fail_onward(&H.os, 0);
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_DESTROY, &rd, sizeof(rd)), VGPU_OK);
	fake_os_fail_at(&H.os, -1);
	CHECK_EQ(fake_gpu_pending_count(&H.gpu), 1);
	CHECK(!released_with_memory_short());
	fake_gpu_complete_pending(&H.gpu, FAKE_GPU_ARRIVAL);
	fake_gpu_sync_irq(&H.gpu);
	CHECK(released_with_memory_short());
	down();
}

/*
 * A create whose CTX_ATTACH the device refuses after it took the backing,
 * with memory short from each point on and the kept request taken (white
 * box), so that the clean-up may not reach the device: whatever happens,
 * the device never holds a backing the guest freed.
 */
static void test_failed_create_keeps_what_the_device_holds(void)
{
	uint64_t injected = 1;
	int n;

	if (!up(true))
		return;
	warm_up();
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_CTX_ATTACH_RESOURCE, FAKE_GPU_ERROR,
			  WIRE_RESP_ERR_UNSPEC, MAX_FAILURE_POINTS);
	for (n = 0; n < MAX_FAILURE_POINTS && injected; n++) {
		struct vgpu_resource_create c = buffer_desc(65536);
		int ret;

		injected = H.os.injected_failures;
		H.dev->ctrlq.kept_taken = true;
		fake_os_fail_onward(&H.os, n);
		ret = call(F, VGPU_IOCTL_RESOURCE_CREATE, &c, sizeof(c));
		fake_os_fail_at(&H.os, -1);
		H.dev->ctrlq.kept_taken = false;
		injected = H.os.injected_failures - injected;
		CHECK(ret == VGPU_E_NO_MEMORY || ret == VGPU_E_DEVICE);
		CHECK_EQ(fake_gpu_freed_backings(&H.gpu), 0);
	}
	printf("# a refused create made %d acquisitions\n", n - 1);
	CHECK_EQ(injected, 0);
	down();
}

int main(void)
{
	RUN(test_alloc_failure_during_resource_destroy);
	RUN(test_destroy_untold_keeps_backing);
	RUN(test_close_with_memory_short);
	RUN(test_kept_request_busy);
	RUN(test_kept_request_after_a_silence);
	RUN(test_failed_create_keeps_what_the_device_holds);
	return tap_done();
}
