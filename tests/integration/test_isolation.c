/* SPDX-License-Identifier: MIT */
/*
 * Two clients at once, in two processes: the second one names the first
 * one's handle numbers in every call that takes a handle and gets
 * VGPU_E_BAD_HANDLE each time; a command stream naming the first one's
 * device resource ids does not reach them either; and the first client's
 * image stays right throughout.
 */
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "integration.h"
#include "triangle_scene.h"
#include "virgl_stream.h"

/* What the first client tells the second through a pipe. */
struct victim {
	uint32_t handles[2];
	uint32_t res_ids[2];
	uint64_t fence;
};

#define READ_BACKS_DURING_ATTACK 20

static struct scene_client owner;

static void test_owner_renders(void)
{
	CHECK_CLIENT(&owner, scene_client_open(&owner, "isolation owner"));
	CHECK_CLIENT(&owner, scene_client_render(&owner));
	CHECK_EQ(scene_client_check(&owner, NULL, NULL), 0);
}

static void try_handle(struct vgpu_dev *dev, uint32_t handle)
{
	const struct vgpu_transfer t = {
		.handle = handle,
		.box = { .w = 1, .h = 1, .d = 1 },
	};
	static const uint32_t nop = VSTREAM_CMD_NOP; /* no payload */
	uint64_t size = 0;
	void *ptr = NULL;

	CHECK_EQ(vgpu_resource_map(dev, handle, &ptr, &size), VGPU_E_BAD_HANDLE);
	CHECK(ptr == NULL);
	CHECK_EQ(vgpu_resource_unmap(dev, handle), VGPU_E_BAD_HANDLE);
	CHECK_EQ(vgpu_transfer_to_host(dev, &t, NULL), VGPU_E_BAD_HANDLE);
	CHECK_EQ(vgpu_transfer_from_host(dev, &t, NULL), VGPU_E_BAD_HANDLE);
	CHECK_EQ(vgpu_wait_resource(dev, handle, 0), VGPU_E_BAD_HANDLE);
	CHECK_EQ(vgpu_submit(dev, &nop, sizeof(nop), &handle, 1, NULL), VGPU_E_BAD_HANDLE);
	CHECK_EQ(vgpu_resource_destroy(dev, handle), VGPU_E_BAD_HANDLE);
}

/*
 * A stream that clears the owner's render target to black, by its device
 * resource id.  The device must refuse it (the resource is not in our
 * context); the kernel may pass it on, since it does not parse streams.
 */
static void try_stream_on_res_id(struct vgpu_dev *dev, uint32_t res_id)
{
	static const float black[4] = { 0.0f, 0.0f, 0.0f, 1.0f };
	uint32_t cmds[64];
	struct vstream s;
	uint64_t fence = 0;
	int ret;

	vstream_init(&s, cmds, 64);
	triangle_scene_encode_target(&s, res_id);
	vstream_clear_color(&s, black);
	CHECK(vstream_ok(&s));
	ret = vgpu_submit(dev, cmds, vstream_size_bytes(&s), NULL, 0, &fence);
	CHECK(ret == VGPU_OK || ret == VGPU_E_DEVICE);
	if (ret == VGPU_OK) {
		ret = vgpu_wait_fence(dev, fence, SCENE_CLIENT_WAIT_NS);
		CHECK(ret == VGPU_OK || ret == VGPU_E_DEVICE);
	}
}

/* The second client, in its own process; exits 0 when every check held. */
static void intruder(int fd)
{
	struct scene_client own;
	struct victim v;
	struct vgpu_dev *dev = NULL;
	int i;

	CHECK_EQ(read(fd, &v, sizeof(v)), (long long)sizeof(v));
	CHECK_EQ(vgpu_open(&dev), VGPU_OK);
	if (!dev)
		_exit(1);
	CHECK_EQ(vgpu_context_create(dev, VGPU_CAPSET_VIRGL2, "isolation intruder"), VGPU_OK);
	/* before this process has resources of its own, so numbers cannot collide */
	for (i = 0; i < 2; i++)
		try_handle(dev, v.handles[i]);
	CHECK_EQ(vgpu_wait_fence(dev, v.fence, 0), VGPU_E_INVALID);
	try_stream_on_res_id(dev, v.res_ids[0]);
	vgpu_close(dev);

	/* and the same process can render its own scene: the refusals were not a broken client */
	CHECK_CLIENT(&own, scene_client_open(&own, "isolation bystander"));
	CHECK_CLIENT(&own, scene_client_render(&own));
	CHECK_EQ(scene_client_check(&own, NULL, NULL), 0);
	scene_client_close(&own);
	_exit(tap_case_failed ? 1 : 0);
}

static void test_intruder_is_refused(void)
{
	const struct victim v = {
		.handles = { owner.rt, owner.vb },
		.res_ids = { owner.rt_res_id, owner.vb_res_id },
		.fence = owner.last_fence,
	};
	int fds[2], status = -1, i;
	pid_t pid;

	CHECK(owner.dev != NULL);
	if (!owner.dev || pipe(fds) != 0)
		return;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(fds[1]);
		intruder(fds[0]);
	}
	close(fds[0]);
	CHECK(pid > 0);
	if (pid < 0) {
		close(fds[1]);
		return;
	}
	CHECK_EQ(write(fds[1], &v, sizeof(v)), (long long)sizeof(v));
	close(fds[1]);
	/* meanwhile the owner keeps reading its image back */
	for (i = 0; i < READ_BACKS_DURING_ATTACK; i++) {
		CHECK_CLIENT(&owner, scene_client_read_back(&owner));
		CHECK_EQ(scene_client_check(&owner, NULL, NULL), 0);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
}

static void test_owner_unaffected(void)
{
	uint64_t size = 0;
	void *ptr = NULL;

	CHECK(owner.dev != NULL);
	if (!owner.dev)
		return;
	memset(owner.rt_pixels, 0, TRIANGLE_SCENE_RT_BYTES);
	CHECK_CLIENT(&owner, scene_client_read_back(&owner));
	CHECK_EQ(scene_client_check(&owner, stdout, "# "), 0);
	/* its handles still work, and still name the same mapping */
	CHECK_EQ(vgpu_resource_map(owner.dev, owner.rt, &ptr, &size), VGPU_OK);
	CHECK(ptr == owner.rt_pixels);
	scene_client_close(&owner);
}

int main(void)
{
	RUN(test_sim_starts);
	RUN(test_owner_renders);
	RUN(test_intruder_is_refused);
	RUN(test_owner_unaffected);
	RUN(test_sim_stops_cleanly);
	return tap_done();
}
