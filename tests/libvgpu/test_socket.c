/* SPDX-License-Identifier: MIT */
/* libvgpu over its socket channel, against the scripted server of fake_server.h:
 * opening, framing of each call, the timeline, waits, and the channel failing. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "socket_client.h"

static void test_open_reads_hello_and_info(void)
{
	struct vgpu_dev *dev = open_default();
	struct fake_request req = fake_request(&server, 0);
	struct vgpu_get_info sent;
	const struct vgpu_get_info *info = vgpu_info(dev);

	CHECK(info != NULL);
	CHECK_EQ(info->abi_major, VGPU_ABI_VERSION_MAJOR);
	CHECK_EQ(info->personality, VGPU_PERSONALITY_STANDARD);
	CHECK_EQ(info->capset_mask, 0x6);
	CHECK_EQ(info->max_submit_bytes, VGPU_MAX_SUBMIT_BYTES);
	CHECK_EQ(fake_count(&server), 1);
	CHECK_EQ(req.code, VGPU_IOCTL_GET_INFO);
	CHECK_EQ(req.in_size, sizeof(struct vgpu_get_info));
	CHECK_EQ(req.payload_size, 0);
	memcpy(&sent, req.in, sizeof(sent));
	CHECK_EQ(sent.abi_major, VGPU_ABI_VERSION_MAJOR);
	CHECK_EQ(sent.abi_minor, VGPU_ABI_VERSION_MINOR);
	finish(dev);
}

static void test_open_by_memory_path(void)
{
	struct vgpu_dev *dev;
	void *ptr = NULL;

	fake_init(&server);
	server.pass_fd = false;
	CHECK_EQ(open_on(&server, &dev), VGPU_OK);
	CHECK_EQ(vgpu_resource_map(dev, 1, &ptr, NULL), VGPU_OK);
	if (ptr)
		check_view_is_memory(ptr);
	finish(dev);
}

static void test_version_mismatch(void)
{
	fake_init(&server);
	server.info_abi_major = VGPU_ABI_VERSION_MAJOR + 1;
	CHECK(open_refused(VGPU_E_VERSION, "ABI 2.0") == NULL);
}

static void test_version_mismatch_despite_ok(void)
{
	fake_init(&server);
	server.info_abi_major = VGPU_ABI_VERSION_MAJOR + 1;
	server.status[VGPU_CTL_FN(VGPU_IOCTL_GET_INFO) - 0x900] = VGPU_OK;
	open_refused(VGPU_E_VERSION, NULL);
}

static void test_hello_bad_magic(void)
{
	fake_init(&server);
	server.fault = FAULT_HELLO_MAGIC;
	CHECK(open_refused(VGPU_E_TRANSPORT, "magic") == NULL);
}

static void test_hello_old_version(void)
{
	fake_init(&server);
	server.fault = FAULT_HELLO_VERSION;
	CHECK(open_refused(VGPU_E_TRANSPORT, "version 1, want 2") == NULL);
}

static void test_hello_region_path_unterminated(void)
{
	fake_init(&server);
	server.fault = FAULT_HELLO_REGION_PATH;
	CHECK(open_refused(VGPU_E_TRANSPORT, "host-visible path") == NULL);
}

/* A region announced but reachable neither by descriptor nor by path: no device. */
static void test_region_unreachable(void)
{
	fake_init(&server);
	server.pass_fd = false;
	snprintf(server.region_path, sizeof(server.region_path), "/nonexistent-dir/region");
	CHECK(open_refused(VGPU_E_TRANSPORT, "/nonexistent-dir/region") == NULL);
}

static void test_hello_missing(void)
{
	fake_init(&server);
	server.fault = FAULT_HELLO_CLOSE;
	open_refused(VGPU_E_TRANSPORT, "hello");
}

static void test_no_server(void)
{
	struct vgpu_dev *dev = (struct vgpu_dev *)&dev;

	CHECK_EQ(vgpu_open_socket("/nonexistent-dir/vgpu.sock", &dev), VGPU_E_TRANSPORT);
	CHECK(dev == NULL);
	CHECK(strstr(vgpu_open_error(), "connect") != NULL);
	CHECK_EQ(vgpu_open_socket("tcp:nohostport", &dev), VGPU_E_TRANSPORT);
	CHECK_EQ(vgpu_open_socket("", &dev), VGPU_E_INVALID);
}

static void test_get_capset_framing(void)
{
	struct vgpu_dev *dev = open_default();
	uint8_t buf[256] = { 0 };
	struct vgpu_get_capset sent;
	struct fake_request req;
	uint32_t size = 0, i;

	for (i = 0; i < 100; i++)
		server.capset[i] = (uint8_t)(i * 7);
	server.capset_size = 100;
	CHECK_EQ(vgpu_get_capset(dev, VGPU_CAPSET_VIRGL2, 0, buf, sizeof(buf), &size), VGPU_OK);
	req = last_request();
	memcpy(&sent, req.in, sizeof(sent));
	CHECK_EQ(req.code, VGPU_IOCTL_GET_CAPSET);
	CHECK_EQ(req.in_size, sizeof(sent));
	CHECK_EQ(req.payload_size, sizeof(buf));
	CHECK_EQ(sent.capset_id, VGPU_CAPSET_VIRGL2);
	CHECK_EQ(sent.version, 0);
	CHECK_EQ(size, 100);
	CHECK(memcmp(buf, server.capset, 100) == 0);
	CHECK_EQ(buf[100], 0);
	/* A buffer too small for the capset: the server's BAD_SIZE comes through. */
	CHECK_EQ(vgpu_get_capset(dev, VGPU_CAPSET_VIRGL2, 0, buf, 50, &size), VGPU_E_BAD_SIZE);
	CHECK_EQ(vgpu_get_capset(dev, VGPU_CAPSET_VIRGL2, 0, NULL, 50, &size), VGPU_E_INVALID);
	finish(dev);
}

static void test_context_create_framing(void)
{
	struct vgpu_dev *dev = open_default();
	struct vgpu_context_create sent;
	struct fake_request req;
	char name[100];

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	CHECK_EQ(vgpu_context_create(dev, VGPU_CAPSET_VIRGL2, name), VGPU_OK);
	req = last_request();
	memcpy(&sent, req.in, sizeof(sent));
	CHECK_EQ(req.code, VGPU_IOCTL_CONTEXT_CREATE);
	CHECK_EQ(req.in_size, sizeof(sent));
	CHECK_EQ(sent.capset_id, VGPU_CAPSET_VIRGL2);
	CHECK_EQ(sent.flags, 0);
	/* A long name is cut to fit, still terminated. */
	CHECK_EQ(strnlen(sent.debug_name, sizeof(sent.debug_name)), VGPU_MAX_DEBUG_NAME - 1);
	finish(dev);
}

static void test_resource_create_framing(void)
{
	struct vgpu_dev *dev = open_default();
	struct vgpu_resource_create rc = {
		.target = 2,
		.format = 1,
		.bind = 2,
		.width = 64,
		.height = 32,
		.depth = 1,
		.array_size = 1,
		.size = 64 * 32 * 4,
		.handle = 77,
		.res_id = 88,
	};
	struct vgpu_resource_create sent;
	struct fake_request req;

	CHECK_EQ(vgpu_resource_create(dev, &rc), VGPU_OK);
	req = last_request();
	memcpy(&sent, req.in, sizeof(sent));
	CHECK_EQ(req.code, VGPU_IOCTL_RESOURCE_CREATE);
	CHECK_EQ(sent.width, 64);
	CHECK_EQ(sent.height, 32);
	CHECK_EQ(sent.size, 64 * 32 * 4);
	CHECK_EQ(sent.handle, 0);
	CHECK_EQ(rc.handle, 1);
	CHECK_EQ(rc.res_id, 100);
	CHECK_EQ(vgpu_resource_destroy(dev, rc.handle), VGPU_OK);
	req = last_request();
	CHECK_EQ(req.code, VGPU_IOCTL_RESOURCE_DESTROY);
	CHECK_EQ(req.in[0], 1);
	finish(dev);
}

static void test_submit_framing(void)
{
	struct vgpu_dev *dev = open_default();
	const uint32_t cmds[3] = { 0x11111111, 0x22222222, 0x33333333 };
	const uint32_t handles[2] = { 5, 9 };
	struct vgpu_submit sent;
	struct fake_request req;
	uint64_t fence = 0;
	unsigned int before;

	CHECK_EQ(vgpu_submit(dev, cmds, sizeof(cmds), handles, 2, &fence), VGPU_OK);
	req = last_request();
	memcpy(&sent, req.in, sizeof(sent));
	CHECK_EQ(req.code, VGPU_IOCTL_SUBMIT);
	CHECK_EQ(req.in_size, sizeof(sent));
	CHECK_EQ(req.payload_size, sizeof(handles) + sizeof(cmds));
	CHECK_EQ(sent.size, sizeof(cmds));
	CHECK_EQ(sent.num_handles, 2);
	CHECK_EQ(sent.signal, fence);
	CHECK(memcmp(req.payload, handles, sizeof(handles)) == 0);
	CHECK(memcmp(req.payload + sizeof(handles), cmds, sizeof(cmds)) == 0);
	/* Arguments libvgpu can judge never reach the server. */
	before = fake_count(&server);
	CHECK_EQ(vgpu_submit(dev, NULL, 4, NULL, 0, NULL), VGPU_E_INVALID);
	CHECK_EQ(vgpu_submit(dev, cmds, 4, NULL, 1, NULL), VGPU_E_INVALID);
	CHECK_EQ(vgpu_submit(dev, cmds, 4, handles, 0x40000001u, NULL), VGPU_E_INVALID);
	CHECK_EQ(vgpu_submit(dev, cmds, VGPU_MAX_SUBMIT_BYTES + 4, NULL, 0, NULL), VGPU_E_INVALID);
	CHECK_EQ(fake_count(&server), before);
	finish(dev);
}

static uint64_t signal_of(const struct fake_request *req)
{
	uint64_t signal = 0;

	if (req->code == VGPU_IOCTL_SUBMIT)
		memcpy(&signal, req->in + offsetof(struct vgpu_submit, signal), sizeof(signal));
	else
		memcpy(&signal, req->in + offsetof(struct vgpu_transfer, signal), sizeof(signal));
	return signal;
}

static void test_timeline_values(void)
{
	struct vgpu_dev *dev = open_default();
	struct vgpu_transfer t = { .handle = 1, .box = { .w = 4, .h = 1, .d = 1 }, .signal = 999 };
	struct fake_request req;
	uint64_t f1 = 0, f2 = 0, f3 = 0, f4 = 77, f5 = 0;
	uint32_t cmd = 0;

	CHECK_EQ(vgpu_transfer_to_host(dev, &t, &f1), VGPU_OK);
	req = last_request();
	CHECK_EQ(req.code, VGPU_IOCTL_TRANSFER_TO_HOST);
	CHECK_EQ(signal_of(&req), f1);
	CHECK_EQ(vgpu_submit(dev, &cmd, 4, NULL, 0, &f2), VGPU_OK);
	req = last_request();
	CHECK_EQ(signal_of(&req), f2);
	CHECK_EQ(vgpu_transfer_from_host(dev, &t, &f3), VGPU_OK);
	req = last_request();
	CHECK_EQ(req.code, VGPU_IOCTL_TRANSFER_FROM_HOST);
	CHECK_EQ(signal_of(&req), f3);
	CHECK_EQ(f1, 1);
	CHECK_EQ(f2, 2);
	CHECK_EQ(f3, 3);
	/* A refused call leaves a gap in the timeline and no fence. */
	server.status[VGPU_CTL_FN(VGPU_IOCTL_SUBMIT) - 0x900] = VGPU_E_INVALID;
	CHECK_EQ(vgpu_submit(dev, &cmd, 4, NULL, 0, &f4), VGPU_E_INVALID);
	CHECK_EQ(f4, 77);
	server.status[VGPU_CTL_FN(VGPU_IOCTL_SUBMIT) - 0x900] = VGPU_OK;
	CHECK_EQ(vgpu_submit(dev, &cmd, 4, NULL, 0, &f5), VGPU_OK);
	CHECK_EQ(f5, 5);
	finish(dev);
}

#define SUBMITS_PER_THREAD 100

static void *submit_many(void *arg)
{
	struct vgpu_dev *dev = arg;
	uint32_t cmd = 0;
	uint64_t fence, last = 0;
	int i;

	for (i = 0; i < SUBMITS_PER_THREAD; i++) {
		if (vgpu_submit(dev, &cmd, 4, NULL, 0, &fence) != VGPU_OK || fence <= last)
			return (void *)1;
		last = fence;
	}
	return NULL;
}

static void test_timeline_threads(void)
{
	struct vgpu_dev *dev = open_default();
	pthread_t a, b;
	void *ra = NULL, *rb = NULL;
	uint64_t prev = 0;
	unsigned int i, n, out_of_order = 0;

	pthread_create(&a, NULL, submit_many, dev);
	pthread_create(&b, NULL, submit_many, dev);
	pthread_join(a, &ra);
	pthread_join(b, &rb);
	CHECK(ra == NULL && rb == NULL);
	/* The server saw every value once, in increasing order. */
	n = fake_count(&server);
	CHECK_EQ(n, 1 + 2 * SUBMITS_PER_THREAD);
	for (i = 1; i < n; i++) {
		struct fake_request req = fake_request(&server, i);

		if (signal_of(&req) != prev + 1)
			out_of_order++;
		prev = signal_of(&req);
	}
	CHECK_EQ(out_of_order, 0);
	finish(dev);
}

static void test_wait_is_sliced(void)
{
	struct vgpu_dev *dev = open_default();
	unsigned int first;
	struct vgpu_wait w[3];
	unsigned int i;

	server.status[VGPU_CTL_FN(VGPU_IOCTL_WAIT) - 0x900] = VGPU_E_TIMEOUT;
	first = fake_count(&server);
	CHECK_EQ(vgpu_wait_fence(dev, 1, 120 * MS), VGPU_E_TIMEOUT);
	/* the first WAIT asked to join a second connection; this server will not */
	CHECK_EQ(fake_count(&server) - first, 4);
	CHECK_EQ(fake_request(&server, first).code, VGPU_SOCK_JOIN_TOKEN);
	for (i = 0; i < 3; i++) {
		struct fake_request req = fake_request(&server, first + 1 + i);

		CHECK_EQ(req.code, VGPU_IOCTL_WAIT);
		memcpy(&w[i], req.in, sizeof(w[i]));
		CHECK_EQ(w[i].kind, VGPU_WAIT_FENCE);
		CHECK_EQ(w[i].value, 1);
	}
	CHECK_EQ(w[0].timeout_ns, 50 * MS);
	CHECK_EQ(w[1].timeout_ns, 50 * MS);
	CHECK_EQ(w[2].timeout_ns, 20 * MS);
	finish(dev);
}

static void test_wait_query_and_resource(void)
{
	struct vgpu_dev *dev = open_default();
	struct vgpu_wait w;
	struct fake_request req;

	server.status[VGPU_CTL_FN(VGPU_IOCTL_WAIT) - 0x900] = VGPU_E_BUSY;
	CHECK_EQ(vgpu_wait_resource(dev, 42, 0), VGPU_E_BUSY);
	req = last_request();
	memcpy(&w, req.in, sizeof(w));
	CHECK_EQ(w.kind, VGPU_WAIT_RESOURCE);
	CHECK_EQ(w.handle, 42);
	CHECK_EQ(w.timeout_ns, 0);
	server.status[VGPU_CTL_FN(VGPU_IOCTL_WAIT) - 0x900] = VGPU_OK;
	CHECK_EQ(vgpu_wait_fence(dev, 3, 10 * MS), VGPU_OK);
	/* asked to join once, refused: every WAIT on the one connection */
	CHECK_EQ(fake_count(&server), 4);
	CHECK_EQ(fake_request(&server, 1).code, VGPU_SOCK_JOIN_TOKEN);
	CHECK_EQ(fake_request(&server, 3).code, VGPU_IOCTL_WAIT);
	finish(dev);
}

/* One call under a fault: it and every later call fail with TRANSPORT, nothing crashes. */
static void check_fault(enum fake_fault fault, uint32_t code)
{
	struct vgpu_get_stats stats;
	struct vgpu_dev *dev;
	uint8_t buf[64];
	uint32_t size = 0;
	void *ptr = NULL;
	int status;

	fake_init(&server);
	server.fault = fault;
	server.fault_code = code;
	server.capset_size = sizeof(buf);
	if (open_on(&server, &dev) != VGPU_OK) {
		CHECK(!"open failed");
		fake_stop(&server);
		return;
	}
	if (code == VGPU_IOCTL_GET_CAPSET)
		status = vgpu_get_capset(dev, VGPU_CAPSET_VIRGL, 0, buf, sizeof(buf), &size);
	else if (code == VGPU_IOCTL_RESOURCE_MAP)
		status = vgpu_resource_map(dev, 1, &ptr, NULL);
	else
		status = vgpu_get_stats(dev, &stats);
	CHECK_EQ(status, VGPU_E_TRANSPORT);
	CHECK(ptr == NULL);
	CHECK_EQ(vgpu_get_stats(dev, &stats), VGPU_E_TRANSPORT);
	finish(dev);
}

static void test_reply_bad_magic(void)
{
	check_fault(FAULT_REPLY_MAGIC, VGPU_IOCTL_GET_STATS);
}

static void test_reply_out_too_big(void)
{
	check_fault(FAULT_OUT_TOO_BIG, VGPU_IOCTL_GET_STATS);
}

static void test_reply_payload_too_big(void)
{
	check_fault(FAULT_PAYLOAD_TOO_BIG, VGPU_IOCTL_GET_CAPSET);
}

static void test_reply_payload_unasked(void)
{
	check_fault(FAULT_PAYLOAD_UNASKED, VGPU_IOCTL_GET_STATS);
}

static void test_extent_outside_memory(void)
{
	check_fault(FAULT_EXTENT_OUTSIDE, VGPU_IOCTL_RESOURCE_MAP);
}

static void test_extent_unaligned(void)
{
	check_fault(FAULT_EXTENT_UNALIGNED, VGPU_IOCTL_RESOURCE_MAP);
}

static void test_extents_short_of_size(void)
{
	check_fault(FAULT_EXTENT_SHORT, VGPU_IOCTL_RESOURCE_MAP);
}

static void test_close_mid_reply(void)
{
	check_fault(FAULT_CLOSE_MID_REPLY, VGPU_IOCTL_GET_STATS);
}

static void test_close_without_reply(void)
{
	check_fault(FAULT_CLOSE_NO_REPLY, VGPU_IOCTL_GET_STATS);
}

/* Bytes past a reply: the stream is out of step. */
static void test_reply_trailing_bytes(void)
{
	check_fault(FAULT_REPLY_TRAILING, VGPU_IOCTL_GET_STATS);
}

static void test_mem_file_without_extents(void)
{
	check_fault(FAULT_MEM_FILE_UNASKED, VGPU_IOCTL_GET_STATS);
}

/* Sending to a server that has gone must fail the call, not raise SIGPIPE. */
static void test_server_gone_before_send(void)
{
	static uint32_t cmds[64 * 1024];
	struct vgpu_dev *dev;

	fake_init(&server);
	server.fault = FAULT_CLOSE_AFTER_REPLY;
	server.fault_code = VGPU_IOCTL_GET_INFO;
	CHECK_EQ(open_on(&server, &dev), VGPU_OK);
	fake_wait_closed(&server);
	CHECK_EQ(vgpu_submit(dev, cmds, sizeof(cmds), NULL, 0, NULL), VGPU_E_TRANSPORT);
	CHECK_EQ(vgpu_submit(dev, cmds, 4, NULL, 0, NULL), VGPU_E_TRANSPORT);
	finish(dev);
}

static void test_null_arguments(void)
{
	struct vgpu_get_stats stats;
	void *ptr;

	CHECK_EQ(vgpu_open_socket("x", NULL), VGPU_E_INVALID);
	CHECK_EQ(vgpu_get_stats(NULL, &stats), VGPU_E_INVALID);
	CHECK_EQ(vgpu_resource_map(NULL, 1, &ptr, NULL), VGPU_E_INVALID);
	CHECK_EQ(vgpu_wait_fence(NULL, 1, 0), VGPU_E_INVALID);
	CHECK_EQ(vgpu_transfer_to_host(NULL, NULL, NULL), VGPU_E_INVALID);
	CHECK(vgpu_info(NULL) == NULL);
	vgpu_close(NULL);
}

int main(void)
{
	RUN(test_open_reads_hello_and_info);
	RUN(test_open_by_memory_path);
	RUN(test_version_mismatch);
	RUN(test_version_mismatch_despite_ok);
	RUN(test_hello_bad_magic);
	RUN(test_hello_old_version);
	RUN(test_hello_region_path_unterminated);
	RUN(test_region_unreachable);
	RUN(test_hello_missing);
	RUN(test_no_server);
	RUN(test_get_capset_framing);
	RUN(test_context_create_framing);
	RUN(test_resource_create_framing);
	RUN(test_submit_framing);
	RUN(test_timeline_values);
	RUN(test_timeline_threads);
	RUN(test_wait_is_sliced);
	RUN(test_wait_query_and_resource);
	RUN(test_reply_bad_magic);
	RUN(test_reply_out_too_big);
	RUN(test_reply_payload_too_big);
	RUN(test_reply_payload_unasked);
	RUN(test_extent_outside_memory);
	RUN(test_extent_unaligned);
	RUN(test_extents_short_of_size);
	RUN(test_mem_file_without_extents);
	RUN(test_reply_trailing_bytes);
	RUN(test_close_mid_reply);
	RUN(test_close_without_reply);
	RUN(test_server_gone_before_send);
	RUN(test_null_arguments);
	return tap_done();
}
