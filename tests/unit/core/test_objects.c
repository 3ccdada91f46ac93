/* SPDX-License-Identifier: MIT */
/*
 * The core's objects through the ABI: what succeeds does what it says on
 * the device, handles belong to the file that made them, and closing a file
 * leaves nothing behind, neither on the device nor in the OS.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "session.h"

static void test_get_info(void)
{
	struct vgpu_get_info info = { .abi_major = VGPU_ABI_VERSION_MAJOR, .abi_minor = 77 };
	uint64_t before;

	if (!up(false))
		return;
	before = fake_gpu_total_commands(&H.gpu);
	CHECK_EQ(call(F, VGPU_IOCTL_GET_INFO, &info, sizeof(info)), VGPU_OK);
	CHECK_EQ(fake_gpu_total_commands(&H.gpu), before);
	CHECK_EQ(info.abi_major, VGPU_ABI_VERSION_MAJOR);
	CHECK_EQ(info.abi_minor, VGPU_ABI_VERSION_MINOR);
	CHECK_EQ(info.personality, VGPU_PERSONALITY_STANDARD);
	CHECK_EQ(info.capset_mask, (1u << VGPU_CAPSET_VIRGL) | (1u << VGPU_CAPSET_VIRGL2));
	CHECK(info.features & VGPU_FEATURE_VIRGL);
	CHECK(info.features & VGPU_FEATURE_INDIRECT_DESC);
	CHECK(info.features & VGPU_FEATURE_EVENT_IDX);
	CHECK(!(info.features & VGPU_FEATURE_RESOURCE_BLOB));
	CHECK_EQ(info.host_visible_size, 0);
	CHECK_EQ(info.max_submit_bytes, VGPU_MAX_SUBMIT_BYTES);
	CHECK_EQ(info.max_submit_handles, VGPU_MAX_SUBMIT_HANDLES);
	CHECK_EQ(info.pad, 0);
	down();
}

/* Features the device does not offer are not reported (nor negotiated). */
static void test_get_info_minimal_device(void)
{
	struct fake_gpu_config cfg = fake_gpu_default_config();
	struct vgpu_get_info info = { .abi_major = VGPU_ABI_VERSION_MAJOR };

	cfg.features &=
		~((1ull << VGPU_VIRTIO_F_INDIRECT_DESC) | (1ull << VGPU_VIRTIO_F_EVENT_IDX));
	cfg.queue_size = 8;
	CHECK_EQ(harness_up(&H, &cfg), VGPU_OK);
	F = H.dev ? harness_open(&H, &H) : NULL;
	if (F) {
		CHECK_EQ(call(F, VGPU_IOCTL_GET_INFO, &info, sizeof(info)), VGPU_OK);
		CHECK(!(info.features & (VGPU_FEATURE_INDIRECT_DESC | VGPU_FEATURE_EVENT_IDX)));
		/* direct chains on a small ring still carry a 64 KiB+ submit */
		CHECK_EQ(make_context(F), VGPU_OK);
		CHECK(make_buffer(F, 1 << 20, NULL) != 0);
	}
	down();
}

/* A device without VIRGL cannot serve us. */
static void test_device_without_virgl(void)
{
	struct fake_gpu_config cfg = fake_gpu_default_config();

	cfg.features &= ~(1ull << VIRTIO_GPU_FEAT_VIRGL);
	CHECK_EQ(harness_up(&H, &cfg), VGPU_E_UNSUPPORTED);
	CHECK(H.dev == NULL);
	CHECK(harness_down(&H));
}

static void read_capset(uint32_t id, uint32_t size)
{
	struct vgpu_get_capset g = { .capset_id = id };
	uint8_t payload[4096];
	uint32_t written = 0;
	bool same = true;

	memset(payload, 0xEE, sizeof(payload));
	CHECK_EQ(call_payload(F, VGPU_IOCTL_GET_CAPSET, &g, sizeof(g), payload, sizeof(payload),
			      &written),
		 VGPU_OK);
	CHECK_EQ(written, size);
	for (uint32_t i = 0; i < size; i++)
		same &= payload[i] == fake_gpu_capset_byte(id, i);
	CHECK(same);
	CHECK_EQ(payload[size], 0xEE);
}

static void test_capsets_read(void)
{
	struct fake_gpu_record rec;

	if (!up(false))
		return;
	read_capset(VGPU_CAPSET_VIRGL, FAKE_GPU_CAPSET1_SIZE);
	CHECK(fake_gpu_last(&H.gpu, WIRE_CMD_GET_CAPSET, &rec));
	CHECK_EQ(rec.resource_id, VGPU_CAPSET_VIRGL);
	read_capset(VGPU_CAPSET_VIRGL2, FAKE_GPU_CAPSET2_SIZE);
	CHECK(fake_gpu_last(&H.gpu, WIRE_CMD_GET_CAPSET, &rec));
	CHECK_EQ(rec.resource_id, VGPU_CAPSET_VIRGL2);
	/* again, and with the version named explicitly */
	read_capset(VGPU_CAPSET_VIRGL2, FAKE_GPU_CAPSET2_SIZE);
	down();
}

static void test_context_create(void)
{
	struct vgpu_context_create c = { .capset_id = VGPU_CAPSET_VIRGL };
	struct fake_gpu_record rec;

	if (!up(false))
		return;
	strcpy(c.debug_name, "app.exe");
	CHECK_EQ(call(F, VGPU_IOCTL_CONTEXT_CREATE, &c, sizeof(c)), VGPU_OK);
	CHECK(c.ctx_id != 0);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_CTX_CREATE), 1);
	CHECK(fake_gpu_last(&H.gpu, WIRE_CMD_CTX_CREATE, &rec));
	CHECK_EQ(rec.ctx_id, c.ctx_id);
	CHECK_EQ(fake_gpu_live_contexts(&H.gpu), 1);
	down();
}

static void test_buffer_create_map_transfer(void)
{
	struct vgpu_resource_map m;
	const struct fake_gpu_res *res;
	struct fake_gpu_record rec;
	uint32_t handle, res_id = 0;
	uint8_t *va;
	bool same = true;

	if (!up(true))
		return;
	handle = make_buffer(F, 8192, &res_id);
	CHECK(handle != 0);
	CHECK(fake_gpu_last(&H.gpu, WIRE_CMD_RESOURCE_CREATE_3D, &rec));
	CHECK_EQ(rec.resource_id, res_id);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_ATTACH_BACKING), 1);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_CTX_ATTACH_RESOURCE), 1);
	res = fake_gpu_resource(&H.gpu, res_id);
	CHECK(res != NULL);
	if (!res) {
		down();
		return;
	}
	CHECK(res->nr_entries > 1); /* the fake OS scatters backing */
	CHECK(res->backing_len >= 8192);

	m = (struct vgpu_resource_map){ .handle = handle };
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_MAP, &m, sizeof(m)), VGPU_OK);
	CHECK(m.address != 0);
	CHECK(m.size >= 8192);
	va = (uint8_t *)(uintptr_t)m.address;
	for (uint32_t i = 0; i < 8192; i++)
		va[i] = (uint8_t)(i * 7 + 3);
	CHECK_EQ(transfer_buffer(F, VGPU_IOCTL_TRANSFER_TO_HOST, handle, 0, 8192, 1), VGPU_OK);
	CHECK_EQ(wait_fence(F, 1, 1000000000ull, NULL), VGPU_OK);
	for (uint32_t i = 0; i < 8192; i++)
		same &= res->host[i] == (uint8_t)(i * 7 + 3);
	CHECK(same);

	/* host bytes back into the mapping, over a sub-range */
	for (uint32_t i = 0; i < 8192; i++)
		((struct fake_gpu_res *)res)->host[i] = (uint8_t)(255 - i);
	CHECK_EQ(transfer_buffer(F, VGPU_IOCTL_TRANSFER_FROM_HOST, handle, 4000, 100, 2), VGPU_OK);
	CHECK_EQ(wait_fence(F, 2, 1000000000ull, NULL), VGPU_OK);
	same = true;
	for (uint32_t i = 4000; i < 4100; i++)
		same &= va[i] == (uint8_t)(255 - i);
	CHECK(same);
	CHECK_EQ(va[3999], (uint8_t)(3999 * 7 + 3));
	CHECK_EQ(va[4100], (uint8_t)(4100 * 7 + 3));

	/* map twice: the same address */
	m = (struct vgpu_resource_map){ .handle = handle };
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_MAP, &m, sizeof(m)), VGPU_OK);
	CHECK_EQ(m.address, (uint64_t)(uintptr_t)va);
	CHECK_EQ(H.os.live_maps, 1);
	down();
}

static void test_submit_and_wait(void)
{
	struct fake_gpu_record rec;
	struct vgpu_wait w;
	uint32_t handle;
	bool same = true;

	if (!up(true))
		return;
	handle = make_buffer(F, 4096, NULL);
	CHECK_EQ(submit(F, &handle, 1, 16, 10), VGPU_OK);
	CHECK(fake_gpu_last(&H.gpu, WIRE_CMD_SUBMIT_3D, &rec));
	CHECK(rec.flags & WIRE_FLAG_FENCE);
	CHECK_EQ(rec.data_len, 64);
	for (uint32_t i = 0; rec.data && i < 16; i++) {
		uint32_t v;

		memcpy(&v, rec.data + i * 4, 4);
		same &= v == 0xc0de0000u + i;
	}
	CHECK(rec.data != NULL);
	CHECK(same);
	CHECK_EQ(wait_fence(F, 10, 1000000000ull, NULL), VGPU_OK);
	w = (struct vgpu_wait){ .kind = VGPU_WAIT_RESOURCE, .handle = handle, .timeout_ns = 0 };
	CHECK_EQ(call(F, VGPU_IOCTL_WAIT, &w, sizeof(w)), VGPU_OK);
	CHECK_EQ(w.completed, 10);
	down();
}

/* Fenced work completes in order even when the device finishes late, all at once. */
static void test_many_fences_in_flight(void)
{
	uint64_t completed = 0;

	if (!up(true))
		return;
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_SUBMIT_3D, FAKE_GPU_DEFER, 0, -1);
	for (uint64_t v = 1; v <= 40; v++)
		CHECK_EQ(submit(F, NULL, 0, 2, v * 2), VGPU_OK);
	CHECK_EQ(fake_gpu_pending_count(&H.gpu), 40);
	CHECK_EQ(wait_fence(F, 2, 0, &completed), VGPU_E_BUSY);
	CHECK_EQ(fake_gpu_complete_pending(&H.gpu, FAKE_GPU_REVERSED), 40);
	CHECK_EQ(wait_fence(F, 80, 1000000000ull, &completed), VGPU_OK);
	CHECK_EQ(completed, 80);
	down();
}

/* The other file cannot name, map, transfer, wait on or destroy our resource. */
static void test_second_file_cannot_use_handles(void)
{
	struct vgpu_file *other;
	struct vgpu_resource_map rm;
	uint32_t handle;

	if (!up(true))
		return;
	handle = make_buffer(F, 4096, NULL);
	other = harness_open(&H, &other);
	CHECK(other != NULL);
	if (!other) {
		down();
		return;
	}
	CHECK_EQ(make_context(other), VGPU_OK);
	check_handle_refused(other, handle, 1);
	CHECK_EQ(H.os.live_maps, 0);
	/* and ours is untouched */
	rm = (struct vgpu_resource_map){ .handle = handle };
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_MAP, &rm, sizeof(rm)), VGPU_OK);
	/* nor can the other file wait on our timeline */
	CHECK_EQ(submit(F, &handle, 1, 2, 7), VGPU_OK);
	CHECK_EQ(wait_fence(other, 7, 0, NULL), VGPU_E_INVALID);
	vgpu_file_close(other);
	down();
}

/* How many handles in `seen[0..n)` equal `seen[n]`. */
static uint32_t times_seen(const uint32_t *seen, uint32_t n)
{
	uint32_t count = 0;

	for (uint32_t i = 0; i < n; i++)
		count += seen[i] == seen[n];
	return count;
}

/*
 * One slot created and destroyed more often than a handle has generations
 * (4095): no handle value is ever issued twice, and a stale copy of the
 * first names nothing once the slot has moved on.
 */
static void test_handles_never_come_back(void)
{
	enum {
		CYCLES = 4095 + 2
	};
	static uint32_t seen[CYCLES];
	uint32_t repeats = 0, live;

	if (!up(true))
		return;
	for (uint32_t i = 0; i < CYCLES; i++) {
		seen[i] = make_buffer(F, 4096, NULL);
		CHECK(seen[i] != 0);
		repeats += times_seen(seen, i);
		CHECK_EQ(destroy_handle(F, seen[i]), VGPU_OK);
	}
	CHECK_EQ(repeats, 0);
	/* the first slot's 4095th handle was its last: the next came from another slot */
	CHECK_EQ(seen[4094] & 0xFFFFFu, seen[0] & 0xFFFFFu);
	CHECK(seen[4095] != 0 && (seen[4095] & 0xFFFFFu) != (seen[0] & 0xFFFFFu));
	live = make_buffer(F, 4096, NULL);
	CHECK(live != 0);
	check_handle_refused(F, seen[0], 1);
	check_handle_refused(F, seen[4094], 10);
	CHECK_EQ(destroy_handle(F, live), VGPU_OK);
	down();
}

/* One file's life with resources, mappings, and fenced work still in flight at close. */
static void file_life(struct harness *h, bool complete_late)
{
	struct vgpu_file *f = harness_open(h, h);
	struct vgpu_resource_map m;
	uint32_t a, b;

	if (!f)
		return;
	CHECK_EQ(make_context(f), VGPU_OK);
	a = make_buffer(f, 65536, NULL);
	b = make_texture(f, 128, 64, 4);
	CHECK(a && b);
	m = (struct vgpu_resource_map){ .handle = a };
	CHECK_EQ(call(f, VGPU_IOCTL_RESOURCE_MAP, &m, sizeof(m)), VGPU_OK);
	fake_gpu_add_rule(&h->gpu, WIRE_CMD_SUBMIT_3D, FAKE_GPU_DEFER, 0, 2);
	CHECK_EQ(submit(f, &a, 1, 8, 1), VGPU_OK);
	CHECK_EQ(transfer_buffer(f, VGPU_IOCTL_TRANSFER_TO_HOST, a, 0, 1024, 2), VGPU_OK);
	CHECK_EQ(submit(f, &b, 1, 8, 3), VGPU_OK);
	CHECK_EQ(fake_gpu_pending_count(&h->gpu), 3);
	CHECK_EQ(fake_gpu_live_resources(&h->gpu), 2);
	if (!complete_late)
		fake_gpu_complete_pending(&h->gpu, FAKE_GPU_ARRIVAL);
	vgpu_file_close(f);
}

static void *complete_after_20ms(void *arg)
{
	struct timespec ts = { .tv_nsec = 20000000 };

	nanosleep(&ts, NULL);
	fake_gpu_complete_pending(arg, FAKE_GPU_ARRIVAL);
	return NULL;
}

static void check_close_releases_everything(bool complete_late)
{
	int64_t baseline;
	pthread_t t;

	CHECK_EQ(harness_up(&H, NULL), VGPU_OK);
	if (!H.dev) {
		CHECK(harness_down(&H));
		return;
	}
	/* A first life grows the core's request pools to their working size. */
	file_life(&H, false);
	baseline = fake_os_live(&H.os);
	if (complete_late)
		CHECK_EQ(pthread_create(&t, NULL, complete_after_20ms, &H.gpu), 0);
	file_life(&H, complete_late);
	if (complete_late)
		pthread_join(t, NULL);
	CHECK_EQ(fake_gpu_live_contexts(&H.gpu), 0);
	CHECK_EQ(fake_gpu_live_resources(&H.gpu), 0);
	CHECK_EQ(fake_gpu_pending_count(&H.gpu), 0);
	CHECK_EQ(H.os.live_maps, 0);
	CHECK_EQ(H.os.live_backings, 0);
	CHECK_EQ(fake_os_live(&H.os), baseline);
	CHECK(harness_down(&H));
}

static void test_close_releases_everything(void)
{
	check_close_releases_everything(false);
}

/* Close waits for the fenced work the device finishes while it waits. */
static void test_close_with_pending_fence_releases_everything(void)
{
	check_close_releases_everything(true);
}

/* A device that answers inside queue_notify and interrupts on the notifying thread. */
static void test_inline_interrupts(void)
{
	uint32_t handle;

	if (!up(true))
		return;
	fake_gpu_set_irq_inline(&H.gpu, true);
	handle = make_buffer(F, 4096, NULL);
	CHECK(handle != 0);
	CHECK_EQ(submit(F, &handle, 1, 4, 1), VGPU_OK);
	/* done before SUBMIT returned: no waiting needed */
	CHECK_EQ(wait_fence(F, 1, 0, NULL), VGPU_OK);
	down();
}

/* Device-wide counts through GET_STATS follow files, contexts and resources. */
static void test_stats(void)
{
	struct vgpu_get_stats st;
	uint32_t handle;

	if (!up(true))
		return;
	handle = make_buffer(F, 4096, NULL);
	CHECK(handle != 0);
	memset(&st, 0, sizeof(st));
	CHECK_EQ(call(F, VGPU_IOCTL_GET_STATS, &st, sizeof(st)), VGPU_OK);
	CHECK_EQ(st.open_files, 1);
	CHECK_EQ(st.contexts, 1);
	CHECK_EQ(st.resources, 1);
	CHECK_EQ(st.backing_bytes, 4096);
	CHECK_EQ(st.requests_in_flight, 0);
	CHECK_EQ(st.device_errors, 0);
	down();
}

/*
 * Destroying a resource the device is still working with does not wait for
 * that work (a device answers in order: its UNREF comes after it); the
 * work's fence still signals afterwards.
 */
static void test_destroy_does_not_wait_for_work(void)
{
	uint32_t handle;
	uint64_t start;

	if (!up(true))
		return;
	handle = make_buffer(F, 4096, NULL);
	fake_gpu_add_rule(&H.gpu, WIRE_CMD_SUBMIT_3D, FAKE_GPU_DEFER, 0, -1);
	CHECK_EQ(submit(F, &handle, 1, 2, 1), VGPU_OK);
	start = now_ns();
	CHECK_EQ(destroy_handle(F, handle), VGPU_OK);
	CHECK(now_ns() - start < HARNESS_COMMAND_TIMEOUT_NS / 2);
	CHECK_EQ(fake_gpu_count(&H.gpu, WIRE_CMD_RESOURCE_UNREF), 1);
	CHECK_EQ(fake_gpu_live_resources(&H.gpu), 0);
	CHECK_EQ(wait_fence(F, 1, 0, NULL), VGPU_E_BUSY);
	CHECK_EQ(fake_gpu_complete_pending(&H.gpu, FAKE_GPU_ARRIVAL), 1);
	CHECK_EQ(wait_fence(F, 1, 0, NULL), VGPU_OK);
	down();
}

static struct vgpu_get_limits limits_of(struct vgpu_file *f)
{
	struct vgpu_get_limits l;

	memset(&l, 0xff, sizeof(l));
	CHECK_EQ(call(f, VGPU_IOCTL_GET_LIMITS, &l, sizeof(l)), VGPU_OK);
	return l;
}

/*
 * Pinned memory has a limit per owner (the shell's process) and one for the
 * device: a create past either fails with NO_MEMORY and leaves nothing
 * behind; what is destroyed may be created again.
 */
static void test_pinned_memory_limits(void)
{
	struct vgpu_resource_create c = buffer_desc(4096);
	struct vgpu_file *same, *other;
	struct vgpu_get_limits l;
	uint32_t a, b;

	if (!up(true))
		return;
	vgpu_device_set_pin_limits(H.dev, 5 * 4096, 3 * 4096);
	vgpu_file_set_owner(F, 7);
	same = harness_open(&H, &same);
	other = harness_open(&H, &other);
	CHECK(same && other);
	if (!same || !other) {
		down();
		return;
	}
	vgpu_file_set_owner(same, 7);
	vgpu_file_set_owner(other, 8);
	CHECK_EQ(make_context(same), VGPU_OK);
	CHECK_EQ(make_context(other), VGPU_OK);
	/* owner 7: three pages, in two files */
	a = make_buffer(F, 8192, NULL);
	CHECK(a != 0);
	CHECK(make_buffer(same, 4096, NULL) != 0);
	l = limits_of(same);
	CHECK_EQ(l.pinned_max, 5 * 4096);
	CHECK_EQ(l.pinned_max_per_process, 3 * 4096);
	CHECK_EQ(l.pinned, 3 * 4096);
	CHECK_EQ(l.pinned_by_caller, 3 * 4096);
	REJECTS(call(same, VGPU_IOCTL_RESOURCE_CREATE, &c, sizeof(c)), VGPU_E_NO_MEMORY);
	REJECTS(call(F, VGPU_IOCTL_RESOURCE_CREATE, &c, sizeof(c)), VGPU_E_NO_MEMORY);
	/* owner 8 has its own three pages, but the device only two more */
	b = make_buffer(other, 8192, NULL);
	CHECK(b != 0);
	CHECK_EQ(limits_of(other).pinned_by_caller, 2 * 4096);
	REJECTS(call(other, VGPU_IOCTL_RESOURCE_CREATE, &c, sizeof(c)), VGPU_E_NO_MEMORY);
	/* a refusal kept nothing: freeing two pages of owner 7 lets it have them again */
	CHECK_EQ(destroy_handle(F, a), VGPU_OK);
	CHECK_EQ(limits_of(F).pinned, 3 * 4096);
	CHECK(make_buffer(F, 8192, NULL) != 0);
	vgpu_file_close(same);
	vgpu_file_close(other);
	CHECK_EQ(limits_of(F).pinned, 2 * 4096);
	down();
}

/* Gallium says 1 sample for a plain surface; the device reads any nonzero count as MSAA. */
static void test_single_sample_reaches_device_as_zero(void)
{
	struct vgpu_resource_create c = texture_desc(16, 16, 1);
	const struct fake_gpu_res *res;

	if (!up(true))
		return;
	c.nr_samples = 1;
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_CREATE, &c, sizeof(c)), VGPU_OK);
	res = fake_gpu_resource(&H.gpu, c.res_id);
	CHECK(res && res->nr_samples == 0);
	c = texture_desc(16, 16, 1);
	c.nr_samples = 4;
	CHECK_EQ(call(F, VGPU_IOCTL_RESOURCE_CREATE, &c, sizeof(c)), VGPU_OK);
	res = fake_gpu_resource(&H.gpu, c.res_id);
	CHECK(res && res->nr_samples == 4);
	down();
}

int main(void)
{
	RUN(test_get_info);
	RUN(test_single_sample_reaches_device_as_zero);
	RUN(test_get_info_minimal_device);
	RUN(test_device_without_virgl);
	RUN(test_capsets_read);
	RUN(test_context_create);
	RUN(test_buffer_create_map_transfer);
	RUN(test_submit_and_wait);
	RUN(test_many_fences_in_flight);
	RUN(test_second_file_cannot_use_handles);
	RUN(test_handles_never_come_back);
	RUN(test_close_releases_everything);
	RUN(test_close_with_pending_fence_releases_everything);
	RUN(test_inline_interrupts);
	RUN(test_stats);
	RUN(test_pinned_memory_limits);
	RUN(test_destroy_does_not_wait_for_work);
	return tap_done();
}
