/* SPDX-License-Identifier: MIT */
/*
 * vgpu-sim as a process for the sim's tests, and a raw client of its
 * socket: frames built by hand, replies read as they come.  Header-only, so
 * that the helpers' checks count in the test that includes it (tap.h).
 */
#ifndef VGPU_TESTS_SIM_CLIENT_H
#define VGPU_TESTS_SIM_CLIENT_H

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "vgpu/vgpu_socket.h"

#define READY_TIMEOUT_MS 20000
#define EXIT_TIMEOUT_MS 10000
#define VIRGL_BIND_VERTEX_BUFFER (1u << 4)

struct sim_proc {
	const char *exe; /* vgpu-sim */
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

/* The one argument, vgpu-sim's path; a peer's close must not kill the test. */
static inline bool sim_from_args(int argc, char **argv, struct sim_proc *sim)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-TO-vgpu-sim\n", argv[0]);
		return false;
	}
	sim->exe = argv[1];
	signal(SIGPIPE, SIG_IGN);
	return true;
}

static inline bool read_line(int fd, char *buf, size_t size, int timeout_ms)
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
static inline bool sim_launch(struct sim_proc *sim, const char *const *extra)
{
	const char *argv[16] = { sim->exe, "--socket", sim->sock, "--mem", "64M" };
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
		execv(sim->exe, (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	sim->out_fd = out[0];
	return sim->pid > 0;
}

static inline bool sim_wait_ready(struct sim_proc *sim)
{
	char want[200];

	snprintf(want, sizeof(want), "vgpu-sim: ready on %s", sim->sock);
	return read_line(sim->out_fd, sim->line, sizeof(sim->line), READY_TIMEOUT_MS) &&
	       strcmp(sim->line, want) == 0;
}

/* Wait for exit (bounded, then SIGKILL); returns the wait status. */
static inline int sim_reap(struct sim_proc *sim)
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

/* ---- the raw client ---- */

static inline bool recv_full(int fd, void *buf, size_t len)
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
static inline bool recv_hello(struct client *c)
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

static inline bool client_connect(const char *path, struct client *c)
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

static inline void client_close(struct client *c)
{
	if (c->mem_fd >= 0)
		close(c->mem_fd);
	if (c->region_fd >= 0)
		close(c->region_fd);
	close(c->fd);
}

static inline bool send_frame(int fd, const struct vgpu_sock_request *req, const void *in,
			      const void *payload, uint32_t payload_len)
{
	return send(fd, req, sizeof(*req), MSG_NOSIGNAL) == sizeof(*req) &&
	       (!req->in_size ||
		send(fd, in, req->in_size, MSG_NOSIGNAL) == (ssize_t)req->in_size) &&
	       (!payload_len ||
		send(fd, payload, payload_len, MSG_NOSIGNAL) == (ssize_t)payload_len);
}

static inline bool recv_result(int fd, struct call_result *r)
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
static inline int call(struct client *c, uint32_t code, void *in, uint32_t in_size,
		       const void *payload, uint32_t payload_size, struct call_result *r)
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

static inline uint32_t make_buffer(struct client *c, uint64_t size)
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

static inline int get_info(struct client *c)
{
	struct vgpu_get_info info = { .abi_major = VGPU_ABI_VERSION_MAJOR };
	struct call_result r = { 0 };
	int ret = call(c, VGPU_IOCTL_GET_INFO, &info, sizeof(info), NULL, 0, &r);

	free(r.payload);
	return ret;
}

static inline bool stats_settle(struct client *c, uint32_t files, uint32_t resources, int within_ms)
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

/* A sim on the device model, which never answers a submit. */
static inline bool launch_dropping_submits(struct sim_proc *sim)
{
	static const char *const model[] = { "--device", "model", NULL };
	bool ok;

	setenv("VGPU_DEVMODEL_FAULTS", "drop,cmd=SUBMIT_3D", 1);
	ok = sim_launch(sim, model);
	unsetenv("VGPU_DEVMODEL_FAULTS");
	return ok && sim_wait_ready(sim);
}

/*
 * A submit signalling fence 1 (the client has a context), then a WAIT for
 * it sent: under way, since the device never answers the submit.
 */
static inline void start_endless_wait(struct client *c)
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

static inline void stop_sim(struct sim_proc *sim)
{
	int status;

	CHECK(kill(sim->pid, SIGTERM) == 0);
	status = sim_reap(sim);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static inline struct vgpu_get_stats get_stats(struct client *c)
{
	struct vgpu_get_stats st = { 0 };
	struct call_result r = { 0 };

	CHECK_EQ(call(c, VGPU_IOCTL_GET_STATS, &st, sizeof(st), NULL, 0, &r), VGPU_OK);
	free(r.payload);
	return st;
}

#endif /* VGPU_TESTS_SIM_CLIENT_H */
