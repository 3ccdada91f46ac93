/* SPDX-License-Identifier: MIT */
/* The scripted server of fake_server.h.  Bounded: it gives up after a few seconds of silence. */
#include "fake_server.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "stream_io.h"

#define IDLE_TIMEOUT_S 5
#define MAX_LIVE_DIRS 4
#define SOCKET_NAME "sock"

/*
 * Socket directories that still exist.  The serving thread removes its own
 * once the client connected; an exit before that (a test that returned
 * early, or never connected) leaves them to the exit handler.
 */
static struct {
	pthread_mutex_t lock;
	char dirs[MAX_LIVE_DIRS][sizeof(((struct fake_server *)0)->dir)];
	bool handler_set;
} live = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Remove `dir` and its socket file, and forget it.  Called with live.lock held. */
static void remove_dir_locked(char *dir)
{
	char path[sizeof(live.dirs[0]) + sizeof("/" SOCKET_NAME)];

	snprintf(path, sizeof(path), "%s/" SOCKET_NAME, dir);
	unlink(path);
	rmdir(dir);
	dir[0] = '\0';
}

static void remove_live_dirs(void)
{
	pthread_mutex_lock(&live.lock);
	for (unsigned int i = 0; i < MAX_LIVE_DIRS; i++) {
		if (live.dirs[i][0])
			remove_dir_locked(live.dirs[i]);
	}
	pthread_mutex_unlock(&live.lock);
}

/* A fresh directory for the socket file in f->dir, and the file's name in f->path; 0 or -1. */
static int make_socket_dir(struct fake_server *f)
{
	const char *tmp = getenv("TMPDIR");
	char *slot = NULL;

	snprintf(f->dir, sizeof(f->dir), "%s/vgpu-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	pthread_mutex_lock(&live.lock);
	if (!live.handler_set)
		live.handler_set = atexit(remove_live_dirs) == 0;
	for (unsigned int i = 0; live.handler_set && !slot && i < MAX_LIVE_DIRS; i++) {
		if (!live.dirs[i][0])
			slot = live.dirs[i];
	}
	if (slot && mkdtemp(f->dir)) {
		memcpy(slot, f->dir, sizeof(f->dir));
		snprintf(f->path, sizeof(f->path), "%s/" SOCKET_NAME, f->dir);
	} else {
		slot = NULL;
	}
	pthread_mutex_unlock(&live.lock);
	return slot ? 0 : -1;
}

/* The socket file is needed only until the one client has connected. */
static void remove_socket_dir(const struct fake_server *f)
{
	pthread_mutex_lock(&live.lock);
	for (unsigned int i = 0; i < MAX_LIVE_DIRS; i++) {
		if (live.dirs[i][0] && strcmp(live.dirs[i], f->dir) == 0)
			remove_dir_locked(live.dirs[i]);
	}
	pthread_mutex_unlock(&live.lock);
}

void fake_init(struct fake_server *f)
{
	memset(f, 0, sizeof(*f));
	f->pass_fd = true;
	f->region = true;
	f->info_abi_major = VGPU_ABI_VERSION_MAJOR;
	/* Out of order on purpose: the view must follow the extents, not the file. */
	f->extents[0] = (struct vgpu_sock_extent){ .offset = 3 * 4096, .len = 4096 };
	f->extents[1] = (struct vgpu_sock_extent){ .offset = 1 * 4096, .len = 4096 };
	f->num_extents = 2;
	f->map_size = 2 * 4096;
	f->listen_fd = -1;
	f->mem_fd = -1;
	f->region_fd = -1;
	f->lock = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
}

static void fill_hello(const struct fake_server *f, struct vgpu_sock_hello *hello)
{
	memset(hello, 0, sizeof(*hello));
	hello->magic = f->fault == FAULT_HELLO_MAGIC ? 0x12345678u : VGPU_SOCK_MAGIC;
	hello->version = f->fault == FAULT_HELLO_VERSION ? 1 : VGPU_SOCK_VERSION;
	hello->mem_size = FAKE_MEM_SIZE;
	snprintf(hello->mem_path, sizeof(hello->mem_path), "/proc/self/fd/%d", f->mem_fd);
	if (!f->region)
		return;
	hello->region_size = FAKE_REGION_SIZE;
	if (f->region_path[0])
		snprintf(hello->region_path, sizeof(hello->region_path), "%s", f->region_path);
	else
		snprintf(hello->region_path, sizeof(hello->region_path), "/proc/self/fd/%d",
			 f->region_fd);
	if (f->fault == FAULT_HELLO_REGION_PATH)
		memset(hello->region_path, 'r', sizeof(hello->region_path));
}

static bool send_hello(struct fake_server *f, int conn)
{
	struct vgpu_sock_hello hello;
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} ctrl;
	int fds[2] = { f->mem_fd, f->region_fd };
	unsigned int nfds = f->region ? 2 : 1;
	struct iovec iov = { &hello, sizeof(hello) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (f->fault == FAULT_HELLO_CLOSE)
		return false;
	fill_hello(f, &hello);
	if (f->pass_fd) {
		struct cmsghdr *c;

		memset(&ctrl, 0, sizeof(ctrl));
		msg.msg_control = ctrl.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	return sendmsg(conn, &msg, MSG_NOSIGNAL) == (ssize_t)sizeof(hello);
}

static void record(struct fake_server *f, const struct fake_request *req)
{
	pthread_mutex_lock(&f->lock);
	if (f->log_count < FAKE_MAX_LOG)
		f->log[f->log_count++] = *req;
	pthread_mutex_unlock(&f->lock);
}

/* Reads one request; keeps the first FAKE_MAX_PAYLOAD bytes of its payload. */
static bool read_request(int conn, struct fake_request *req)
{
	struct vgpu_sock_request hdr;
	uint32_t left, keep;
	uint8_t sink[4096];

	memset(req, 0, sizeof(*req));
	if (!stream_recv_all(conn, &hdr, sizeof(hdr)) || hdr.magic != VGPU_SOCK_MAGIC ||
	    hdr.in_size > VGPU_SOCK_MAX_FIXED || !stream_recv_all(conn, req->in, hdr.in_size))
		return false;
	req->code = hdr.code;
	req->in_size = hdr.in_size;
	req->payload_size = hdr.payload_size;
	if (VGPU_CTL_METHOD(hdr.code) != VGPU_METHOD_IN_DIRECT)
		return true;
	keep = hdr.payload_size < FAKE_MAX_PAYLOAD ? hdr.payload_size : FAKE_MAX_PAYLOAD;
	if (!stream_recv_all(conn, req->payload, keep))
		return false;
	for (left = hdr.payload_size - keep; left;) {
		uint32_t n = left < sizeof(sink) ? left : sizeof(sink);

		if (!stream_recv_all(conn, sink, n))
			return false;
		left -= n;
	}
	return true;
}

struct reply {
	struct vgpu_sock_reply hdr;
	uint8_t out[VGPU_SOCK_MAX_FIXED + 64];
	const void *payload;
	struct vgpu_sock_extent extents[4];
};

static void answer_get_info(struct fake_server *f, struct reply *r)
{
	struct vgpu_get_info info = {
		.abi_major = f->info_abi_major,
		.abi_minor = 0,
		.personality = VGPU_PERSONALITY_STANDARD,
		.capset_mask = (1u << VGPU_CAPSET_VIRGL) | (1u << VGPU_CAPSET_VIRGL2),
		.features =
			VGPU_FEATURE_VIRGL | VGPU_FEATURE_EVENT_IDX |
			(f->region ? VGPU_FEATURE_RESOURCE_BLOB | VGPU_FEATURE_HOST_VISIBLE : 0),
		.host_visible_size = f->region ? FAKE_REGION_SIZE : 0,
		.max_submit_bytes = VGPU_MAX_SUBMIT_BYTES,
		.max_submit_handles = VGPU_MAX_SUBMIT_HANDLES,
		.num_scanouts = 1,
	};

	if (f->info_abi_major != VGPU_ABI_VERSION_MAJOR && r->hdr.status == VGPU_OK)
		r->hdr.status = VGPU_E_VERSION;
	memcpy(r->out, &info, sizeof(info));
	r->hdr.out_size = sizeof(info);
}

static void answer_map(struct fake_server *f, struct reply *r)
{
	struct vgpu_resource_map m;

	memcpy(&m, r->out, sizeof(m));
	m.size = f->map_size;
	memcpy(r->out, &m, sizeof(m));
	if (r->hdr.status != VGPU_OK)
		return;
	memcpy(r->extents, f->extents, sizeof(r->extents));
	r->hdr.num_extents = f->num_extents;
	r->hdr.mem_file = f->map_file;
}

static void answer_resource_create(struct reply *r)
{
	struct vgpu_resource_create c;

	memcpy(&c, r->out, sizeof(c));
	c.handle = 1;
	c.res_id = 100;
	memcpy(r->out, &c, sizeof(c));
}

static void answer_create_blob(struct reply *r)
{
	struct vgpu_resource_create_blob c;

	memcpy(&c, r->out, sizeof(c));
	c.handle = 2;
	c.res_id = 200;
	memcpy(r->out, &c, sizeof(c));
}

static void answer_get_capset(struct fake_server *f, const struct fake_request *req,
			      struct reply *r)
{
	r->hdr.out_size = 0;
	if (r->hdr.status != VGPU_OK)
		return;
	if (f->capset_size > req->payload_size) {
		r->hdr.status = VGPU_E_BAD_SIZE;
		return;
	}
	r->payload = f->capset;
	r->hdr.payload_size = f->capset_size;
}

/* The well-formed answer: the fixed struct echoed, with what each call fills in. */
static void answer(struct fake_server *f, const struct fake_request *req, struct reply *r)
{
	uint32_t fn = VGPU_CTL_FN(req->code);

	memset(r, 0, sizeof(*r));
	r->hdr.magic = VGPU_SOCK_MAGIC;
	r->hdr.status = fn >= 0x900 && fn < 0x910 ? f->status[fn - 0x900] : VGPU_E_UNSUPPORTED;
	memcpy(r->out, req->in, req->in_size);
	r->hdr.out_size = req->in_size;
	if (req->code == VGPU_IOCTL_GET_INFO)
		answer_get_info(f, r);
	else if (req->code == VGPU_IOCTL_RESOURCE_MAP)
		answer_map(f, r);
	else if (req->code == VGPU_IOCTL_RESOURCE_CREATE)
		answer_resource_create(r);
	else if (req->code == VGPU_IOCTL_RESOURCE_CREATE_BLOB)
		answer_create_blob(r);
	else if (req->code == VGPU_IOCTL_GET_CAPSET)
		answer_get_capset(f, req, r);
}

static void break_reply(enum fake_fault fault, struct reply *r)
{
	switch (fault) {
	case FAULT_REPLY_MAGIC:
		r->hdr.magic ^= 1;
		break;
	case FAULT_OUT_TOO_BIG:
		r->hdr.out_size += 8;
		break;
	case FAULT_PAYLOAD_TOO_BIG:
		r->hdr.payload_size += 1;
		break;
	case FAULT_PAYLOAD_UNASKED:
		r->payload = r->out;
		r->hdr.payload_size = 4;
		break;
	case FAULT_EXTENT_OUTSIDE:
		r->extents[0].offset = FAKE_MEM_SIZE;
		break;
	case FAULT_EXTENT_UNALIGNED:
		r->extents[0].offset += 16;
		break;
	case FAULT_EXTENT_SHORT:
		r->hdr.num_extents = 1;
		break;
	case FAULT_BAD_MEM_FILE:
		r->hdr.mem_file = 2;
		break;
	case FAULT_MEM_FILE_UNASKED:
		r->hdr.mem_file = VGPU_SOCK_FILE_HOST_VISIBLE;
		break;
	default:
		break;
	}
}

static bool send_reply(int conn, const struct reply *r)
{
	return stream_send_all(conn, &r->hdr, sizeof(r->hdr)) &&
	       stream_send_all(conn, r->out, r->hdr.out_size) &&
	       stream_send_all(conn, r->payload, r->payload ? r->hdr.payload_size : 0) &&
	       stream_send_all(conn, r->extents, r->hdr.num_extents * sizeof(r->extents[0]));
}

/* A reply without a payload or extents and four bytes more, arriving together. */
static bool send_with_trailer(int conn, const struct reply *r)
{
	uint8_t buf[sizeof(r->hdr) + sizeof(r->out) + 4] = { 0 };
	size_t len = sizeof(r->hdr) + r->hdr.out_size + 4;

	memcpy(buf, &r->hdr, sizeof(r->hdr));
	memcpy(buf + sizeof(r->hdr), r->out, r->hdr.out_size);
	return stream_send_all(conn, buf, len);
}

/* Returns false when the connection is to end. */
static bool serve_one(struct fake_server *f, int conn)
{
	enum fake_fault fault = FAULT_NONE;
	struct fake_request req;
	struct reply r;

	if (!read_request(conn, &req))
		return false;
	record(f, &req);
	if (f->fault != FAULT_NONE && req.code == f->fault_code) {
		fault = f->fault;
		f->fault = FAULT_NONE;
	}
	if (fault == FAULT_CLOSE_NO_REPLY)
		return false;
	answer(f, &req, &r);
	if (fault == FAULT_CLOSE_MID_REPLY) {
		stream_send_all(conn, &r.hdr, sizeof(r.hdr) / 2);
		return false;
	}
	break_reply(fault, &r);
	if (fault == FAULT_REPLY_TRAILING)
		return send_with_trailer(conn, &r);
	return send_reply(conn, &r) && fault != FAULT_CLOSE_AFTER_REPLY;
}

/* The one connection, or -1 when none came in time; the socket path is gone either way. */
static int accept_client(struct fake_server *f)
{
	struct pollfd pfd = { .fd = f->listen_fd, .events = POLLIN };
	int conn = -1;

	if (poll(&pfd, 1, IDLE_TIMEOUT_S * 1000) == 1)
		conn = accept(f->listen_fd, NULL, NULL);
	remove_socket_dir(f);
	return conn;
}

static void *serve(void *arg)
{
	struct fake_server *f = arg;
	struct timeval tv = { .tv_sec = IDLE_TIMEOUT_S };
	int conn = accept_client(f);

	if (conn < 0)
		return NULL;
	setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send_hello(f, conn))
		while (serve_one(f, conn))
			;
	close(conn);
	return NULL;
}

static void close_fds(struct fake_server *f)
{
	if (f->listen_fd >= 0)
		close(f->listen_fd);
	if (f->mem_fd >= 0)
		close(f->mem_fd);
	if (f->region_fd >= 0)
		close(f->region_fd);
	f->listen_fd = -1;
	f->mem_fd = -1;
	f->region_fd = -1;
}

/* Everything but the serving thread; 0 or -1. */
static int make_socket_and_memory(struct fake_server *f)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	f->mem_fd = memfd_create("vgpu-test-mem", MFD_CLOEXEC);
	if (f->mem_fd < 0 || ftruncate(f->mem_fd, FAKE_MEM_SIZE) < 0)
		return -1;
	f->region_fd = memfd_create("vgpu-test-region", MFD_CLOEXEC);
	if (f->region_fd < 0 || ftruncate(f->region_fd, FAKE_REGION_SIZE) < 0)
		return -1;
	f->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->listen_fd < 0)
		return -1;
	memcpy(addr.sun_path, f->path, strlen(f->path) + 1);
	if (bind(f->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(f->listen_fd, 1) < 0)
		return -1;
	return 0;
}

int fake_start(struct fake_server *f)
{
	if (make_socket_dir(f) < 0)
		return -1;
	if (make_socket_and_memory(f) == 0 && pthread_create(&f->thread, NULL, serve, f) == 0) {
		f->serving = true;
		return 0;
	}
	close_fds(f);
	remove_socket_dir(f);
	return -1;
}

void fake_wait_closed(struct fake_server *f)
{
	if (f->serving)
		pthread_join(f->thread, NULL);
	f->serving = false;
}

void fake_stop(struct fake_server *f)
{
	fake_wait_closed(f);
	close_fds(f);
}

unsigned int fake_count(struct fake_server *f)
{
	unsigned int n;

	pthread_mutex_lock(&f->lock);
	n = f->log_count;
	pthread_mutex_unlock(&f->lock);
	return n;
}

struct fake_request fake_request(struct fake_server *f, unsigned int i)
{
	struct fake_request req = { 0 };

	pthread_mutex_lock(&f->lock);
	if (i < f->log_count)
		req = f->log[i];
	pthread_mutex_unlock(&f->lock);
	return req;
}
