/* SPDX-License-Identifier: MIT */
/*
 * libvgpu over the sim: one thread's WAIT does not hold another thread's
 * calls on the same handle behind it, as it does not under Windows.  The
 * TEST device model never answers the submit (drop), so one thread waits
 * out its whole timeout on the submit's fence; meanwhile another thread
 * makes CALLS calls on the handle.  Over one connection each of them would
 * wait for a slice of the WAIT (50 ms) to end, and together they would
 * outlast it; over the connection the WAIT joined they all finish while it
 * waits.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "integration.h"

#define WAIT_NS (3000ull * 1000000ull)
#define CALLS 100

struct waiter {
	struct vgpu_dev *dev;
	uint64_t fence;
	int status;
	atomic_bool done;
};

static void *wait_main(void *arg)
{
	struct waiter *w = arg;

	w->status = vgpu_wait_fence(w->dev, w->fence, WAIT_NS);
	atomic_store(&w->done, true);
	return NULL;
}

static void test_calls_run_beside_a_wait(void)
{
	static const uint32_t nop = 0; /* VIRGL_CCMD_NOP, no operands */
	const struct timespec settle = { .tv_nsec = 200 * 1000000 };
	struct waiter w = { .status = VGPU_E_TRANSPORT };
	struct vgpu_get_stats st;
	struct vgpu_dev *dev = NULL;
	pthread_t thread;
	unsigned done_beside = 0;

	setenv("VGPU_DEVMODEL_FAULTS", "drop,cmd=SUBMIT_3D", 1);
	CHECK_EQ(sim_start(), 0);
	unsetenv("VGPU_DEVMODEL_FAULTS");
	CHECK_EQ(vgpu_open(&dev), VGPU_OK);
	if (!dev)
		return;
	CHECK_EQ(vgpu_context_create(dev, VGPU_CAPSET_VIRGL2, "wait_beside"), VGPU_OK);
	CHECK_EQ(vgpu_submit(dev, &nop, sizeof(nop), NULL, 0, &w.fence), VGPU_OK);
	w.dev = dev;
	atomic_init(&w.done, false);
	CHECK_EQ(pthread_create(&thread, NULL, wait_main, &w), 0);
	/* the WAIT under way (its first slice opened the second connection) */
	nanosleep(&settle, NULL);
	for (unsigned i = 0; i < CALLS && !atomic_load(&w.done); i++)
		done_beside += vgpu_get_stats(dev, &st) == VGPU_OK;
	CHECK(!atomic_load(&w.done));
	CHECK_EQ(done_beside, CALLS);
	pthread_join(thread, NULL);
	CHECK_EQ(w.status, VGPU_E_TIMEOUT);
	/* two connections, one handle */
	CHECK_EQ(vgpu_get_stats(dev, &st), VGPU_OK);
	CHECK_EQ(st.open_files, 1u);
	vgpu_close(dev);
	CHECK(sim_alive());
	CHECK_EQ(sim_stop(), 0);
}

int main(void)
{
	setenv("VGPU_SIM_DEVICE", "model", 0);
	RUN(test_calls_run_beside_a_wait);
	return tap_done();
}
