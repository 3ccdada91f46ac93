/* SPDX-License-Identifier: MIT */
/*
 * The host-visible region as the sim takes it from a back-end: the private
 * protocol feature and request (devmodel/README.md) against a scripted
 * back-end (placement, Mvisor's address, every malformed answer refused)
 * and against the real device model in both personalities.  QEMU's back-end
 * never offers the feature (tests/sim/test_vhost_user.c).
 * Needs $VGPU_DEVMODEL for the model cases.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend.h"
#include "guest_mem.h"
#include "host_region.h"
#include "tap.h"
#include "vhost_user_transport.h"

#define PAGE GUEST_MEM_PAGE_SIZE
#define TIMEOUT_MS 5000
#define GIB (1ull << 30)
#define HV_BIT (1ull << VHOST_USER_PROTOCOL_F_VGPU_HOST_VISIBLE)
#define MODEL_REGION_BYTES (256ull << 20)

/* What the scripted back-end answers, and what it saw. */
struct script {
	bool offer_hv;
	uint64_t size; /* the answer to request 1000 */
	uint64_t gpa_base;
	uint64_t file_bytes; /* the file handed over (none if send_fd is false) */
	bool send_fd;
	/* seen */
	uint64_t acked_protocol;
	bool asked_region;
	int sock;
};

struct msg_header {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
};

static bool read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static bool reply(int sock, uint32_t request, const void *payload, uint32_t size, int fd)
{
	struct msg_header hdr = { request, 0x1 | 0x4, size };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctrl;
	struct iovec iov[2] = { { &hdr, sizeof(hdr) }, { (void *)payload, size } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	if (fd >= 0) {
		struct cmsghdr *cm;

		memset(&ctrl, 0, sizeof(ctrl));
		mh.msg_control = ctrl.buf;
		mh.msg_controllen = sizeof(ctrl.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)(sizeof(hdr) + size);
}

static int region_file(uint64_t bytes)
{
	int fd = memfd_create("test-hv", MFD_CLOEXEC);

	if (fd >= 0 && ftruncate(fd, (off_t)bytes) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static bool answer_region(struct script *sc)
{
	struct vhost_user_vgpu_host_visible hv = { sc->size, sc->gpa_base };
	int fd = sc->send_fd ? region_file(sc->file_bytes) : -1;
	bool ok;

	sc->asked_region = true;
	ok = reply(sc->sock, VHOST_USER_VGPU_GET_HOST_VISIBLE, &hv, sizeof(hv), fd);
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Serves the session messages until the front-end hangs up. */
static void *backend_main(void *arg)
{
	struct script *sc = arg;
	struct msg_header hdr;
	uint8_t payload[512];

	while (read_all(sc->sock, &hdr, sizeof(hdr)) && hdr.size <= sizeof(payload) &&
	       read_all(sc->sock, payload, hdr.size)) {
		uint64_t value = 0;
		bool ok = true;

		if (hdr.request == VHOST_USER_GET_FEATURES) {
			value = 1ull << VHOST_USER_F_PROTOCOL_FEATURES;
			ok = reply(sc->sock, hdr.request, &value, sizeof(value), -1);
		} else if (hdr.request == VHOST_USER_GET_PROTOCOL_FEATURES) {
			value = 1ull << VHOST_USER_PROTOCOL_F_CONFIG;
			value |= sc->offer_hv ? HV_BIT : 0;
			ok = reply(sc->sock, hdr.request, &value, sizeof(value), -1);
		} else if (hdr.request == VHOST_USER_SET_PROTOCOL_FEATURES && hdr.size == 8) {
			memcpy(&sc->acked_protocol, payload, 8);
		} else if (hdr.request == VHOST_USER_VGPU_GET_HOST_VISIBLE) {
			ok = answer_region(sc);
		}
		if (!ok)
			break;
	}
	return NULL;
}

struct session {
	struct guest_mem *mem;
	struct vhost_user_transport t;
	struct script sc;
	pthread_t thread;
	int peer;
	int begin_status;
};

/* One handshake of the transport against the script (guest memory: 1 MiB + 1 page). */
static bool session_run(struct session *s, const struct script *sc)
{
	int sv[2];

	memset(s, 0, sizeof(*s));
	s->sc = *sc;
	s->mem = guest_mem_create(GUEST_MEM_MIN_SIZE + PAGE);
	if (!s->mem || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return false;
	s->sc.sock = sv[1];
	s->peer = sv[0];
	if (vut_init(&s->t, sv[0], s->mem, TIMEOUT_MS) != 0 ||
	    pthread_create(&s->thread, NULL, backend_main, &s->sc) != 0)
		return false;
	s->begin_status = s->t.transport.ops->begin(s->t.transport.priv);
	return true;
}

static void session_end(struct session *s)
{
	shutdown(s->peer, SHUT_RDWR);
	pthread_join(s->thread, NULL);
	vut_fini(&s->t);
	close(s->peer);
	close(s->sc.sock);
	guest_mem_destroy(s->mem);
}

static int shm_region(struct vhost_user_transport *t, uint8_t id, uint64_t *pa, uint64_t *len)
{
	return t->transport.ops->shm_region(t->transport.priv, id, pa, len);
}

static void test_standard_region_placed_above_guest_memory(void)
{
	const struct script sc = {
		.offer_hv = true, .size = 16 * PAGE, .send_fd = true, .file_bytes = 16 * PAGE
	};
	uint64_t guest_end, pa = 0, len = 0;
	struct session s;
	char byte = 0;

	CHECK(session_run(&s, &sc));
	CHECK_EQ(s.begin_status, VGPU_OK);
	CHECK(s.sc.acked_protocol & HV_BIT);
	CHECK(s.sc.asked_region);
	CHECK_EQ(shm_region(&s.t, VGPU_SHM_ID_HOST_VISIBLE, &pa, &len), VGPU_OK);
	guest_end = guest_mem_gpa(guest_mem_size(s.mem));
	/* The first address above guest memory aligned to the region's size. */
	CHECK_EQ(len, 16 * PAGE);
	CHECK(pa >= guest_end && pa % (16 * PAGE) == 0 && pa - guest_end < 16 * PAGE);
	CHECK_EQ(shm_region(&s.t, 0, &pa, &len), VGPU_E_UNSUPPORTED);
	CHECK_EQ(shm_region(&s.t, 2, &pa, &len), VGPU_E_UNSUPPORTED);
	CHECK_EQ(shm_region(&s.t, VGPU_SHM_ID_HOST_VISIBLE, NULL, &len), VGPU_E_INVALID);
	/* The sim's view is the file the back-end handed over. */
	if (host_region_present(vut_host_region(&s.t))) {
		const struct host_region *r = vut_host_region(&s.t);

		((char *)r->va)[5 * PAGE] = 'h';
		CHECK_EQ(pread(r->fd, &byte, 1, 5 * PAGE), 1);
		CHECK_EQ(byte, 'h');
		CHECK(strncmp(r->path, "/proc/", 6) == 0);
	}
	session_end(&s);
}

static void test_mvisor_region_at_its_address(void)
{
	const struct script sc = { .offer_hv = true,
				   .size = 8 * PAGE,
				   .gpa_base = 256 * GIB,
				   .send_fd = true,
				   .file_bytes = 8 * PAGE };
	uint64_t pa = 0, len = 0;
	struct session s;

	CHECK(session_run(&s, &sc));
	CHECK_EQ(s.begin_status, VGPU_OK);
	CHECK_EQ(shm_region(&s.t, VGPU_SHM_ID_HOST_VISIBLE, &pa, &len), VGPU_OK);
	CHECK_EQ(pa, 256 * GIB);
	CHECK_EQ(len, 8 * PAGE);
	session_end(&s);
}

/* A back-end without the feature is never asked; it has no region. */
static void test_no_feature_no_request(void)
{
	const struct script sc = { .offer_hv = false };
	uint64_t pa = 0, len = 0;
	struct session s;

	CHECK(session_run(&s, &sc));
	CHECK_EQ(s.begin_status, VGPU_OK);
	CHECK(!(s.sc.acked_protocol & HV_BIT));
	CHECK(!s.sc.asked_region);
	CHECK_EQ(shm_region(&s.t, VGPU_SHM_ID_HOST_VISIBLE, &pa, &len), VGPU_E_UNSUPPORTED);
	session_end(&s);
}

static void test_size_zero_is_no_region(void)
{
	const struct script sc = {
		.offer_hv = true, .size = 0, .send_fd = true, .file_bytes = PAGE
	};
	uint64_t pa = 0, len = 0;
	struct session s;

	CHECK(session_run(&s, &sc));
	CHECK_EQ(s.begin_status, VGPU_OK);
	CHECK(s.sc.asked_region);
	CHECK_EQ(shm_region(&s.t, VGPU_SHM_ID_HOST_VISIBLE, &pa, &len), VGPU_E_UNSUPPORTED);
	session_end(&s);
}

/* A malformed answer: the device does not come up, and says why. */
static void expect_refused(struct script sc)
{
	uint64_t pa = 0, len = 0;
	struct session s;

	sc.offer_hv = true;
	CHECK(session_run(&s, &sc));
	CHECK_EQ(s.begin_status, VGPU_E_DEVICE);
	CHECK(strstr(vut_error(&s.t), "host-visible") != NULL);
	CHECK_EQ(shm_region(&s.t, VGPU_SHM_ID_HOST_VISIBLE, &pa, &len), VGPU_E_UNSUPPORTED);
	session_end(&s);
}

static void test_malformed_answers_refused(void)
{
	/* No file, a file too short, not whole pages. */
	expect_refused((struct script){ .size = 4 * PAGE, .send_fd = false });
	expect_refused((struct script){ .size = 4 * PAGE, .send_fd = true, .file_bytes = PAGE });
	expect_refused(
		(struct script){ .size = 4 * PAGE + 1, .send_fd = true, .file_bytes = 5 * PAGE });
	/* Addresses over guest memory, misaligned, wrapping past 2^64. */
	expect_refused((struct script){ .size = 4 * PAGE,
					.gpa_base = GUEST_MEM_GPA_BASE,
					.send_fd = true,
					.file_bytes = 4 * PAGE });
	expect_refused((struct script){ .size = 4 * PAGE,
					.gpa_base = 256 * GIB + 8,
					.send_fd = true,
					.file_bytes = 4 * PAGE });
	expect_refused((struct script){ .size = 4 * PAGE,
					.gpa_base = UINT64_MAX - PAGE + 1,
					.send_fd = true,
					.file_bytes = 4 * PAGE });
}

static void test_offset_of_bounds(void)
{
	struct host_region r;
	uint64_t off = 1;
	int fd = region_file(4 * PAGE);

	host_region_init(&r);
	CHECK(!host_region_offset_of(&r, 0, PAGE, &off));
	CHECK_EQ(host_region_take(&r, fd, 4 * PAGE, 64 * GIB, 2 * GIB), 0);
	CHECK(host_region_offset_of(&r, 64 * GIB + PAGE, 3 * PAGE, &off) && off == PAGE);
	CHECK(!host_region_offset_of(&r, 64 * GIB - 1, 1, &off));
	CHECK(!host_region_offset_of(&r, 64 * GIB + PAGE, 3 * PAGE + 1, &off));
	CHECK(!host_region_offset_of(&r, 64 * GIB + 4 * PAGE, 1, &off));
	CHECK(!host_region_offset_of(&r, 64 * GIB, 0, &off));
	CHECK(!host_region_offset_of(&r, 64 * GIB + PAGE, UINT64_MAX, &off));
	host_region_fini(&r);
	CHECK(!host_region_present(&r));
	/* A refused take closes the descriptor it was given. */
	fd = region_file(PAGE);
	CHECK_EQ(host_region_take(&r, fd, 2 * PAGE, 0, 2 * GIB), -EINVAL);
	CHECK(fcntl(fd, F_GETFD) == -1 && errno == EBADF);
}

/* The device model itself, started as vgpu-sim starts it. */
static void check_model(const char *device, uint64_t want_pa_or_zero)
{
	const char *path = getenv("VGPU_DEVMODEL");
	struct guest_mem *mem = guest_mem_create(64ull << 20);
	struct vhost_user_transport t;
	struct backend b = { .pid = -1, .sock = -1, .reaped = true };
	uint64_t pa = 0, len = 0, guest_end;

	CHECK(path != NULL && mem != NULL);
	if (!path || !mem)
		goto out;
	CHECK_EQ(backend_spawn_device(path, backend_device_by_name(device), &b), 0);
	CHECK_EQ(vut_init(&t, b.sock, mem, 20000), 0);
	CHECK_EQ(t.transport.ops->begin(t.transport.priv), VGPU_OK);
	CHECK_EQ(shm_region(&t, VGPU_SHM_ID_HOST_VISIBLE, &pa, &len), VGPU_OK);
	CHECK_EQ(len, MODEL_REGION_BYTES);
	guest_end = guest_mem_gpa(guest_mem_size(mem));
	if (want_pa_or_zero)
		CHECK_EQ(pa, want_pa_or_zero);
	else
		CHECK(pa >= guest_end && pa % MODEL_REGION_BYTES == 0 &&
		      pa - guest_end < MODEL_REGION_BYTES);
	if (vut_error(&t)[0])
		printf("# %s\n", vut_error(&t));
	vut_fini(&t);
out:
	backend_stop(&b);
	guest_mem_destroy(mem);
}

static void test_model_standard(void)
{
	check_model("model", 0);
}

static void test_model_mvisor(void)
{
	check_model("model-mvisor", 256 * GIB);
}

int main(void)
{
	RUN(test_standard_region_placed_above_guest_memory);
	RUN(test_mvisor_region_at_its_address);
	RUN(test_no_feature_no_request);
	RUN(test_size_zero_is_no_region);
	RUN(test_malformed_answers_refused);
	RUN(test_offset_of_bounds);
	RUN(test_model_standard);
	RUN(test_model_mvisor);
	return tap_done();
}
