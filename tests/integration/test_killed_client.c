/* SPDX-License-Identifier: MIT */
/*
 * A client killed mid-run leaves nothing behind: a forked child creates a
 * context and resources, maps them, keeps submitting work, and is
 * SIGKILLed while it does.  The device-wide counts (GET_STATS) return to
 * what they were before it, and a new client renders correctly.
 */
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "integration.h"
#include "triangle_scene.h"
#include "virgl_stream.h"

#define EXTRA_BUFFERS 8
#define EXTRA_BUFFER_BYTES (64u * 1024u)
#define KILL_AFTER_BUSY_MS 50

static struct vgpu_dev *watcher; /* an opener with no objects, to read the counts */
static struct vgpu_get_stats baseline;
static pid_t victim;

static void sleep_ms(int ms)
{
	const struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void test_baseline(void)
{
	CHECK_EQ(vgpu_open(&watcher), VGPU_OK);
	if (!watcher)
		return;
	CHECK_EQ(vgpu_get_stats(watcher, &baseline), VGPU_OK);
	CHECK_EQ(baseline.contexts, 0);
	CHECK_EQ(baseline.resources, 0);
	printf("# baseline: %u open files, %u contexts, %u resources, %llu backing bytes\n",
	       baseline.open_files, baseline.contexts, baseline.resources,
	       (unsigned long long)baseline.backing_bytes);
}

static int map_extra_buffers(struct vgpu_dev *dev)
{
	int i;

	for (i = 0; i < EXTRA_BUFFERS; i++) {
		struct vgpu_resource_create req = {
			.target = VSTREAM_TARGET_BUFFER,
			.format = VSTREAM_FORMAT_R8_UNORM,
			.bind = VSTREAM_BIND_VERTEX_BUFFER,
			.width = EXTRA_BUFFER_BYTES,
			.height = 1,
			.depth = 1,
			.array_size = 1,
			.size = EXTRA_BUFFER_BYTES,
		};
		uint64_t size;
		void *ptr;

		if (vgpu_resource_create(dev, &req) != VGPU_OK ||
		    vgpu_resource_map(dev, req.handle, &ptr, &size) != VGPU_OK)
			return -1;
		((volatile uint8_t *)ptr)[0] = (uint8_t)i; /* really touch the mapping */
	}
	return 0;
}

/* The child: set up, say so, then keep the device busy until killed. */
static void busy_client(int ready_fd)
{
	struct scene_client c;
	const char ready = 1;

	if (scene_client_open(&c, "killed client") || scene_client_render(&c) ||
	    map_extra_buffers(c.dev))
		_exit(1);
	if (write(ready_fd, &ready, 1) != 1)
		_exit(1);
	for (;;) {
		uint64_t fence;
		const struct vgpu_transfer t = {
			.handle = c.rt,
			.box = { .w = TRIANGLE_SCENE_WIDTH, .h = TRIANGLE_SCENE_HEIGHT, .d = 1 },
			.stride = TRIANGLE_SCENE_STRIDE,
		};

		/* several transfers in flight at any time, so the kill lands mid-work */
		if (vgpu_transfer_from_host(c.dev, &t, &fence) != VGPU_OK)
			_exit(1);
		if (fence % 4 == 0 && vgpu_wait_fence(c.dev, fence, SCENE_CLIENT_WAIT_NS))
			_exit(1);
	}
}

static void test_child_busy_then_killed(void)
{
	struct vgpu_get_stats st;
	int fds[2], status = 0;
	char ready = 0;

	CHECK_EQ(pipe(fds), 0);
	fflush(stdout);
	victim = fork();
	if (victim == 0) {
		close(fds[0]);
		busy_client(fds[1]);
	}
	close(fds[1]);
	CHECK(victim > 0);
	if (victim <= 0)
		return;
	CHECK_EQ(read(fds[0], &ready, 1), 1);
	close(fds[0]);
	sleep_ms(KILL_AFTER_BUSY_MS);
	if (watcher) {
		CHECK_EQ(vgpu_get_stats(watcher, &st), VGPU_OK);
		CHECK_EQ(st.open_files, baseline.open_files + 1);
		CHECK_EQ(st.contexts, baseline.contexts + 1);
		CHECK_EQ(st.resources, baseline.resources + 2 + EXTRA_BUFFERS);
		CHECK(st.backing_bytes >= baseline.backing_bytes + TRIANGLE_SCENE_RT_BYTES +
						  EXTRA_BUFFERS * EXTRA_BUFFER_BYTES);
	}
	/* still running, not failed: the kill lands while it works */
	CHECK_EQ(waitpid(victim, &status, WNOHANG), 0);
	CHECK_EQ(kill(victim, SIGKILL), 0);
	CHECK_EQ(waitpid(victim, &status, 0), victim);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void test_objects_released(void)
{
	struct vgpu_get_stats st = { 0 };

	CHECK(watcher != NULL);
	if (!watcher)
		return;
	CHECK(stats_settle(watcher, &baseline, &st));
	CHECK_EQ(st.open_files, baseline.open_files);
	CHECK_EQ(st.contexts, baseline.contexts);
	CHECK_EQ(st.resources, baseline.resources);
	CHECK_EQ(st.backing_bytes, baseline.backing_bytes);
	CHECK_EQ(st.requests_in_flight, baseline.requests_in_flight);
}

static void test_new_client_renders(void)
{
	struct scene_client c;

	CHECK_CLIENT(&c, scene_client_open(&c, "after the kill"));
	CHECK_CLIENT(&c, scene_client_render(&c));
	CHECK_EQ(scene_client_check(&c, stdout, "# "), 0);
	scene_client_close(&c);
	if (watcher)
		vgpu_close(watcher);
	watcher = NULL;
}

int main(void)
{
	RUN(test_sim_starts);
	RUN(test_baseline);
	RUN(test_child_busy_then_killed);
	RUN(test_objects_released);
	RUN(test_new_client_renders);
	RUN(test_sim_stops_cleanly);
	return tap_done();
}
