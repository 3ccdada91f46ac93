/* SPDX-License-Identifier: MIT */
/*
 * The vhost-user transport against QEMU's real vhost-user-gpu backend:
 * handshake, config, rings in guest memory, one command through the
 * control queue; and backends that are missing or die at once.
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "gpu/wire.h"
#include "guest_mem.h"
#include "tap.h"
#include "vhost_user_transport.h"

#define QUEUE_SIZE 64u
#define TEST_TIMEOUT_MS 5000

/* A split ring laid out by hand: the core's own virtqueue is not under test here. */
struct ring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct ring_used_elem {
	uint32_t id;
	uint32_t len;
};

struct test_ring {
	uint64_t offset; /* in guest memory: desc, then avail, then used at +8 KiB */
	struct ring_desc *desc;
	volatile uint16_t *avail; /* flags, idx, ring[] */
	volatile uint16_t *used;  /* flags, idx, then elems */
};

struct fixture {
	struct guest_mem *mem;
	struct backend backend;
	struct vhost_user_transport t;
	bool up;
};

static const char *backend_path(void)
{
	const char *env = getenv("VGPU_SIM_BACKEND");

	return env ? env : BACKEND_DEFAULT_PATH;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool fixture_start(struct fixture *f, const char *path)
{
	memset(f, 0, sizeof(*f));
	f->mem = guest_mem_create(64ull << 20);
	if (!f->mem)
		return false;
	if (backend_spawn(path, &f->backend) != 0)
		return false;
	if (vut_init(&f->t, f->backend.sock, f->mem, TEST_TIMEOUT_MS) != 0)
		return false;
	f->up = true;
	return true;
}

static void fixture_stop(struct fixture *f)
{
	if (f->up) {
		f->t.transport.ops->reset(f->t.transport.priv);
		vut_fini(&f->t);
	}
	backend_stop(&f->backend);
	guest_mem_destroy(f->mem);
}

static const struct vgpu_transport_ops *ops(struct fixture *f)
{
	return f->t.transport.ops;
}

static int bring_up(struct fixture *f)
{
	uint64_t features = (1ull << VGPU_VIRTIO_F_VERSION_1) | (1ull << VIRTIO_GPU_FEAT_VIRGL);
	int err = ops(f)->begin(f->t.transport.priv);

	if (err)
		return err;
	if ((ops(f)->device_features(f->t.transport.priv) & features) != features)
		return -1;
	return ops(f)->set_features(f->t.transport.priv, features);
}

static bool ring_setup(struct fixture *f, uint16_t index, struct test_ring *ring)
{
	uint8_t *base = guest_mem_base_va(f->mem);
	uint64_t gpa;

	if (guest_mem_alloc_contig(f->mem, 4 * GUEST_MEM_PAGE_SIZE, &ring->offset) != 0)
		return false;
	gpa = guest_mem_gpa(ring->offset);
	ring->desc = (struct ring_desc *)(base + ring->offset);
	ring->avail = (volatile uint16_t *)(base + ring->offset + 16 * QUEUE_SIZE);
	ring->used = (volatile uint16_t *)(base + ring->offset + 8192);
	return ops(f)->queue_enable(f->t.transport.priv, index, QUEUE_SIZE, gpa,
				    gpa + 16 * QUEUE_SIZE, gpa + 8192) == 0;
}

static bool wait_call(struct fixture *f, unsigned index, int timeout_ms)
{
	struct pollfd pfd = { .fd = vut_call_fd(&f->t, index), .events = POLLIN };
	uint64_t count;

	if (poll(&pfd, 1, timeout_ms) != 1)
		return false;
	return read(pfd.fd, &count, sizeof(count)) == sizeof(count) && count > 0;
}

/* Send GET_CAPSET_INFO(index) on the control ring; fill *resp. */
static bool get_capset_info(struct fixture *f, struct test_ring *ring, uint32_t capset_index,
			    struct wire_resp_capset_info *resp)
{
	uint8_t *base = guest_mem_base_va(f->mem);
	uint64_t buf_off;
	struct wire_get_capset_info *cmd;
	uint16_t slot = ring->avail[1];

	if (guest_mem_alloc_contig(f->mem, GUEST_MEM_PAGE_SIZE, &buf_off) != 0)
		return false;
	cmd = (struct wire_get_capset_info *)(base + buf_off);
	cmd->hdr.type = WIRE_CMD_GET_CAPSET_INFO;
	cmd->capset_index = capset_index;
	ring->desc[0] = (struct ring_desc){ guest_mem_gpa(buf_off), sizeof(*cmd), 1 /* NEXT */, 1 };
	ring->desc[1] =
		(struct ring_desc){ guest_mem_gpa(buf_off + 512), sizeof(*resp), 2 /* WRITE */, 0 };
	ring->avail[2 + slot % QUEUE_SIZE] = 0;
	atomic_thread_fence(memory_order_release);
	ring->avail[1] = (uint16_t)(slot + 1);
	atomic_thread_fence(memory_order_seq_cst);
	ops(f)->queue_notify(f->t.transport.priv, 0);
	if (!wait_call(f, 0, TEST_TIMEOUT_MS) || ring->used[1] != (uint16_t)(slot + 1))
		return false;
	atomic_thread_fence(memory_order_acquire);
	memcpy(resp, base + buf_off + 512, sizeof(*resp));
	guest_mem_free(f->mem, buf_off, GUEST_MEM_PAGE_SIZE);
	return true;
}

static void test_handshake_and_config(void)
{
	struct fixture f;
	struct wire_config cfg;
	uint64_t pa = 0, len = 0;

	CHECK(fixture_start(&f, backend_path()));
	if (!f.up)
		goto out;
	CHECK_EQ(bring_up(&f), 0);
	ops(&f)->config_read(f.t.transport.priv, 0, &cfg, sizeof(cfg));
	CHECK_EQ(cfg.num_capsets, 2);
	/* A field read on its own gives the same value. */
	cfg.num_capsets = 0;
	ops(&f)->config_read(f.t.transport.priv, 12, &cfg.num_capsets, 4);
	CHECK_EQ(cfg.num_capsets, 2);
	CHECK_EQ(ops(&f)->queue_max_size(f.t.transport.priv, 0), VUT_QUEUE_MAX);
	CHECK_EQ(ops(&f)->queue_max_size(f.t.transport.priv, 1), VUT_QUEUE_MAX);
	CHECK_EQ(ops(&f)->queue_max_size(f.t.transport.priv, 2), 0);
	CHECK_EQ(ops(&f)->driver_ok(f.t.transport.priv), 0);
	/* QEMU's back-end offers no host-visible memory: the handshake is the usual one. */
	CHECK_EQ(ops(&f)->shm_region(f.t.transport.priv, VGPU_SHM_ID_HOST_VISIBLE, &pa, &len),
		 VGPU_E_UNSUPPORTED);
	CHECK_EQ(vut_error(&f.t)[0], 0);
out:
	fixture_stop(&f);
}

static void test_refuses_unoffered_features(void)
{
	struct fixture f;

	CHECK(fixture_start(&f, backend_path()));
	if (!f.up)
		goto out;
	CHECK_EQ(ops(&f)->begin(f.t.transport.priv), 0);
	CHECK(ops(&f)->set_features(f.t.transport.priv, 1ull << 60) != 0);
	CHECK(vut_error(&f.t)[0] != 0);
out:
	fixture_stop(&f);
}

static void test_rings_carry_a_command(void)
{
	struct fixture f;
	struct test_ring control, cursor;
	struct wire_resp_capset_info info;

	CHECK(fixture_start(&f, backend_path()));
	if (!f.up)
		goto out;
	CHECK_EQ(bring_up(&f), 0);
	CHECK(ring_setup(&f, 0, &control));
	CHECK(ring_setup(&f, 1, &cursor));
	/* The backend's signal on a fresh call fd was drained: nothing pending. */
	CHECK(!wait_call(&f, 0, 0));
	CHECK(get_capset_info(&f, &control, 0, &info));
	CHECK_EQ(info.hdr.type, WIRE_RESP_OK_CAPSET_INFO);
	CHECK_EQ(info.capset_id, 1);
	CHECK_EQ(info.capset_max_size, 308);
	CHECK(get_capset_info(&f, &control, 1, &info));
	CHECK_EQ(info.capset_id, 2);
	CHECK_EQ(info.capset_max_version, 2);
	/* After a reset the rings can be set up again. */
	ops(&f)->reset(f.t.transport.priv);
	CHECK_EQ(ops(&f)->begin(f.t.transport.priv), 0);
	CHECK(ring_setup(&f, 0, &control));
	CHECK(get_capset_info(&f, &control, 0, &info));
	CHECK_EQ(info.capset_id, 1);
out:
	fixture_stop(&f);
}

static void test_rejects_bad_queues(void)
{
	struct fixture f;
	uint64_t gpa = guest_mem_gpa(0);

	CHECK(fixture_start(&f, backend_path()));
	if (!f.up)
		goto out;
	CHECK_EQ(bring_up(&f), 0);
	CHECK(ops(&f)->queue_enable(f.t.transport.priv, 2, 64, gpa, gpa + 1024, gpa + 4096) != 0);
	CHECK(ops(&f)->queue_enable(f.t.transport.priv, 0, 48, gpa, gpa + 1024, gpa + 4096) != 0);
	CHECK(ops(&f)->queue_enable(f.t.transport.priv, 0, 2048, gpa, gpa + 1024, gpa + 4096) != 0);
	/* Rings outside guest memory never reach the backend. */
	CHECK(ops(&f)->queue_enable(f.t.transport.priv, 0, 64, 4096, gpa + 1024, gpa + 4096) != 0);
	CHECK(ops(&f)->queue_enable(f.t.transport.priv, 0, 64, gpa, gpa + 1024,
				    guest_mem_gpa(guest_mem_size(f.mem)) - 8) != 0);
out:
	fixture_stop(&f);
}

static void test_missing_backend(void)
{
	struct backend b;

	CHECK_EQ(backend_spawn("/nonexistent/vhost-user-gpu", &b), -ENOENT);
	CHECK(b.sock < 0 && b.reaped);
	backend_stop(&b);
}

/* A program that exits at once: the handshake fails quickly, no hang. */
static void test_backend_exits_at_once(void)
{
	struct fixture f;
	uint64_t start = now_ms();
	char why[64];

	CHECK(fixture_start(&f, "/bin/false"));
	if (!f.up)
		goto out;
	CHECK(ops(&f)->begin(f.t.transport.priv) != 0);
	CHECK(strstr(vut_error(&f.t), "closed") != NULL);
	CHECK(now_ms() - start < 2000);
	/* Later calls fail at once too. */
	CHECK(ops(&f)->begin(f.t.transport.priv) != 0);
	CHECK(ops(&f)->driver_ok(f.t.transport.priv) != 0);
out:
	fixture_stop(&f);
	CHECK(f.backend.reaped);
	backend_describe_exit(&f.backend, why, sizeof(why));
	CHECK(strcmp(why, "exit status 1") == 0);
}

/* A peer that never answers: bounded by the timeout, then a clean error. */
static void test_backend_never_answers(void)
{
	struct guest_mem *mem = guest_mem_create(GUEST_MEM_MIN_SIZE);
	struct vhost_user_transport t;
	uint64_t start;
	int sv[2];

	CHECK(mem != NULL);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(vut_init(&t, sv[0], mem, 300) == 0);
	start = now_ms();
	CHECK(t.transport.ops->begin(t.transport.priv) != 0);
	CHECK(now_ms() - start >= 250 && now_ms() - start < 2000);
	CHECK(strstr(vut_error(&t), "timed out") != NULL);
	vut_fini(&t);
	close(sv[0]);
	close(sv[1]);
	guest_mem_destroy(mem);
}

int main(void)
{
	RUN(test_handshake_and_config);
	RUN(test_refuses_unoffered_features);
	RUN(test_rings_carry_a_command);
	RUN(test_rejects_bad_queues);
	RUN(test_missing_backend);
	RUN(test_backend_exits_at_once);
	RUN(test_backend_never_answers);
	return tap_done();
}
