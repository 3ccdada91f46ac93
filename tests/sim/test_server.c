/* SPDX-License-Identifier: MIT */
/*
 * vgpu-sim as a whole: started as a process against QEMU's vhost-user-gpu (and once
 * against the device model, $VGPU_DEVMODEL, for its host-visible region),
 * spoken to over its socket with raw frames, stopped with SIGTERM.
 * Usage: test_sim_server PATH-TO-vgpu-sim
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "vgpu/vgpu_socket.h"

#define READY_TIMEOUT_MS 20000
#define EXIT_TIMEOUT_MS 10000
#define TEST_MEM (64ull << 20)
#define VIRGL_BIND_VERTEX_BUFFER (1u << 4)

static const char *sim_exe;

struct sim_proc {
	pid_t pid;
	int out_fd;
	char sock[108];
	char line[256];
};

struct client {
	int fd;
	int mem_fd;
	int region_fd; /* -1 unless the device has host-visible memory */
	struct vgpu_sock_hello hello;
};

struct call_result {
	struct vgpu_sock_reply reply;
	uint8_t out[VGPU_SOCK_MAX_FIXED];
	uint8_t *payload;
	struct vgpu_sock_extent extents[64];
};

/* ---- the sim process ---- */

static bool read_line(int fd, char *buf, size_t size, int timeout_ms)
{
	size_t used = 0;

	while (used + 1 < size) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, timeout_ms) != 1 || read(fd, buf + used, 1) != 1)
			break;
		if (buf[used] == '\n') {
			buf[used] = '\0';
			return true;
		}
		used++;
	}
	buf[used] = '\0';
	return false;
}

/* Start vgpu-sim with `extra` options (NULL-terminated); its stdout comes to us. */
static bool sim_launch(struct sim_proc *sim, const char *const *extra)
{
	const char *argv[16] = { sim_exe, "--socket", sim->sock, "--mem", "64M" };
	unsigned argc = 5;
	int out[2];

	snprintf(sim->sock, sizeof(sim->sock), "/tmp/vgpu-sim-test-%ld.sock", (long)getpid());
	while (extra && *extra && argc < 15)
		argv[argc++] = *extra++;
	argv[argc] = NULL;
	if (pipe2(out, O_CLOEXEC) != 0)
		return false;
	sim->pid = fork();
	if (sim->pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		execv(sim_exe, (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	sim->out_fd = out[0];
	return sim->pid > 0;
}

static bool sim_wait_ready(struct sim_proc *sim)
{
	char want[200];

	snprintf(want, sizeof(want), "vgpu-sim: ready on %s", sim->sock);
	return read_line(sim->out_fd, sim->line, sizeof(sim->line), READY_TIMEOUT_MS) &&
	       strcmp(sim->line, want) == 0;
}

/* Wait for exit (bounded, then SIGKILL); returns the wait status. */
static int sim_reap(struct sim_proc *sim)
{
	int status = -1;

	for (int waited = 0; waited < EXIT_TIMEOUT_MS; waited += 10) {
		if (waitpid(sim->pid, &status, WNOHANG) == sim->pid) {
			close(sim->out_fd);
			return status;
		}
		usleep(10000);
	}
	kill(sim->pid, SIGKILL);
	waitpid(sim->pid, &status, 0);
	close(sim->out_fd);
	return -1;
}

/* The pid of the sim's child (the backend), or -1. */
static pid_t child_of(pid_t parent)
{
	char path[300], buf[512];
	pid_t found = -1;
	DIR *dir = opendir("/proc");
	struct dirent *de;

	while (dir && (de = readdir(dir)) != NULL) {
		int ppid = 0;
		FILE *f;
		char *close_paren;

		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && (close_paren = strrchr(buf, ')')) &&
		    sscanf(close_paren + 2, "%*c %d", &ppid) == 1 && ppid == parent)
			found = atoi(de->d_name);
		fclose(f);
	}
	if (dir)
		closedir(dir);
	return found;
}

static bool process_gone(pid_t pid)
{
	for (int i = 0; i < 200; i++) {
		if (kill(pid, 0) != 0 && errno == ESRCH)
			return true;
		usleep(10000);
	}
	return false;
}

/* ---- raw client ---- */

static bool recv_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 10000) != 1)
			return false;
		n = recv(fd, p, len, 0);
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* The hello and its descriptors: guest memory's, then the region's if there is one. */
static bool recv_hello(struct client *c)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = &c->hello, .iov_len = sizeof(c->hello) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf.buf,
			     .msg_controllen = sizeof(cbuf.buf) };
	struct cmsghdr *cm;
	ssize_t n = recvmsg(c->fd, &mh, MSG_WAITALL | MSG_CMSG_CLOEXEC);
	size_t nfds;

	if (n != (ssize_t)sizeof(c->hello))
		return false;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return false;
	nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	memcpy(&c->mem_fd, CMSG_DATA(cm), sizeof(int));
	if (nfds > 1)
		memcpy(&c->region_fd, CMSG_DATA(cm) + sizeof(int), sizeof(int));
	return nfds <= 2;
}

static bool client_connect(const char *path, struct client *c)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	memset(c, 0, sizeof(*c));
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	c->mem_fd = -1;
	c->region_fd = -1;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		return false;
	return recv_hello(c);
}

static void client_close(struct client *c)
{
	if (c->mem_fd >= 0)
		close(c->mem_fd);
	if (c->region_fd >= 0)
		close(c->region_fd);
	close(c->fd);
}

static bool send_frame(int fd, const struct vgpu_sock_request *req, const void *in,
		       const void *payload, uint32_t payload_len)
{
	return send(fd, req, sizeof(*req), MSG_NOSIGNAL) == sizeof(*req) &&
	       (!req->in_size ||
		send(fd, in, req->in_size, MSG_NOSIGNAL) == (ssize_t)req->in_size) &&
	       (!payload_len ||
		send(fd, payload, payload_len, MSG_NOSIGNAL) == (ssize_t)payload_len);
}

static bool recv_result(int fd, struct call_result *r)
{
	if (!recv_full(fd, &r->reply, sizeof(r->reply)) || r->reply.magic != VGPU_SOCK_MAGIC ||
	    r->reply.out_size > sizeof(r->out) || r->reply.payload_size > VGPU_MAX_CAPSET_BYTES ||
	    r->reply.num_extents > 64)
		return false;
	if (!recv_full(fd, r->out, r->reply.out_size))
		return false;
	free(r->payload);
	r->payload = r->reply.payload_size ? malloc(r->reply.payload_size) : NULL;
	if (r->reply.payload_size &&
	    (!r->payload || !recv_full(fd, r->payload, r->reply.payload_size)))
		return false;
	return recv_full(fd, r->extents, r->reply.num_extents * sizeof(r->extents[0]));
}

/* One call; `payload_size` is the IN_DIRECT bytes or the OUT_DIRECT capacity. */
static int call(struct client *c, uint32_t code, void *in, uint32_t in_size, const void *payload,
		uint32_t payload_size, struct call_result *r)
{
	struct vgpu_sock_request req = { VGPU_SOCK_MAGIC, code, in_size, payload_size };
	bool in_direct = VGPU_CTL_METHOD(code) == VGPU_METHOD_IN_DIRECT;

	if (!send_frame(c->fd, &req, in, payload, in_direct ? payload_size : 0) ||
	    !recv_result(c->fd, r))
		return VGPU_E_TRANSPORT;
	if (r->reply.out_size == in_size && in)
		memcpy(in, r->out, in_size);
	return r->reply.status;
}

static bool peer_closed(int fd)
{
	char byte;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 5000) == 1 && recv(fd, &byte, 1, 0) == 0;
}

/* ---- the cases (one sim for most of them) ---- */

static struct sim_proc sim;
static pid_t backend_pid;
static char mem_path[VGPU_SOCK_PATH_MAX];

static void test_ready(void)
{
	CHECK(sim_launch(&sim, NULL));
	CHECK(sim_wait_ready(&sim));
	backend_pid = child_of(sim.pid);
	CHECK(backend_pid > 0);
}

static void test_hello(void)
{
	struct client c;
	struct stat st;

	CHECK(client_connect(sim.sock, &c));
	CHECK_EQ(c.hello.magic, VGPU_SOCK_MAGIC);
	CHECK_EQ(c.hello.version, VGPU_SOCK_VERSION);
	CHECK_EQ(c.hello.mem_size, TEST_MEM);
	CHECK(memchr(c.hello.mem_path, 0, sizeof(c.hello.mem_path)) != NULL);
	snprintf(mem_path, sizeof(mem_path), "%s", c.hello.mem_path);
	CHECK(stat(mem_path, &st) == 0 && (uint64_t)st.st_size == TEST_MEM);
	CHECK(fstat(c.mem_fd, &st) == 0 && (uint64_t)st.st_size == TEST_MEM);
	/* QEMU's device has no host-visible memory. */
	CHECK_EQ(c.hello.region_size, 0);
	CHECK_EQ(c.hello.region_path[0], 0);
	CHECK_EQ(c.region_fd, -1);
	client_close(&c);
}

static void test_get_info_and_capset(void)
{
	struct vgpu_get_info info = { .abi_major = VGPU_ABI_VERSION_MAJOR };
	struct vgpu_get_capset cs = { .capset_id = VGPU_CAPSET_VIRGL2 };
	struct call_result r = { 0 };
	struct client c;

	CHECK(client_connect(sim.sock, &c));
	CHECK_EQ(call(&c, VGPU_IOCTL_GET_INFO, &info, sizeof(info), NULL, 0, &r), VGPU_OK);
	CHECK_EQ(r.reply.out_size, sizeof(info));
	CHECK_EQ(info.personality, VGPU_PERSONALITY_STANDARD);
	CHECK(info.capset_mask & (1u << VGPU_CAPSET_VIRGL));
	CHECK(info.capset_mask & (1u << VGPU_CAPSET_VIRGL2));
	CHECK(info.features & VGPU_FEATURE_VIRGL);
	CHECK_EQ(info.max_submit_bytes, VGPU_MAX_SUBMIT_BYTES);
	CHECK_EQ(call(&c, VGPU_IOCTL_GET_CAPSET, &cs, sizeof(cs), NULL, VGPU_MAX_CAPSET_BYTES, &r),
		 VGPU_OK);
	CHECK_EQ(r.reply.out_size, 0);
	CHECK(r.reply.payload_size > 1000 && r.reply.payload_size <= VGPU_MAX_CAPSET_BYTES);
	/* Too small a buffer: an error, and the connection goes on. */
	CHECK_EQ(call(&c, VGPU_IOCTL_GET_CAPSET, &cs, sizeof(cs), NULL, 16, &r), VGPU_E_BAD_SIZE);
	CHECK_EQ(r.reply.payload_size, 0);
	/* An unknown call number is refused, and the connection goes on. */
	CHECK_EQ(call(&c, VGPU_CTL_CODE(0x9ff, VGPU_METHOD_BUFFERED), &cs, sizeof(cs), NULL, 0, &r),
		 VGPU_E_UNSUPPORTED);
	CHECK_EQ(call(&c, VGPU_IOCTL_GET_INFO, &info, sizeof(info), NULL, 0, &r), VGPU_OK);
	free(r.payload);
	client_close(&c);
}

static uint32_t make_buffer(struct client *c, uint64_t size)
{
	struct vgpu_context_create cc = { .capset_id = VGPU_CAPSET_VIRGL2 };
	struct vgpu_resource_create rc = { .target = 0 /* PIPE_BUFFER */,
					   .format = 64 /* R8_UNORM */,
					   .bind = VIRGL_BIND_VERTEX_BUFFER,
					   .width = (uint32_t)size,
					   .height = 1,
					   .depth = 1,
					   .array_size = 1,
					   .size = size };
	struct call_result r = { 0 };

	snprintf(cc.debug_name, sizeof(cc.debug_name), "test_sim_server");
	CHECK_EQ(call(c, VGPU_IOCTL_CONTEXT_CREATE, &cc, sizeof(cc), NULL, 0, &r), VGPU_OK);
	CHECK_EQ(call(c, VGPU_IOCTL_RESOURCE_CREATE, &rc, sizeof(rc), NULL, 0, &r), VGPU_OK);
	free(r.payload);
	return rc.handle;
}

static void test_map_gives_file_ranges(void)
{
	const uint64_t size = 3 * 4096 + 100;
	struct call_result r = { 0 }, again = { 0 };
	struct client c;
	struct vgpu_resource_map m = { 0 };
	uint64_t total = 0;
	uint8_t *view;

	CHECK(client_connect(sim.sock, &c));
	m.handle = make_buffer(&c, size);
	CHECK_EQ(call(&c, VGPU_IOCTL_RESOURCE_MAP, &m, sizeof(m), NULL, 0, &r), VGPU_OK);
	CHECK(m.size >= size && m.size % 4096 == 0);
	CHECK_EQ(m.address, 0); /* the client makes its own view */
	CHECK(r.reply.num_extents >= 1);
	for (uint32_t i = 0; i < r.reply.num_extents; i++) {
		CHECK(r.extents[i].offset % 4096 == 0);
		CHECK(r.extents[i].offset + r.extents[i].len <= TEST_MEM);
		total += r.extents[i].len;
	}
	CHECK_EQ(total, m.size);
	/* The pages are the resource's own and were zeroed for it. */
	view = mmap(NULL, r.extents[0].len, PROT_READ | PROT_WRITE, MAP_SHARED, c.mem_fd,
		    (off_t)r.extents[0].offset);
	CHECK(view != MAP_FAILED);
	if (view != MAP_FAILED) {
		CHECK(view[0] == 0 && view[r.extents[0].len - 1] == 0);
		munmap(view, r.extents[0].len);
	}
	/* Mapping again names the same ranges. */
	CHECK_EQ(call(&c, VGPU_IOCTL_RESOURCE_MAP, &m, sizeof(m), NULL, 0, &again), VGPU_OK);
	CHECK_EQ(again.reply.num_extents, r.reply.num_extents);
	CHECK(memcmp(again.extents, r.extents, r.reply.num_extents * sizeof(r.extents[0])) == 0);
	CHECK_EQ(call(&c, VGPU_IOCTL_RESOURCE_UNMAP, &m, sizeof(m), NULL, 0, &r), VGPU_OK);
	CHECK_EQ(r.reply.num_extents, 0);
	CHECK_EQ(call(&c, VGPU_IOCTL_RESOURCE_UNMAP, &m, sizeof(m), NULL, 0, &r), VGPU_E_STATE);
	free(r.payload);
	free(again.payload);
	client_close(&c);
}

/* A malformed header gets an error reply, then the server hangs up. */
static void expect_rejected(struct vgpu_sock_request req, int want)
{
	struct call_result r = { 0 };
	struct client c;

	CHECK(client_connect(sim.sock, &c));
	CHECK(send(c.fd, &req, sizeof(req), MSG_NOSIGNAL) == sizeof(req));
	CHECK(recv_result(c.fd, &r));
	CHECK_EQ(r.reply.status, want);
	CHECK(peer_closed(c.fd));
	free(r.payload);
	client_close(&c);
}

static void test_malformed_frames(void)
{
	expect_rejected((struct vgpu_sock_request){ 0x12345678, VGPU_IOCTL_GET_INFO, 48, 0 },
			VGPU_E_INVALID);
	expect_rejected((struct vgpu_sock_request){ VGPU_SOCK_MAGIC, VGPU_IOCTL_GET_INFO,
						    VGPU_SOCK_MAX_FIXED + 1, 0 },
			VGPU_E_BAD_SIZE);
	expect_rejected((struct vgpu_sock_request){ VGPU_SOCK_MAGIC, VGPU_IOCTL_SUBMIT, 24,
						    VGPU_MAX_SUBMIT_BYTES +
							    4 * VGPU_MAX_SUBMIT_HANDLES + 1 },
			VGPU_E_BAD_SIZE);
	/* The server itself is unharmed. */
	test_hello();
}

/* Well-framed requests the core refuses: their status, and the connection goes on. */
static void test_refused_requests_keep_connection(void)
{
	struct vgpu_get_info info = { .abi_major = VGPU_ABI_VERSION_MAJOR };
	struct vgpu_get_capset cs = { .capset_id = VGPU_CAPSET_VIRGL2 };
	struct vgpu_sock_request payload_on_buffered = { VGPU_SOCK_MAGIC, VGPU_IOCTL_GET_INFO,
							 sizeof(info), 1 };
	struct call_result r = { 0 };
	struct client c;

	CHECK(client_connect(sim.sock, &c));
	/* method bits 3, as in 0x222403, and all bits set: unknown calls */
	CHECK_EQ(call(&c, VGPU_CTL_CODE(0x900, 3), NULL, 0, NULL, 0, &r), VGPU_E_UNSUPPORTED);
	CHECK_EQ(call(&c, 0xFFFFFFFFu, &cs, sizeof(cs), NULL, 16, &r), VGPU_E_UNSUPPORTED);
	/* a buffered call's payload_size is a size error; no payload bytes follow */
	CHECK(send_frame(c.fd, &payload_on_buffered, &info, NULL, 0));
	CHECK(recv_result(c.fd, &r));
	CHECK_EQ(r.reply.status, VGPU_E_BAD_SIZE);
	/* a capset buffer larger than any capset is fine */
	CHECK_EQ(call(&c, VGPU_IOCTL_GET_CAPSET, &cs, sizeof(cs), NULL, VGPU_MAX_CAPSET_BYTES + 1,
		      &r),
		 VGPU_OK);
	CHECK(r.reply.payload_size > 1000 && r.reply.payload_size <= VGPU_MAX_CAPSET_BYTES);
	CHECK_EQ(call(&c, VGPU_IOCTL_GET_CAPSET, &cs, sizeof(cs), NULL, 0xFFFFFFFFu, &r), VGPU_OK);
	CHECK_EQ(call(&c, VGPU_IOCTL_GET_INFO, &info, sizeof(info), NULL, 0, &r), VGPU_OK);
	free(r.payload);
	client_close(&c);
}

/* The sim's limit of clients at once (SERVER_MAX_CONNS) and its stall timeout (CONN_STALL_MS). */
#define SIM_MAX_CONNS 256
#define SIM_STALL_MS 5000

/* The server hangs up on `fd` within `ms`. */
static bool closed_within(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char byte;

	return poll(&pfd, 1, ms) == 1 && recv(fd, &byte, 1, 0) == 0;
}

static int get_info(struct client *c)
{
	struct vgpu_get_info info = { .abi_major = VGPU_ABI_VERSION_MAJOR };
	struct call_result r = { 0 };
	int ret = call(c, VGPU_IOCTL_GET_INFO, &info, sizeof(info), NULL, 0, &r);

	free(r.payload);
	return ret;
}

/* Half a frame, then nothing: dropped after the stall timeout; an idle client is not. */
static void test_stalled_frame_dropped(void)
{
	struct vgpu_sock_request req = { VGPU_SOCK_MAGIC, VGPU_IOCTL_GET_INFO, 48, 0 };
	struct client idle, stalled;

	CHECK(client_connect(sim.sock, &idle));
	CHECK(client_connect(sim.sock, &stalled));
	CHECK(send(stalled.fd, &req, 8, MSG_NOSIGNAL) == 8);
	CHECK(!closed_within(stalled.fd, SIM_STALL_MS / 2));
	CHECK(closed_within(stalled.fd, SIM_STALL_MS + 5000));
	CHECK_EQ(get_info(&idle), VGPU_OK);
	client_close(&stalled);
	client_close(&idle);
}

/*
 * As many idle sockets as the sim takes do not lock anyone out: a new client
 * takes the place of the one idle longest, and a client holding objects
 * keeps its place.
 */
static void test_idle_clients_do_not_lock_out(void)
{
	static struct client idle[SIM_MAX_CONNS];
	struct client holder, late;
	uint32_t connected = 0;

	CHECK(client_connect(sim.sock, &holder));
	CHECK(make_buffer(&holder, 4096) != 0);
	for (uint32_t i = 0; i < SIM_MAX_CONNS && client_connect(sim.sock, &idle[i]); i++) {
		/* fewer descriptors in this process: the socket is all we need */
		close(idle[i].mem_fd);
		idle[i].mem_fd = -1;
		connected++;
	}
	CHECK_EQ(connected, SIM_MAX_CONNS);
	CHECK(client_connect(sim.sock, &late));
	CHECK_EQ(get_info(&late), VGPU_OK);
	CHECK(closed_within(idle[0].fd, 5000));
	CHECK(closed_within(idle[1].fd, 5000));
	CHECK_EQ(get_info(&idle[connected - 1]), VGPU_OK);
	CHECK_EQ(get_info(&holder), VGPU_OK);
	client_close(&late);
	for (uint32_t i = 0; i < connected; i++)
		client_close(&idle[i]);
	client_close(&holder);
}

static bool stats_settle(struct client *c, uint32_t files, uint32_t resources, int within_ms)
{
	for (int waited = 0; waited < within_ms; waited += 10) {
		struct vgpu_get_stats st = { 0 };
		struct call_result r = { 0 };

		if (call(c, VGPU_IOCTL_GET_STATS, &st, sizeof(st), NULL, 0, &r) == VGPU_OK &&
		    st.open_files == files && st.resources == resources && st.contexts == 0)
			return true;
		usleep(10000);
	}
	return false;
}

static void test_client_death_cleans_up(void)
{
	struct client dying, watcher;
	struct vgpu_resource_map m = { 0 };
	struct call_result r = { 0 };

	CHECK(client_connect(sim.sock, &watcher));
	CHECK(client_connect(sim.sock, &dying));
	m.handle = make_buffer(&dying, 65536);
	CHECK_EQ(call(&dying, VGPU_IOCTL_RESOURCE_MAP, &m, sizeof(m), NULL, 0, &r), VGPU_OK);
	/* Half a frame, then gone. */
	CHECK(send(dying.fd, "GPUS", 4, MSG_NOSIGNAL) == 4);
	client_close(&dying);
	CHECK(stats_settle(&watcher, 1, 0, 3000));
	free(r.payload);
	client_close(&watcher);
}

static void test_sigterm_cleans_up(void)
{
	int status;

	CHECK(kill(sim.pid, SIGTERM) == 0);
	status = sim_reap(&sim);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(access(sim.sock, F_OK) != 0);
	CHECK(access(mem_path, F_OK) != 0);
	CHECK(backend_pid > 0 && process_gone(backend_pid));
}

static void test_backend_death_is_device_lost(void)
{
	struct vgpu_get_info info = { .abi_major = VGPU_ABI_VERSION_MAJOR };
	struct vgpu_get_capset cs = { .capset_id = VGPU_CAPSET_VIRGL };
	struct call_result r = { 0 };
	struct client c;
	int status;

	CHECK(sim_launch(&sim, NULL));
	CHECK(sim_wait_ready(&sim));
	backend_pid = child_of(sim.pid);
	CHECK(client_connect(sim.sock, &c));
	CHECK(backend_pid > 0 && kill(backend_pid, SIGKILL) == 0);
	CHECK(process_gone(backend_pid));
	usleep(100000);
	CHECK_EQ(call(&c, VGPU_IOCTL_GET_CAPSET, &cs, sizeof(cs), NULL, VGPU_MAX_CAPSET_BYTES, &r),
		 VGPU_E_DEVICE_LOST);
	/* Calls that need no device still answer. */
	CHECK_EQ(call(&c, VGPU_IOCTL_GET_INFO, &info, sizeof(info), NULL, 0, &r), VGPU_OK);
	client_close(&c);
	/* The sim does not restart its device: a new client is told the same, not refused. */
	CHECK(client_connect(sim.sock, &c));
	CHECK_EQ(call(&c, VGPU_IOCTL_GET_CAPSET, &cs, sizeof(cs), NULL, VGPU_MAX_CAPSET_BYTES, &r),
		 VGPU_E_DEVICE_LOST);
	CHECK_EQ(call(&c, VGPU_IOCTL_GET_INFO, &info, sizeof(info), NULL, 0, &r), VGPU_OK);
	client_close(&c);
	CHECK(kill(sim.pid, SIGTERM) == 0);
	status = sim_reap(&sim);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(access(sim.sock, F_OK) != 0);
	free(r.payload);
}

/* Bad options and a backend that cannot run: a message, exit status, no leftovers. */
static void test_startup_failures(void)
{
	static const char *const bad_device[] = { "--device", "mvisor", NULL };
	static const char *const bad_backend[] = { "--backend", "/nonexistent/vhost-user-gpu",
						   NULL };
	static const char *const dying_backend[] = { "--backend", "/bin/false", NULL };
	int status;

	CHECK(sim_launch(&sim, bad_device));
	status = sim_reap(&sim);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 2);

	CHECK(sim_launch(&sim, bad_backend));
	CHECK(!sim_wait_ready(&sim));
	status = sim_reap(&sim);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	CHECK(access(sim.sock, F_OK) != 0);

	CHECK(sim_launch(&sim, dying_backend));
	CHECK(!sim_wait_ready(&sim));
	status = sim_reap(&sim);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
}

/* The device model's region: its descriptor with the hello, and a path that opens the same file. */
static void test_hello_with_region(void)
{
	static const char *const model[] = { "--device", "model", NULL };
	const uint64_t region_bytes = 256ull << 20;
	struct client c;
	struct stat st;
	char byte = 0;
	int by_path, status;

	CHECK(getenv("VGPU_DEVMODEL") != NULL);
	CHECK(sim_launch(&sim, model));
	CHECK(sim_wait_ready(&sim));
	CHECK(client_connect(sim.sock, &c));
	CHECK_EQ(c.hello.region_size, region_bytes);
	CHECK(c.region_fd >= 0 && fstat(c.region_fd, &st) == 0 &&
	      (uint64_t)st.st_size == region_bytes);
	CHECK(memchr(c.hello.region_path, 0, sizeof(c.hello.region_path)) != NULL);
	by_path = open(c.hello.region_path, O_RDWR | O_CLOEXEC);
	CHECK(by_path >= 0);
	if (by_path >= 0 && c.region_fd >= 0) {
		CHECK_EQ(pwrite(c.region_fd, "v", 1, 12345), 1);
		CHECK_EQ(pread(by_path, &byte, 1, 12345), 1);
		CHECK_EQ(byte, 'v');
		close(by_path);
	}
	client_close(&c);
	CHECK(kill(sim.pid, SIGTERM) == 0);
	status = sim_reap(&sim);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A sim on the device model, which never answers a submit. */
static bool launch_dropping_submits(void)
{
	static const char *const model[] = { "--device", "model", NULL };
	bool ok;

	setenv("VGPU_DEVMODEL_FAULTS", "drop,cmd=SUBMIT_3D", 1);
	ok = sim_launch(&sim, model);
	unsetenv("VGPU_DEVMODEL_FAULTS");
	return ok && sim_wait_ready(&sim);
}

/*
 * A submit signalling fence 1 (the client has a context), then a WAIT for
 * it sent: under way, since the device never answers the submit.
 */
static void start_endless_wait(struct client *c)
{
	struct {
		struct vgpu_submit s;
		uint32_t nop; /* VIRGL_CCMD_NOP, no operands */
	} submit = { .s = { .size = 4, .signal = 1 } };
	struct vgpu_wait w = { .kind = VGPU_WAIT_FENCE,
			       .value = 1,
			       .timeout_ns = VGPU_MAX_WAIT_NS };
	struct vgpu_sock_request req = { VGPU_SOCK_MAGIC, VGPU_IOCTL_WAIT, sizeof(w), 0 };
	struct call_result r = { 0 };

	CHECK_EQ(call(c, VGPU_IOCTL_SUBMIT, &submit.s, sizeof(submit.s), &submit.nop,
		      sizeof(submit.nop), &r),
		 VGPU_OK);
	free(r.payload);
	CHECK(send_frame(c->fd, &req, &w, NULL, 0));
	CHECK_EQ(poll(&(struct pollfd){ .fd = c->fd, .events = POLLIN }, 1, 300), 0);
}

static void stop_sim(void)
{
	int status;

	CHECK(kill(sim.pid, SIGTERM) == 0);
	status = sim_reap(&sim);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/*
 * A client that hangs up while its WAIT waits frees its connection and file
 * at once, not when the wait would have timed out (a minute).
 */
static void test_hang_up_ends_wait(void)
{
	struct client waiter, watcher;

	CHECK(launch_dropping_submits());
	CHECK(client_connect(sim.sock, &watcher));
	CHECK(client_connect(sim.sock, &waiter));
	make_buffer(&waiter, 4096);
	start_endless_wait(&waiter);
	client_close(&waiter);
	/* closing gives the file's last submit the command timeout (5 s) to finish */
	CHECK(stats_settle(&watcher, 1, 0, 15000));
	client_close(&watcher);
	stop_sim();
}

static struct vgpu_get_stats get_stats(struct client *c)
{
	struct vgpu_get_stats st = { 0 };
	struct call_result r = { 0 };

	CHECK_EQ(call(c, VGPU_IOCTL_GET_STATS, &st, sizeof(st), NULL, 0, &r), VGPU_OK);
	free(r.payload);
	return st;
}

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

	CHECK(launch_dropping_submits());
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
	stop_sim();
}

/* None of our runs may leave guest memory files behind. */
static void test_no_shm_left(void)
{
	DIR *dir = opendir("/dev/shm");
	struct dirent *de;
	char prefix[64];
	int left = 0;

	CHECK(dir != NULL);
	snprintf(prefix, sizeof(prefix), "vgpu-sim-%ld-", (long)sim.pid);
	while (dir && (de = readdir(dir)) != NULL)
		left += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	if (dir)
		closedir(dir);
	CHECK_EQ(left, 0);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-TO-vgpu-sim\n", argv[0]);
		return 2;
	}
	sim_exe = argv[1];
	signal(SIGPIPE, SIG_IGN);
	RUN(test_ready);
	RUN(test_hello);
	RUN(test_get_info_and_capset);
	RUN(test_map_gives_file_ranges);
	RUN(test_malformed_frames);
	RUN(test_refused_requests_keep_connection);
	RUN(test_stalled_frame_dropped);
	RUN(test_idle_clients_do_not_lock_out);
	RUN(test_client_death_cleans_up);
	RUN(test_sigterm_cleans_up);
	RUN(test_backend_death_is_device_lost);
	RUN(test_startup_failures);
	RUN(test_hello_with_region);
	RUN(test_hang_up_ends_wait);
	RUN(test_join_serves_the_handle);
	RUN(test_no_shm_left);
	return tap_done();
}
