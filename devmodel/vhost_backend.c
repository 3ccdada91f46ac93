/* SPDX-License-Identifier: MIT */
/*
 * vhost-user, back-end side.  Messages are a 12-byte header {request,
 * flags, size} and `size` bytes of payload; descriptors ride along in
 * SCM_RIGHTS.  The message numbers and payloads are shared with our
 * front-end (lib/posix/vhost_user_wire.h).
 */
#include "vhost_backend.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "scm_rights.h"

#define FLAG_VERSION 0x1u
#define FLAG_VERSION_MASK 0x3u
#define FLAG_REPLY 0x4u
#define FLAG_NEED_REPLY 0x8u
#define MAX_PAYLOAD 4096u
/* SET_VRING_KICK/CALL payload: bits 0-7 queue index, bit 8 "no descriptor". */
#define VRING_INDEX_MASK 0xffu
#define VRING_NOFD_MASK 0x100u
#define CONFIG_HEADER_SIZE ((uint32_t)offsetof(struct vhost_user_config, data))
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29

struct msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	union {
		uint64_t u64;
		struct vhost_user_vring_state state;
		struct vhost_user_vring_addr addr;
		struct vhost_user_mem_table mem;
		struct vhost_user_config config;
		uint8_t bytes[MAX_PAYLOAD];
	} payload;
	int fds[VHOST_USER_MAX_FDS];
	unsigned nfds;
};

void vhost_backend_init(struct vhost_backend *vb, int sock, const struct vhost_backend_ops *ops,
			void *dev, bool verbose)
{
	memset(vb, 0, sizeof(*vb));
	vb->sock = sock;
	vb->ops = ops;
	vb->dev = dev;
	vb->verbose = verbose;
	for (unsigned i = 0; i < VHOST_BACKEND_NUM_QUEUES; i++) {
		vb->queues[i].kick_fd = -1;
		vb->queues[i].call_fd = -1;
	}
}

static void stop_queue(struct vhost_backend *vb, unsigned index)
{
	struct vb_queue *q = &vb->queues[index];

	if (q->started)
		vb->ops->stopped(vb->dev, index);
	q->started = false;
}

void vhost_backend_fini(struct vhost_backend *vb)
{
	for (unsigned i = 0; i < VHOST_BACKEND_NUM_QUEUES; i++) {
		stop_queue(vb, i);
		if (vb->queues[i].kick_fd >= 0)
			close(vb->queues[i].kick_fd);
		if (vb->queues[i].call_fd >= 0)
			close(vb->queues[i].call_fd);
		vb->queues[i].kick_fd = vb->queues[i].call_fd = -1;
	}
	guest_map_clear(&vb->mem);
}

static void close_fds(struct msg *m)
{
	for (unsigned i = 0; i < m->nfds; i++)
		close(m->fds[i]);
	m->nfds = 0;
}

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The header carries the descriptors; the payload follows (blocking: the peer sent it whole). */
static int recv_msg(int sock, struct msg *m)
{
	union scm_rights_buf cbuf;
	struct iovec iov = { .iov_base = m, .iov_len = 12 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	m->nfds = 0;
	do {
		scm_rights_prepare(&mh, &cbuf);
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	} while (n < 0 && errno == EINTR);
	if (n > 0)
		scm_rights_take(&mh, m->fds, VHOST_USER_MAX_FDS, &m->nfds);
	if (n != 12 || (m->flags & FLAG_VERSION_MASK) != FLAG_VERSION || m->size > MAX_PAYLOAD) {
		close_fds(m);
		return -EPIPE;
	}
	if (read_full(sock, &m->payload, m->size)) {
		close_fds(m);
		return -EPIPE;
	}
	return 0;
}

static int send_reply(struct vhost_backend *vb, const struct msg *req, const void *payload,
		      uint32_t size, int fd)
{
	union scm_rights_buf cbuf;
	struct {
		uint32_t request, flags, size;
	} hdr = {
		.request = req->request,
		.flags = FLAG_VERSION | FLAG_REPLY,
		.size = size,
	};
	struct iovec iov[2] = {
		{ .iov_base = &hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)payload, .iov_len = size },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = size ? 2 : 1 };
	ssize_t n;

	scm_rights_attach(&mh, &cbuf, &fd, fd >= 0 ? 1 : 0);
	do {
		n = sendmsg(vb->sock, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n == (ssize_t)(sizeof(hdr) + size) ? 0 : -EPIPE;
}

static int reply_u64(struct vhost_backend *vb, const struct msg *req, uint64_t value)
{
	return send_reply(vb, req, &value, sizeof(value), -1);
}

static bool payload_is(const struct msg *m, uint32_t size)
{
	return m->size == size;
}

static struct vb_queue *queue_of(struct vhost_backend *vb, uint32_t index)
{
	return index < VHOST_BACKEND_NUM_QUEUES ? &vb->queues[index] : NULL;
}

static int set_mem_table(struct vhost_backend *vb, struct msg *m)
{
	struct guest_region_desc descs[GUEST_MAP_MAX_REGIONS];
	const struct vhost_user_mem_table *t = &m->payload.mem;
	unsigned n = t->nregions;

	if (m->size < offsetof(struct vhost_user_mem_table, regions) || n == 0 ||
	    n > VHOST_USER_MAX_REGIONS || n > GUEST_MAP_MAX_REGIONS || m->nfds != n ||
	    m->size < offsetof(struct vhost_user_mem_table, regions) + n * sizeof(t->regions[0]))
		return -EINVAL;
	/* The rings point into the old table: a new one means they restart. */
	for (unsigned i = 0; i < VHOST_BACKEND_NUM_QUEUES; i++)
		stop_queue(vb, i);
	for (unsigned i = 0; i < n; i++) {
		descs[i].gpa = t->regions[i].guest_phys_addr;
		descs[i].size = t->regions[i].size;
		descs[i].user_addr = t->regions[i].user_addr;
		descs[i].mmap_offset = t->regions[i].mmap_offset;
	}
	return guest_map_set(&vb->mem, descs, m->fds, n);
}

void *vhost_backend_gpa(void *ctx, uint64_t gpa, uint64_t len)
{
	struct vhost_backend *vb = ctx;

	return guest_map_gpa(&vb->mem, gpa, len);
}

/* A queue runs once it has rings, a kick descriptor and is enabled. */
static int maybe_start(struct vhost_backend *vb, unsigned index)
{
	struct vb_queue *q = &vb->queues[index];
	uint64_t desc, avail, used;
	int err;

	if (q->started || !q->enabled || q->kick_fd < 0 || !q->num)
		return 0;
	if (!guest_map_user_to_gpa(&vb->mem, q->desc_ua, 16ull * q->num, &desc) ||
	    !guest_map_user_to_gpa(&vb->mem, q->avail_ua, 6ull + 2ull * q->num, &avail) ||
	    !guest_map_user_to_gpa(&vb->mem, q->used_ua, 6ull + 8ull * q->num, &used))
		return -EINVAL;
	err = vring_dev_init(&q->ring, q->num, desc, avail, used,
			     vb->features & (1ull << VIRTIO_F_INDIRECT_DESC),
			     vb->features & (1ull << VIRTIO_F_EVENT_IDX), vhost_backend_gpa, vb);
	if (err)
		return -EINVAL;
	q->ring.last_avail = q->base;
	q->ring.used_idx = q->base;
	q->ring.signalled = q->base;
	q->started = true;
	/* Requests made available before the start are waiting already. */
	vb->ops->kicked(vb->dev, index);
	return 0;
}

static int set_vring_fd(struct vhost_backend *vb, struct msg *m, bool kick)
{
	struct vb_queue *q;
	int *slot;

	if (!payload_is(m, sizeof(uint64_t)))
		return -EINVAL;
	q = queue_of(vb, m->payload.u64 & VRING_INDEX_MASK);
	if (!q || (m->payload.u64 & VRING_NOFD_MASK) || m->nfds != 1)
		return -EINVAL;
	slot = kick ? &q->kick_fd : &q->call_fd;
	if (*slot >= 0)
		close(*slot);
	*slot = m->fds[0];
	m->nfds = 0;
	return kick ? maybe_start(vb, (unsigned)(q - vb->queues)) : 0;
}

static int vring_state(struct vhost_backend *vb, struct msg *m, struct vb_queue **q)
{
	if (!payload_is(m, sizeof(struct vhost_user_vring_state)))
		return -EINVAL;
	*q = queue_of(vb, m->payload.state.index);
	return *q ? 0 : -EINVAL;
}

static int set_vring_num(struct vhost_backend *vb, struct msg *m)
{
	struct vb_queue *q;
	uint32_t num = m->payload.state.num;

	if (vring_state(vb, m, &q) || q->started || !num || num > VHOST_BACKEND_MAX_QUEUE ||
	    (num & (num - 1)))
		return -EINVAL;
	q->num = (uint16_t)num;
	return 0;
}

static int set_vring_base(struct vhost_backend *vb, struct msg *m)
{
	struct vb_queue *q;

	if (vring_state(vb, m, &q) || q->started || m->payload.state.num > 0xffffu)
		return -EINVAL;
	q->base = (uint16_t)m->payload.state.num;
	return 0;
}

static int set_vring_addr(struct vhost_backend *vb, struct msg *m)
{
	const struct vhost_user_vring_addr *a = &m->payload.addr;
	struct vb_queue *q;

	if (!payload_is(m, sizeof(*a)) || !(q = queue_of(vb, a->index)) || q->started)
		return -EINVAL;
	q->desc_ua = a->desc_user_addr;
	q->avail_ua = a->avail_user_addr;
	q->used_ua = a->used_user_addr;
	return 0;
}

static int set_vring_enable(struct vhost_backend *vb, struct msg *m)
{
	struct vb_queue *q;

	if (vring_state(vb, m, &q) || m->payload.state.num > 1)
		return -EINVAL;
	q->enabled = m->payload.state.num;
	if (!q->enabled) {
		stop_queue(vb, (unsigned)(q - vb->queues));
		return 0;
	}
	return maybe_start(vb, (unsigned)(q - vb->queues));
}

/* GET_VRING_BASE stops the ring and answers where the driver should resume. */
static int get_vring_base(struct vhost_backend *vb, struct msg *m)
{
	struct vhost_user_vring_state state;
	struct vb_queue *q;

	if (vring_state(vb, m, &q))
		return -EPIPE;
	state.index = m->payload.state.index;
	state.num = q->started ? q->ring.last_avail : q->base;
	stop_queue(vb, state.index);
	q->enabled = false;
	return send_reply(vb, m, &state, sizeof(state), -1);
}

static int get_config(struct vhost_backend *vb, struct msg *m)
{
	struct vhost_user_config *c = &m->payload.config;
	uint8_t space[VHOST_USER_MAX_CONFIG] = { 0 };
	uint32_t size = c->size;

	if (m->size < CONFIG_HEADER_SIZE || size > VHOST_USER_MAX_CONFIG ||
	    c->offset > VHOST_USER_MAX_CONFIG - size || m->size != CONFIG_HEADER_SIZE + size)
		return -EPIPE;
	vb->ops->config(vb->dev, space, sizeof(space));
	memcpy(c->data, space + c->offset, size);
	return send_reply(vb, m, c, CONFIG_HEADER_SIZE + size, -1);
}

static int get_host_visible(struct vhost_backend *vb, struct msg *m)
{
	struct vhost_user_vgpu_host_visible hv = { 0 };
	int fd = -1;

	if (!(vb->protocol_features & (1ull << VHOST_USER_PROTOCOL_F_VGPU_HOST_VISIBLE)) ||
	    !vb->ops->host_visible(vb->dev, &fd, &hv)) {
		hv.size = 0;
		fd = -1;
	}
	return send_reply(vb, m, &hv, sizeof(hv), fd);
}

static uint64_t protocol_features(struct vhost_backend *vb)
{
	struct vhost_user_vgpu_host_visible hv;
	uint64_t f =
		(1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) | (1ull << VHOST_USER_PROTOCOL_F_CONFIG);
	int fd;

	if (vb->ops->host_visible(vb->dev, &fd, &hv))
		f |= 1ull << VHOST_USER_PROTOCOL_F_VGPU_HOST_VISIBLE;
	return f;
}

static uint64_t offered_features(struct vhost_backend *vb)
{
	return vb->ops->features(vb->dev) | (1ull << VHOST_USER_F_PROTOCOL_FEATURES);
}

/* Requests answered with their own reply; -EPIPE ends the session. */
static int handle_query(struct vhost_backend *vb, struct msg *m, bool *answered)
{
	*answered = true;
	switch (m->request) {
	case VHOST_USER_GET_FEATURES:
		return reply_u64(vb, m, offered_features(vb));
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		return reply_u64(vb, m, protocol_features(vb));
	case VHOST_USER_GET_CONFIG:
		return get_config(vb, m);
	case VHOST_USER_GET_VRING_BASE:
		return get_vring_base(vb, m);
	case VHOST_USER_VGPU_GET_HOST_VISIBLE:
		return get_host_visible(vb, m);
	default:
		*answered = false;
		return 0;
	}
}

/* Requests that at most get an acknowledgement; a negative errno refuses them. */
static int handle_setting(struct vhost_backend *vb, struct msg *m)
{
	switch (m->request) {
	case VHOST_USER_SET_OWNER:
		return 0;
	case VHOST_USER_SET_FEATURES:
		if (!payload_is(m, sizeof(uint64_t)) || (m->payload.u64 & ~offered_features(vb)))
			return -EINVAL;
		vb->features = m->payload.u64;
		vb->ops->set_features(vb->dev, vb->features);
		return 0;
	case VHOST_USER_SET_PROTOCOL_FEATURES:
		if (!payload_is(m, sizeof(uint64_t)) || (m->payload.u64 & ~protocol_features(vb)))
			return -EINVAL;
		vb->protocol_features = m->payload.u64;
		return 0;
	case VHOST_USER_SET_CONFIG:
		/* Nothing in either config space is writable that the model acts on. */
		return 0;
	case VHOST_USER_SET_MEM_TABLE:
		return set_mem_table(vb, m);
	case VHOST_USER_SET_VRING_NUM:
		return set_vring_num(vb, m);
	case VHOST_USER_SET_VRING_ADDR:
		return set_vring_addr(vb, m);
	case VHOST_USER_SET_VRING_BASE:
		return set_vring_base(vb, m);
	case VHOST_USER_SET_VRING_KICK:
		return set_vring_fd(vb, m, true);
	case VHOST_USER_SET_VRING_CALL:
		return set_vring_fd(vb, m, false);
	case VHOST_USER_SET_VRING_ENABLE:
		return set_vring_enable(vb, m);
	default:
		return -EOPNOTSUPP;
	}
}

int vhost_backend_handle(struct vhost_backend *vb)
{
	static struct msg m;
	bool answered;
	int err;

	if (recv_msg(vb->sock, &m))
		return -EPIPE;
	err = handle_query(vb, &m, &answered);
	if (!answered) {
		err = handle_setting(vb, &m);
		if (err && vb->verbose)
			fprintf(stderr, "vgpu-devmodel: vhost-user request %u refused: %s\n",
				m.request, strerror(-err));
		/* Without an acknowledgement asked for, a refusal can only be logged. */
		if (m.flags & FLAG_NEED_REPLY)
			err = reply_u64(vb, &m, err ? 1 : 0);
		else
			err = 0;
	}
	close_fds(&m);
	return err ? -EPIPE : 0;
}

struct vring_dev *vhost_backend_ring(struct vhost_backend *vb, unsigned index)
{
	struct vb_queue *q = queue_of(vb, index);

	return q && q->started ? &q->ring : NULL;
}

void vhost_backend_drain_kick(struct vhost_backend *vb, unsigned index)
{
	struct vb_queue *q = queue_of(vb, index);
	uint64_t count;

	if (q && q->kick_fd >= 0 && read(q->kick_fd, &count, sizeof(count)) < 0)
		return; /* nothing pending: the kick fd is non-blocking or already empty */
}

void vhost_backend_notify(struct vhost_backend *vb, unsigned index)
{
	struct vb_queue *q = queue_of(vb, index);
	uint64_t one = 1;

	if (!q || !q->started || q->call_fd < 0 || !vring_dev_should_interrupt(&q->ring))
		return;
	/* A full counter means an interrupt is pending already. */
	if (write(q->call_fd, &one, sizeof(one)) < 0)
		return;
}
