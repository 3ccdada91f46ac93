/* SPDX-License-Identifier: MIT */
/*
 * The socket framing of the ABI, server side.  Every request header is
 * checked before anything else is read or allocated.  A frame the server
 * cannot read (bad magic, an oversized fixed struct or IN_DIRECT payload)
 * gets an error reply and ends its connection: the stream can no longer be
 * trusted.  Any other request, unknown codes and wrong sizes included, is
 * answered by the core and the connection goes on.
 */
#include "conn.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "file_share.h"
#include "frame_reader.h"
#include "scm_rights.h"
#include "vgpu/vgpu_socket.h"

#define MAX_IN_PAYLOAD (VGPU_MAX_SUBMIT_BYTES + 4u * VGPU_MAX_SUBMIT_HANDLES)
#define MAX_OUT_PAYLOAD VGPU_MAX_CAPSET_BYTES

union fixed_buf {
	uint64_t align;
	uint8_t bytes[VGPU_SOCK_MAX_FIXED];
};

/* One request in flight: what was read and what goes back. */
struct exchange {
	struct vgpu_sock_request req;
	union fixed_buf fixed;
	uint8_t *payload;
	uint32_t payload_size; /* what the core is offered: OUT_DIRECT's capacity capped */
	struct vgpu_sock_reply reply;
	struct vgpu_sock_extent *extents;
};

/*
 * With VGPU_SIM_STATS set, each connection says at its end how long the sim
 * spent handling its calls (the core and the device, what a Windows guest
 * also has), so that a client's round trips can be split into that and the
 * socket hop that only the sim adds.
 */
struct handling {
	bool wanted;
	uint64_t calls;
	uint64_t ns;
};

int64_t conn_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void report_handling(const struct handling *h)
{
	if (!h->wanted)
		return;
	printf("vgpu-sim: stats: %llu calls handled in %.3f ms\n", (unsigned long long)h->calls,
	       (double)h->ns / 1e6);
	fflush(stdout);
}

/* Send all of `iov`; the `nfds` descriptors ride with the first byte. */
static int send_full(int fd, struct iovec *iov, int iovcnt, const int *fds, unsigned nfds)
{
	union scm_rights_buf cbuf;

	while (iovcnt > 0) {
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)iovcnt };
		ssize_t n;

		if (scm_rights_attach(&mh, &cbuf, fds, nfds) != 0)
			return -1;
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		nfds = 0;
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

/* Over TCP the descriptors are dropped by the kernel: such clients open the paths. */
static int send_hello(struct conn *conn)
{
	struct vgpu_sock_hello hello = { .magic = VGPU_SOCK_MAGIC, .version = VGPU_SOCK_VERSION };
	struct iovec iov = { .iov_base = &hello, .iov_len = sizeof(hello) };
	int fds[2] = { guest_mem_fd(conn->mem), -1 };
	unsigned nfds = 1;

	hello.mem_size = guest_mem_size(conn->mem);
	snprintf(hello.mem_path, sizeof(hello.mem_path), "%s", guest_mem_path(conn->mem));
	if (host_region_present(conn->region)) {
		hello.region_size = conn->region->size;
		snprintf(hello.region_path, sizeof(hello.region_path), "%s", conn->region->path);
		fds[nfds++] = conn->region->fd;
	}
	return send_full(conn->fd, &iov, 1, fds, nfds);
}

/* The frame rules: what bounds the bytes that follow the header, all of which must be read. */
static int check_header(const struct vgpu_sock_request *req)
{
	if (req->magic != VGPU_SOCK_MAGIC)
		return VGPU_E_INVALID;
	if (req->in_size > VGPU_SOCK_MAX_FIXED)
		return VGPU_E_BAD_SIZE;
	if (VGPU_CTL_METHOD(req->code) == VGPU_METHOD_IN_DIRECT &&
	    req->payload_size > MAX_IN_PAYLOAD)
		return VGPU_E_BAD_SIZE;
	return VGPU_OK;
}

static int send_reply(struct conn *conn, struct exchange *x)
{
	struct iovec iov[4] = {
		{ .iov_base = &x->reply, .iov_len = sizeof(x->reply) },
		{ .iov_base = x->fixed.bytes, .iov_len = x->reply.out_size },
		{ .iov_base = x->payload, .iov_len = x->reply.payload_size },
		{ .iov_base = x->extents,
		  .iov_len = x->reply.num_extents * sizeof(struct vgpu_sock_extent) },
	};

	x->reply.magic = VGPU_SOCK_MAGIC;
	return send_full(conn->fd, iov, 4, NULL, 0);
}

static int send_error(struct conn *conn, int status)
{
	struct exchange x = { .reply = { .status = status } };

	return send_reply(conn, &x);
}

/*
 * Read the fixed struct and, for IN_DIRECT, the payload; make room for
 * OUT_DIRECT's, which never needs more than the largest capset.  Other
 * methods carry no payload bytes: the core judges their payload_size.
 */
static int read_body(struct conn *conn, struct exchange *x)
{
	uint32_t method = VGPU_CTL_METHOD(x->req.code);

	if (frame_reader_read(&conn->reader, x->fixed.bytes, x->req.in_size, true) != 0)
		return -1;
	x->payload_size = x->req.payload_size;
	if (method == VGPU_METHOD_OUT_DIRECT && x->payload_size > MAX_OUT_PAYLOAD)
		x->payload_size = MAX_OUT_PAYLOAD;
	if (x->payload_size == 0 ||
	    (method != VGPU_METHOD_IN_DIRECT && method != VGPU_METHOD_OUT_DIRECT))
		return 0;
	x->payload = method == VGPU_METHOD_IN_DIRECT ? malloc(x->payload_size)
						     : calloc(1, x->payload_size);
	if (!x->payload) {
		send_error(conn, VGPU_E_NO_MEMORY);
		return -1;
	}
	if (method == VGPU_METHOD_IN_DIRECT)
		return frame_reader_read(&conn->reader, x->payload, x->payload_size, true);
	return 0;
}

/* A successful MAP: the client needs the file and its ranges, not our cookie. */
static void attach_extents(struct conn *conn, struct exchange *x)
{
	struct vgpu_resource_map *map = (struct vgpu_resource_map *)x->fixed.bytes;
	struct user_map_kind kind;
	uint32_t n;

	if (x->reply.out_size < sizeof(*map))
		return;
	if (user_maps_lookup(&conn->share->maps, map->address, &x->extents, &n, &kind) != 0) {
		x->reply.status = VGPU_E_NO_MEMORY;
		return;
	}
	x->reply.num_extents = n;
	x->reply.mem_file = kind.file;
	map->address = 0;
}

static void run_call(struct conn *conn, struct exchange *x)
{
	bool buffered = VGPU_CTL_METHOD(x->req.code) == VGPU_METHOD_BUFFERED;
	struct vgpu_ioctl_bufs bufs = {
		.in = x->fixed.bytes,
		.in_size = x->req.in_size,
		/* Like Windows' SystemBuffer: a buffered call's struct goes back in place. */
		.out = buffered ? x->fixed.bytes : NULL,
		.out_size = buffered ? x->req.in_size : 0,
		.payload = x->payload,
		.payload_size = x->payload_size,
		.call = &conn->fd, /* for sim_call_interrupted */
	};
	bool out_direct = VGPU_CTL_METHOD(x->req.code) == VGPU_METHOD_OUT_DIRECT;

	x->reply.status = recorder_ioctl(conn->share->rec, conn->share->file, x->req.code, &bufs);
	x->reply.out_size = bufs.out_written <= bufs.out_size ? bufs.out_written : 0;
	if (out_direct && bufs.payload_written <= x->payload_size)
		x->reply.payload_size = bufs.payload_written;
	if (x->reply.status == VGPU_OK && x->req.code == VGPU_IOCTL_RESOURCE_MAP)
		attach_extents(conn, x);
}

/* JOIN_TOKEN: the token of the handle this connection serves. */
static void give_token(struct conn *conn, struct exchange *x)
{
	if (x->req.in_size != sizeof(struct vgpu_sock_join)) {
		x->reply.status = VGPU_E_BAD_SIZE;
		return;
	}
	x->reply.status = file_share_token(conn->shares, conn->share,
					   (struct vgpu_sock_join *)x->fixed.bytes);
	if (x->reply.status == VGPU_OK)
		x->reply.out_size = sizeof(struct vgpu_sock_join);
}

/*
 * JOIN: serve the handle the token names from now on, in place of the one
 * opened for this connection, which nothing has used yet.
 */
static void join(struct conn *conn, struct exchange *x)
{
	struct file_share *joined;

	if (x->req.in_size != sizeof(struct vgpu_sock_join)) {
		x->reply.status = VGPU_E_BAD_SIZE;
		return;
	}
	if (conn->requests != 1) {
		x->reply.status = VGPU_E_STATE;
		return;
	}
	joined = file_share_join(conn->shares, (const struct vgpu_sock_join *)x->fixed.bytes);
	if (!joined) {
		x->reply.status = VGPU_E_BAD_HANDLE;
		return;
	}
	file_share_put(conn->shares, conn->share);
	conn->share = joined;
	/* The handle may hold objects: never dropped for being idle (server_accept). */
	atomic_store(&conn->has_context, true);
	x->reply.status = VGPU_OK;
}

static void run_request(struct conn *conn, struct exchange *x)
{
	if (x->req.code == VGPU_SOCK_JOIN_TOKEN) {
		give_token(conn, x);
		return;
	}
	if (x->req.code == VGPU_SOCK_JOIN) {
		join(conn, x);
		return;
	}
	run_call(conn, x);
	/* A handle's one context lives until it closes; resources need it. */
	if (x->req.code == VGPU_IOCTL_CONTEXT_CREATE && x->reply.status == VGPU_OK)
		atomic_store(&conn->has_context, true);
}

/* One request and its reply; false ends the connection. */
static bool serve_one(struct conn *conn, int open_status, struct handling *handling)
{
	struct exchange x = { 0 };
	bool keep = false;
	int64_t start = 0;
	int status;

	atomic_store(&conn->idle_since, conn_now_ns());
	atomic_store(&conn->between_frames, !frame_reader_has_bytes(&conn->reader));
	if (frame_reader_read(&conn->reader, &x.req, sizeof(x.req), false) != 0)
		return false;
	atomic_store(&conn->between_frames, false);
	status = check_header(&x.req);
	if (status != VGPU_OK) {
		send_error(conn, status);
		return false;
	}
	if (read_body(conn, &x) != 0)
		goto out;
	conn->requests++;
	if (handling->wanted)
		start = conn_now_ns();
	if (conn->share)
		run_request(conn, &x);
	else
		x.reply.status = open_status;
	if (handling->wanted) {
		handling->calls++;
		handling->ns += (uint64_t)(conn_now_ns() - start);
	}
	keep = send_reply(conn, &x) == 0;
out:
	free(x.payload);
	free(x.extents);
	return keep;
}

void *conn_main(void *arg)
{
	struct conn *conn = arg;
	struct timeval stall = { .tv_sec = CONN_STALL_MS / 1000 };
	struct handling handling = { .wanted = getenv("VGPU_SIM_STATS") != NULL };
	int open_status;

	/* A client that does not read its replies must not hold this thread forever. */
	setsockopt(conn->fd, SOL_SOCKET, SO_SNDTIMEO, &stall, sizeof(stall));
	frame_reader_init(&conn->reader, conn->fd, CONN_STALL_MS);
	/* A handle that cannot be opened is reported on every request instead. */
	conn->share = NULL;
	open_status = file_share_open(conn->shares, conn->dev, conn->mem, &conn->share);
	if (send_hello(conn) == 0) {
		while (serve_one(conn, open_status, &handling))
			;
	}
	report_handling(&handling);
	/* The client sees the end now; the descriptor goes when the thread is reaped. */
	shutdown(conn->fd, SHUT_RDWR);
	if (conn->share)
		file_share_put(conn->shares, conn->share);
	atomic_store(&conn->done, true);
	return NULL;
}
