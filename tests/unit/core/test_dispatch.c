/* SPDX-License-Identifier: MIT */
/*
 * The IOCTL dispatcher refuses every class of bad input with the status the
 * ABI documents, and a refused call never reaches the device.  One case per
 * input class; the positive paths and ownership live in test_objects.c,
 * resource descriptions and transfers in test_dispatch_resources.c.
 */
#include <string.h>

#include "session.h"

static void test_unknown_control_code(void)
{
	struct vgpu_get_info info = { .abi_major = VGPU_ABI_VERSION_MAJOR };

	if (!up(false))
		return;
	REJECTS(call(F, VGPU_CTL_CODE(0x8FF, VGPU_METHOD_BUFFERED), &info, sizeof(info)),
		VGPU_E_UNSUPPORTED);
	REJECTS(call(F, VGPU_CTL_CODE(0x90E, VGPU_METHOD_BUFFERED), &info, sizeof(info)),
		VGPU_E_UNSUPPORTED);
	REJECTS(call(F, 0, &info, sizeof(info)), VGPU_E_UNSUPPORTED);
	/* another device type in the high bits */
	REJECTS(call(F, VGPU_IOCTL_GET_INFO ^ (1u << 16), &info, sizeof(info)), VGPU_E_UNSUPPORTED);
	down();
}

static void test_wrong_method_bits(void)
{
	struct vgpu_get_info info = { .abi_major = VGPU_ABI_VERSION_MAJOR };
	struct vgpu_submit s = { .size = 4, .signal = 1 };
	uint32_t dword = 0;

	if (!up(true))
		return;
	for (uint32_t m = 1; m < 4; m++)
		REJECTS(call(F, VGPU_CTL_CODE(0x900, m), &info, sizeof(info)), VGPU_E_UNSUPPORTED);
	REJECTS(call_payload(F, VGPU_CTL_CODE(0x909, VGPU_METHOD_BUFFERED), &s, sizeof(s), &dword,
			     4, NULL),
		VGPU_E_UNSUPPORTED);
	REJECTS(call_payload(F, VGPU_CTL_CODE(0x909, VGPU_METHOD_OUT_DIRECT), &s, sizeof(s), &dword,
			     4, NULL),
		VGPU_E_UNSUPPORTED);
	down();
}

static void test_fixed_struct_too_small(void)
{
	uint8_t buf[128] = { 0 };
	struct vgpu_submit s = { .size = 4, .signal = 1 };
	uint32_t dword = 0;

	if (!up(true))
		return;
	REJECTS(call(F, VGPU_IOCTL_GET_INFO, buf, sizeof(struct vgpu_get_info) - 1),
		VGPU_E_BAD_SIZE);
	REJECTS(call(F, VGPU_IOCTL_RESOURCE_CREATE, buf, sizeof(struct vgpu_resource_create) - 8),
		VGPU_E_BAD_SIZE);
	REJECTS(call(F, VGPU_IOCTL_WAIT, buf, 0), VGPU_E_BAD_SIZE);
	REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s) - 4, &dword, 4, NULL),
		VGPU_E_BAD_SIZE);
	down();
}

static void test_fixed_struct_too_large(void)
{
	uint8_t buf[128] = { 0 };
	struct {
		struct vgpu_submit s;
		uint32_t extra;
	} big = { .s = { .size = 4, .signal = 1 } };
	uint32_t dword = 0;

	if (!up(true))
		return;
	REJECTS(call(F, VGPU_IOCTL_GET_INFO, buf, sizeof(struct vgpu_get_info) + 1),
		VGPU_E_BAD_SIZE);
	REJECTS(call(F, VGPU_IOCTL_RESOURCE_DESTROY, buf, sizeof(buf)), VGPU_E_BAD_SIZE);
	REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &big, sizeof(big), &dword, 4, NULL),
		VGPU_E_BAD_SIZE);
	down();
}

/* A buffered call whose in and out sizes differ is malformed too. */
static void test_out_buffer_size_mismatch(void)
{
	struct vgpu_get_info info = { .abi_major = VGPU_ABI_VERSION_MAJOR };
	struct vgpu_ioctl_bufs b = {
		.in = &info, .in_size = sizeof(info), .out = &info, .out_size = sizeof(info) - 8
	};

	if (!up(false))
		return;
	REJECTS(vgpu_file_ioctl(F, VGPU_IOCTL_GET_INFO, &b), VGPU_E_BAD_SIZE);
	CHECK_EQ(b.out_written, 0);
	b.out_size = sizeof(info);
	b.out = NULL;
	REJECTS(vgpu_file_ioctl(F, VGPU_IOCTL_GET_INFO, &b), VGPU_E_BAD_SIZE);
	down();
}

static void test_nonzero_pad_fields(void)
{
	struct vgpu_context_create cc = { .capset_id = VGPU_CAPSET_VIRGL2, .pad = 1 };
	struct vgpu_resource_destroy rd;
	struct vgpu_resource_map rm;
	struct vgpu_submit s = { .size = 4, .signal = 1, .pad = 1 };
	uint32_t handle, dword = 0;

	if (!up(false))
		return;
	REJECTS(call(F, VGPU_IOCTL_CONTEXT_CREATE, &cc, sizeof(cc)), VGPU_E_INVALID);
	CHECK_EQ(make_context(F), VGPU_OK);
	handle = make_buffer(F, 4096, NULL);
	CHECK(handle != 0);
	rd = (struct vgpu_resource_destroy){ .handle = handle, .pad = 1 };
	REJECTS(call(F, VGPU_IOCTL_RESOURCE_DESTROY, &rd, sizeof(rd)), VGPU_E_INVALID);
	rm = (struct vgpu_resource_map){ .handle = handle, .flags = 1 };
	REJECTS(call(F, VGPU_IOCTL_RESOURCE_MAP, &rm, sizeof(rm)), VGPU_E_INVALID);
	REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), &dword, 4, NULL), VGPU_E_INVALID);
	down();
}

static void test_get_info_major_mismatch(void)
{
	struct vgpu_get_info info = { .abi_major = VGPU_ABI_VERSION_MAJOR + 1 };

	if (!up(false))
		return;
	REJECTS(call(F, VGPU_IOCTL_GET_INFO, &info, sizeof(info)), VGPU_E_VERSION);
	/* the out fields are still filled so that the caller can report */
	CHECK_EQ(info.abi_major, VGPU_ABI_VERSION_MAJOR);
	CHECK_EQ(info.personality, VGPU_PERSONALITY_STANDARD);
	CHECK_EQ(info.capset_mask, (1u << VGPU_CAPSET_VIRGL) | (1u << VGPU_CAPSET_VIRGL2));
	info = (struct vgpu_get_info){ .abi_major = 0 };
	REJECTS(call(F, VGPU_IOCTL_GET_INFO, &info, sizeof(info)), VGPU_E_VERSION);
	down();
}

static void test_get_capset_unknown_capset(void)
{
	struct vgpu_get_capset g = { .capset_id = 3 };
	uint8_t payload[2048];
	uint32_t written = 99;

	if (!up(false))
		return;
	REJECTS(call_payload(F, VGPU_IOCTL_GET_CAPSET, &g, sizeof(g), payload, sizeof(payload),
			     &written),
		VGPU_E_UNSUPPORTED);
	CHECK_EQ(written, 0);
	g = (struct vgpu_get_capset){ .capset_id = 0 };
	REJECTS(call_payload(F, VGPU_IOCTL_GET_CAPSET, &g, sizeof(g), payload, sizeof(payload),
			     NULL),
		VGPU_E_UNSUPPORTED);
	/* a version beyond the highest the device offers */
	g = (struct vgpu_get_capset){ .capset_id = VGPU_CAPSET_VIRGL,
				      .version = FAKE_GPU_CAPSET1_VERSION + 1 };
	REJECTS(call_payload(F, VGPU_IOCTL_GET_CAPSET, &g, sizeof(g), payload, sizeof(payload),
			     NULL),
		VGPU_E_UNSUPPORTED);
	down();
}

static void test_get_capset_payload_too_small(void)
{
	struct vgpu_get_capset g = { .capset_id = VGPU_CAPSET_VIRGL2 };
	uint8_t payload[FAKE_GPU_CAPSET2_SIZE];
	uint32_t written = 99;
	bool untouched = true;

	if (!up(false))
		return;
	memset(payload, 0xAA, sizeof(payload));
	REJECTS(call_payload(F, VGPU_IOCTL_GET_CAPSET, &g, sizeof(g), payload,
			     FAKE_GPU_CAPSET2_SIZE - 1, &written),
		VGPU_E_BAD_SIZE);
	CHECK_EQ(written, 0);
	for (size_t i = 0; i < sizeof(payload); i++)
		untouched &= payload[i] == 0xAA;
	CHECK(untouched);
	REJECTS(call_payload(F, VGPU_IOCTL_GET_CAPSET, &g, sizeof(g), NULL, 0, &written),
		VGPU_E_BAD_SIZE);
	down();
}

static void test_context_create_twice(void)
{
	if (!up(true))
		return;
	REJECTS(make_context(F), VGPU_E_STATE);
	down();
}

static void test_context_create_unknown_capset(void)
{
	struct vgpu_context_create c = { .capset_id = 4 };

	if (!up(false))
		return;
	REJECTS(call(F, VGPU_IOCTL_CONTEXT_CREATE, &c, sizeof(c)), VGPU_E_UNSUPPORTED);
	c.capset_id = 0;
	REJECTS(call(F, VGPU_IOCTL_CONTEXT_CREATE, &c, sizeof(c)), VGPU_E_UNSUPPORTED);
	c.capset_id = 0xFFFFFFFFu;
	REJECTS(call(F, VGPU_IOCTL_CONTEXT_CREATE, &c, sizeof(c)), VGPU_E_UNSUPPORTED);
	/* nothing was created: a valid call still works */
	CHECK_EQ(make_context(F), VGPU_OK);
	down();
}

static void test_context_create_bad_flags(void)
{
	struct vgpu_context_create c = { .capset_id = VGPU_CAPSET_VIRGL2 };

	if (!up(false))
		return;
	for (uint32_t bit = 0; bit < 32; bit += 7) {
		c.flags = 1u << bit;
		REJECTS(call(F, VGPU_IOCTL_CONTEXT_CREATE, &c, sizeof(c)), VGPU_E_INVALID);
	}
	down();
}

static void test_context_create_unterminated_name(void)
{
	struct vgpu_context_create c = { .capset_id = VGPU_CAPSET_VIRGL2 };

	if (!up(false))
		return;
	memset(c.debug_name, 'x', sizeof(c.debug_name));
	REJECTS(call(F, VGPU_IOCTL_CONTEXT_CREATE, &c, sizeof(c)), VGPU_E_INVALID);
	/* 63 characters and a NUL is the longest name */
	c.debug_name[VGPU_MAX_DEBUG_NAME - 1] = 0;
	CHECK_EQ(call(F, VGPU_IOCTL_CONTEXT_CREATE, &c, sizeof(c)), VGPU_OK);
	down();
}

static void test_handle_never_issued(void)
{
	if (!up(true))
		return;
	CHECK(make_buffer(F, 4096, NULL) != 0);
	check_handle_refused(F, 0x12345u, 1000);
	check_handle_refused(F, 0xFFFFFFFFu, 1000);
	check_handle_refused(F, 2, 1000); /* the slot after the only live handle */
	down();
}

static void test_handle_destroyed(void)
{
	struct vgpu_resource_destroy rd;
	uint32_t handle, again;

	if (!up(true))
		return;
	handle = make_buffer(F, 4096, NULL);
	CHECK(handle != 0);
	rd = (struct vgpu_resource_destroy){ .handle = handle };
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_DESTROY, &rd, sizeof(rd)), VGPU_OK);
	check_handle_refused(F, handle, 1000);
	/* the slot is reused by a new resource: the old handle still names nothing */
	again = make_buffer(F, 4096, NULL);
	CHECK(again != 0);
	CHECK(again != handle);
	check_handle_refused(F, handle, 1000);
	down();
}

static void test_handle_zero(void)
{
	if (!up(true))
		return;
	CHECK(make_buffer(F, 4096, NULL) != 0);
	check_handle_refused(F, 0, 1000);
	down();
}

static void test_unmap_unmapped(void)
{
	struct vgpu_resource_map rm;
	uint32_t handle;

	if (!up(true))
		return;
	handle = make_buffer(F, 4096, NULL);
	rm = (struct vgpu_resource_map){ .handle = handle };
	REJECTS(call(F, VGPU_IOCTL_RESOURCE_UNMAP, &rm, sizeof(rm)), VGPU_E_STATE);
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_MAP, &rm, sizeof(rm)), VGPU_OK);
	rm = (struct vgpu_resource_map){ .handle = handle };
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_UNMAP, &rm, sizeof(rm)), VGPU_OK);
	rm = (struct vgpu_resource_map){ .handle = handle };
	REJECTS(call(F, VGPU_IOCTL_RESOURCE_UNMAP, &rm, sizeof(rm)), VGPU_E_STATE);
	down();
}

static void test_submit_size_not_multiple_of_4(void)
{
	struct vgpu_submit s = { .size = 6, .signal = 1 };
	uint8_t payload[8] = { 0 };

	if (!up(true))
		return;
	REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, 6, NULL),
		VGPU_E_INVALID);
	s.size = 1;
	REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, 1, NULL),
		VGPU_E_INVALID);
	down();
}

static void test_submit_too_large(void)
{
	static uint8_t payload[VGPU_MAX_SUBMIT_BYTES + 4];
	struct vgpu_submit s = { .size = VGPU_MAX_SUBMIT_BYTES + 4, .signal = 1 };
	uint32_t psize = VGPU_MAX_SUBMIT_BYTES + 4;

	if (!up(true))
		return;
	REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, psize, NULL),
		VGPU_E_INVALID);
	/* exactly the limit is accepted */
	s.size = VGPU_MAX_SUBMIT_BYTES;
	CHECK_EQ(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, s.size, NULL), VGPU_OK);
	down();
}

static void test_submit_too_many_handles(void)
{
	static uint32_t payload[VGPU_MAX_SUBMIT_HANDLES + 2];
	uint32_t n = VGPU_MAX_SUBMIT_HANDLES + 1;
	struct vgpu_submit s = { .size = 4, .num_handles = n, .signal = 1 };
	uint32_t handle;

	if (!up(true))
		return;
	handle = make_buffer(F, 4096, NULL);
	for (uint32_t i = 0; i < n; i++)
		payload[i] = handle;
	REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, (n + 1) * 4, NULL),
		VGPU_E_INVALID);
	s.num_handles = 0xFFFFFFFFu;
	REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, (n + 1) * 4, NULL),
		VGPU_E_INVALID);
	/* the limit itself is accepted (one handle many times) */
	s.num_handles = n - 1;
	CHECK_EQ(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, n * 4, NULL), VGPU_OK);
	down();
}

static void test_submit_payload_size_mismatch(void)
{
	struct vgpu_submit s = { .size = 8, .num_handles = 1, .signal = 1 };
	uint32_t payload[8] = { 0 };

	if (!up(true))
		return;
	payload[0] = make_buffer(F, 4096, NULL);
	REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, 8, NULL),
		VGPU_E_BAD_SIZE);
	REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, 16, NULL),
		VGPU_E_BAD_SIZE);
	REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), NULL, 0, NULL), VGPU_E_BAD_SIZE);
	/* 4 * num_handles overflowing 32 bits must not wrap into a match */
	s = (struct vgpu_submit){ .size = 8, .num_handles = 0x40000000u, .signal = 1 };
	REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, 8, NULL),
		VGPU_E_INVALID);
	s = (struct vgpu_submit){ .size = 8, .num_handles = 1, .signal = 1 };
	CHECK_EQ(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, 12, NULL), VGPU_OK);
	down();
}

static void test_submit_foreign_handle(void)
{
	struct vgpu_file *other;
	uint32_t mine, theirs, list[2];

	if (!up(true))
		return;
	other = harness_open(&H, &F);
	CHECK(other != NULL);
	CHECK_EQ(make_context(other), VGPU_OK);
	theirs = make_buffer(other, 4096, NULL);
	mine = make_buffer(F, 4096, NULL);
	list[0] = mine;
	list[1] = theirs;
	/* handles are per file: "theirs" may equal a handle F never issued, or one it did */
	if (theirs != mine)
		REJECTS(submit(F, list, 2, 2, 1), VGPU_E_BAD_HANDLE);
	list[1] = 0x7777u;
	REJECTS(submit(F, list, 2, 2, 1), VGPU_E_BAD_HANDLE);
	vgpu_file_close(other);
	down();
}

static int wait_resource_now(uint32_t handle)
{
	struct vgpu_wait w = { .kind = VGPU_WAIT_RESOURCE, .handle = handle };

	return call(F, VGPU_IOCTL_WAIT, &w, sizeof(w));
}

/*
 * Each handle is read once and names its resource once, however often it
 * is listed; a refused submit leaves every resource's last use as it was.
 */
static void test_submit_names_resources_once(void)
{
	uint32_t a, b, list[3];

	if (!up(true))
		return;
	a = make_buffer(F, 4096, NULL);
	b = make_buffer(F, 4096, NULL);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_SUBMIT_3D, FAKE_GPU_DEFER, 0, -1);
	list[0] = a;
	list[1] = a;
	list[2] = b;
	CHECK_EQ(submit(F, list, 3, 2, 1), VGPU_OK);
	CHECK_EQ(wait_resource_now(a), VGPU_E_BUSY);
	CHECK_EQ(wait_resource_now(b), VGPU_E_BUSY);
	CHECK_EQ(fake_gpu_complete_pending(&H.gpu, FAKE_GPU_ARRIVAL), 1);
	CHECK_EQ(wait_resource_now(a), VGPU_OK);
	/* refused after naming a: a's last use must not become 2, which never runs */
	list[1] = 0x7777u;
	REJECTS(submit(F, list, 2, 2, 2), VGPU_E_BAD_HANDLE);
	CHECK_EQ(wait_resource_now(a), VGPU_OK);
	/* and a can be named again */
	CHECK_EQ(submit(F, list, 1, 2, 3), VGPU_OK);
	CHECK_EQ(wait_resource_now(a), VGPU_E_BUSY);
	CHECK_EQ(wait_resource_now(b), VGPU_OK);
	CHECK_EQ(fake_gpu_complete_pending(&H.gpu, FAKE_GPU_ARRIVAL), 1);
	CHECK_EQ(wait_resource_now(a), VGPU_OK);
	down();
}

static void test_submit_signal_not_increasing(void)
{
	if (!up(true))
		return;
	REJECTS(submit(F, NULL, 0, 2, 0), VGPU_E_INVALID);
	CHECK_EQ(submit(F, NULL, 0, 2, 3), VGPU_OK);
	REJECTS(submit(F, NULL, 0, 2, 3), VGPU_E_INVALID);
	REJECTS(submit(F, NULL, 0, 2, 2), VGPU_E_INVALID);
	down();
}

static void test_submit_nonzero_flags(void)
{
	struct vgpu_submit s = { .size = 4, .signal = 1 };
	uint32_t dword = 0;

	if (!up(true))
		return;
	for (uint32_t bit = 0; bit < 32; bit += 3) {
		s.flags = 1u << bit;
		REJECTS(call_payload(F, VGPU_IOCTL_SUBMIT, &s, sizeof(s), &dword, 4, NULL),
			VGPU_E_INVALID);
	}
	down();
}

static void test_submit_before_context(void)
{
	if (!up(false))
		return;
	REJECTS(submit(F, NULL, 0, 2, 1), VGPU_E_STATE);
	down();
}

static void test_wait_unknown_kind(void)
{
	struct vgpu_wait w = { .kind = 0, .value = 0 };

	if (!up(true))
		return;
	REJECTS(call(F, VGPU_IOCTL_WAIT, &w, sizeof(w)), VGPU_E_INVALID);
	w.kind = 3;
	REJECTS(call(F, VGPU_IOCTL_WAIT, &w, sizeof(w)), VGPU_E_INVALID);
	w.kind = 0xFFFFFFFFu;
	REJECTS(call(F, VGPU_IOCTL_WAIT, &w, sizeof(w)), VGPU_E_INVALID);
	down();
}

static void test_wait_value_never_submitted(void)
{
	if (!up(true))
		return;
	REJECTS(wait_fence(F, 1, 0, NULL), VGPU_E_INVALID);
	CHECK_EQ(submit(F, NULL, 0, 2, 5), VGPU_OK);
	REJECTS(wait_fence(F, 6, 1000000, NULL), VGPU_E_INVALID);
	REJECTS(wait_fence(F, UINT64_MAX, 0, NULL), VGPU_E_INVALID);
	/* values up to the last submitted one are fine, gaps included */
	CHECK_EQ(wait_fence(F, 3, 1000000000ull, NULL), VGPU_OK);
	down();
}

static void test_wait_no_timeout_on_pending_work(void)
{
	uint64_t completed = 99;

	if (!up(true))
		return;
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_SUBMIT_3D, FAKE_GPU_DEFER, 0, -1);
	CHECK_EQ(submit(F, NULL, 0, 2, 1), VGPU_OK);
	CHECK_EQ(wait_fence(F, 1, 0, &completed), VGPU_E_BUSY);
	CHECK_EQ(completed, 0);
	CHECK_EQ(fake_gpu_complete_pending(&H.gpu, FAKE_GPU_ARRIVAL), 1);
	CHECK_EQ(wait_fence(F, 1, 0, &completed), VGPU_OK);
	CHECK_EQ(completed, 1);
	down();
}

static void test_wait_timeout_elapses(void)
{
	struct vgpu_wait w;
	uint64_t start, took;
	uint32_t handle;

	if (!up(true))
		return;
	handle = make_buffer(F, 4096, NULL);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_SUBMIT_3D, FAKE_GPU_DEFER, 0, -1);
	CHECK_EQ(submit(F, &handle, 1, 2, 1), VGPU_OK);
	start = now_ns();
	CHECK_EQ(wait_fence(F, 1, 50000000ull, NULL), VGPU_E_TIMEOUT);
	took = now_ns() - start;
	CHECK(took >= 50000000ull);
	CHECK(took < 1000000000ull);
	w = (struct vgpu_wait){ .kind = VGPU_WAIT_RESOURCE,
				.handle = handle,
				.timeout_ns = 20000000ull };
	start = now_ns();
	CHECK_EQ(call(F, VGPU_IOCTL_WAIT, &w, sizeof(w)), VGPU_E_TIMEOUT);
	CHECK(now_ns() - start < 1000000000ull);
	fake_gpu_complete_pending(&H.gpu, FAKE_GPU_ARRIVAL);
	down();
}

/*
 * A device that looks at its fences only when notified (QEMU's
 * virtio-gpu-gl, which otherwise polls every 10 ms; the fake never does):
 * a WAIT notifies it while it waits, else it would wait out its timeout.
 */
static void test_wait_nudges_a_polling_device(void)
{
	struct vgpu_wait w;
	uint64_t completed = 0, notifies;
	uint32_t handle;

	if (!up(true))
		return;
	handle = make_buffer(F, 4096, NULL);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_SUBMIT_3D, FAKE_GPU_POLLED, 0, -1);
	CHECK_EQ(submit(F, &handle, 1, 2, 1), VGPU_OK);
	CHECK_EQ(wait_fence(F, 1, 0, &completed), VGPU_E_BUSY);
	CHECK_EQ(wait_fence(F, 1, HARNESS_COMMAND_TIMEOUT_NS, &completed), VGPU_OK);
	CHECK_EQ(completed, 1);
	CHECK_EQ(submit(F, &handle, 1, 2, 2), VGPU_OK);
	w = (struct vgpu_wait){ .kind = VGPU_WAIT_RESOURCE,
				.handle = handle,
				.timeout_ns = HARNESS_COMMAND_TIMEOUT_NS };
	CHECK_EQ(call(F, VGPU_IOCTL_WAIT, &w, sizeof(w)), VGPU_OK);
	/* nothing fenced in flight: a wait that is met at once sends nothing */
	notifies = fake_gpu_stats(&H.gpu).notifies;
	CHECK_EQ(wait_fence(F, 2, HARNESS_COMMAND_TIMEOUT_NS, &completed), VGPU_OK);
	CHECK_EQ(fake_gpu_stats(&H.gpu).notifies, notifies);
	down();
}

int main(void)
{
	RUN(test_unknown_control_code);
	RUN(test_wrong_method_bits);
	RUN(test_fixed_struct_too_small);
	RUN(test_fixed_struct_too_large);
	RUN(test_out_buffer_size_mismatch);
	RUN(test_nonzero_pad_fields);
	RUN(test_get_info_major_mismatch);
	RUN(test_get_capset_unknown_capset);
	RUN(test_get_capset_payload_too_small);
	RUN(test_context_create_twice);
	RUN(test_context_create_unknown_capset);
	RUN(test_context_create_bad_flags);
	RUN(test_context_create_unterminated_name);
	RUN(test_handle_never_issued);
	RUN(test_handle_destroyed);
	RUN(test_handle_zero);
	RUN(test_unmap_unmapped);
	RUN(test_submit_size_not_multiple_of_4);
	RUN(test_submit_too_large);
	RUN(test_submit_too_many_handles);
	RUN(test_submit_payload_size_mismatch);
	RUN(test_submit_foreign_handle);
	RUN(test_submit_names_resources_once);
	RUN(test_submit_signal_not_increasing);
	RUN(test_submit_nonzero_flags);
	RUN(test_submit_before_context);
	RUN(test_wait_unknown_kind);
	RUN(test_wait_value_never_submitted);
	RUN(test_wait_no_timeout_on_pending_work);
	RUN(test_wait_timeout_elapses);
	RUN(test_wait_nudges_a_polling_device);
	return tap_done();
}
