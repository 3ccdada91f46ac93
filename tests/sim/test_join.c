/* SPDX-License-Identifier: MIT */
/*
 * Joined handles (VGPU_SOCK_JOIN): vgpu-sim started on the device model,
 * which never answers a submit, spoken to over its socket with raw frames.
 * Usage: test_sim_join PATH-TO-vgpu-sim
 */
#include "sim_client.h"

static struct sim_proc sim;

static int join_call(struct client *c, uint32_t code, struct vgpu_sock_join *j)
{
	struct call_result r = { 0 };
	int status = call(c, code, j, sizeof(*j), NULL, 0, &r);

	free(r.payload);
	return status;
}

/* Calls a joined connection refuses, and goes on after each. */
static void check_join_refusals(const struct vgpu_sock_join *token)
{
	struct vgpu_sock_join wrong = *token;
	struct call_result r = { 0 };
	struct client c;
	uint8_t small[8] = { 0 };

	wrong.token[31] ^= 1;
	CHECK(client_connect(sim.sock, &c));
	CHECK_EQ(join_call(&c, VGPU_SOCK_JOIN, &wrong), VGPU_E_BAD_HANDLE);
	/* still its own handle, with no context: a resource cannot be made */
	CHECK_EQ(get_info(&c), VGPU_OK);
	CHECK_EQ(join_call(&c, VGPU_SOCK_JOIN, &(struct vgpu_sock_join){ 0 }), VGPU_E_STATE);
	CHECK_EQ(call(&c, VGPU_SOCK_JOIN_TOKEN, small, sizeof(small), NULL, 0, &r),
		 VGPU_E_BAD_SIZE);
	CHECK_EQ(get_info(&c), VGPU_OK);
	client_close(&c);
	free(r.payload);
}

/*
 * A connection that joins a handle serves it: it uses the first's objects,
 * its calls run while the first's WAIT waits (on a submit the device never
 * answers), and the handle lives until the last of the two ends.
 */
static void test_join_serves_the_handle(void)
{
	struct vgpu_sock_join token = { 0 }, again = { 0 };
	struct vgpu_resource_map m = { .size = 4096 };
	struct call_result r = { 0 };
	struct client first, joined, late, watcher;

	CHECK(launch_dropping_submits(&sim));
	CHECK(client_connect(sim.sock, &watcher));
	CHECK(client_connect(sim.sock, &first));
	m.handle = make_buffer(&first, 4096);
	CHECK_EQ(join_call(&first, VGPU_SOCK_JOIN_TOKEN, &token), VGPU_OK);
	CHECK_EQ(join_call(&first, VGPU_SOCK_JOIN_TOKEN, &again), VGPU_OK);
	CHECK(memcmp(&token, &again, sizeof(token)) == 0);
	CHECK(memcmp(&token, &(struct vgpu_sock_join){ 0 }, sizeof(token)) != 0);
	check_join_refusals(&token);

	CHECK(client_connect(sim.sock, &joined));
	CHECK_EQ(join_call(&joined, VGPU_SOCK_JOIN, &token), VGPU_OK);
	start_endless_wait(&first);
	/* while the first waits: the handle's resource, through the joined connection */
	CHECK_EQ(call(&joined, VGPU_IOCTL_RESOURCE_MAP, &m, sizeof(m), NULL, 0, &r), VGPU_OK);
	CHECK(r.reply.num_extents > 0);
	CHECK_EQ(get_stats(&watcher).open_files, 2u);
	CHECK_EQ(poll(&(struct pollfd){ .fd = first.fd, .events = POLLIN }, 1, 0), 0);

	client_close(&first);
	CHECK_EQ(call(&joined, VGPU_IOCTL_RESOURCE_UNMAP, &m, sizeof(m), NULL, 0, &r), VGPU_OK);
	CHECK_EQ(get_stats(&watcher).resources, 1u);
	client_close(&joined);
	/* the last connection gone: the handle closes (its submit gets the command timeout) */
	CHECK(stats_settle(&watcher, 1, 0, 15000));
	CHECK(client_connect(sim.sock, &late));
	CHECK_EQ(join_call(&late, VGPU_SOCK_JOIN, &token), VGPU_E_BAD_HANDLE);
	client_close(&late);
	client_close(&watcher);
	free(r.payload);
	stop_sim(&sim);
}

int main(int argc, char **argv)
{
	if (!sim_from_args(argc, argv, &sim))
		return 2;
	RUN(test_join_serves_the_handle);
	return tap_done();
}
