/* SPDX-License-Identifier: MIT */
/*
 * virtio transport operations mapped onto vhost-user messages.  The order
 * that QEMU's vhost-user-gpu accepts: GET_FEATURES, SET_OWNER,
 * GET/SET_PROTOCOL_FEATURES, SET_FEATURES, GET_CONFIG, SET_MEM_TABLE, then
 * per queue NUM, ADDR, BASE, CALL, KICK, ENABLE.  A back-end that offers the
 * device model's private protocol feature (host-visible memory) is asked
 * for its region right after SET_PROTOCOL_FEATURES; QEMU's never offers it.
 */
#include "vhost_user_transport.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vgpu/vgpu_abi.h"

#define PROTOCOL_FEATURES_BIT (1ull << VHOST_USER_F_PROTOCOL_FEATURES)
#define WANTED_PROTOCOL_FEATURES                                                                   \
	((1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) | (1ull << VHOST_USER_PROTOCOL_F_CONFIG) |      \
	 (1ull << VHOST_USER_PROTOCOL_F_VGPU_HOST_VISIBLE))
/* SET_VRING_KICK/CALL payload: bits 0-7 queue index. */
#define VRING_INDEX_MASK 0xffu
#define CONFIG_HEADER_SIZE ((uint32_t)offsetof(struct vhost_user_config, data))

static void record_error(struct vhost_user_transport *t, const char *fmt, ...)
{
	va_list ap;

	if (t->error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(t->error, sizeof(t->error), fmt, ap);
	va_end(ap);
}

/* Map a vhost-user failure to the transport's status, remembering what failed. */
static int fail_status(struct vhost_user_transport *t, const char *what, int err)
{
	record_error(t, "vhost-user %s failed: %s", what,
		     err == -EPIPE ? "backend connection closed" : strerror(-err));
	return err == -ETIMEDOUT ? VGPU_E_TIMEOUT : VGPU_E_DEVICE;
}

/* The device model's host-visible region: its file, placed in guest-physical space. */
static int fetch_host_visible(struct vhost_user_transport *t)
{
	struct vhost_user_vgpu_host_visible hv;
	unsigned nfds = 0;
	int fd = -1, err;

	err = vhost_user_query_fds(&t->vu, VHOST_USER_VGPU_GET_HOST_VISIBLE, &hv, sizeof(hv), &fd,
				   1, &nfds);
	if (err)
		return fail_status(t, "GET_HOST_VISIBLE", err);
	if (!hv.size) {
		/* No region: a descriptor sent anyway means nothing. */
		if (nfds)
			close(fd);
		return VGPU_OK;
	}
	if (!nfds) {
		record_error(t, "backend's host-visible region came without its file");
		return VGPU_E_DEVICE;
	}
	err = host_region_take(&t->region, fd, hv.size, hv.gpa_base,
			       guest_mem_gpa(guest_mem_size(t->mem)));
	if (err) {
		record_error(t, "backend's host-visible region (%llu bytes at 0x%llx) unusable: %s",
			     (unsigned long long)hv.size, (unsigned long long)hv.gpa_base,
			     strerror(-err));
		return VGPU_E_DEVICE;
	}
	return VGPU_OK;
}

static int negotiate_protocol(struct vhost_user_transport *t)
{
	uint64_t offered, wanted;
	int err;

	if (!(t->offered & PROTOCOL_FEATURES_BIT)) {
		record_error(t, "backend does not offer vhost-user protocol features");
		return VGPU_E_DEVICE;
	}
	err = vhost_user_get_u64(&t->vu, VHOST_USER_GET_PROTOCOL_FEATURES, &offered);
	if (err)
		return fail_status(t, "GET_PROTOCOL_FEATURES", err);
	/* Without GET_CONFIG the device's configuration cannot be read. */
	if (!(offered & (1ull << VHOST_USER_PROTOCOL_F_CONFIG))) {
		record_error(t, "backend does not offer the CONFIG protocol feature");
		return VGPU_E_DEVICE;
	}
	wanted = offered & WANTED_PROTOCOL_FEATURES;
	err = vhost_user_set_u64(&t->vu, VHOST_USER_SET_PROTOCOL_FEATURES, wanted);
	if (err)
		return fail_status(t, "SET_PROTOCOL_FEATURES", err);
	if (wanted & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK))
		vhost_user_enable_reply_ack(&t->vu);
	if (wanted & (1ull << VHOST_USER_PROTOCOL_F_VGPU_HOST_VISIBLE))
		return fetch_host_visible(t);
	return VGPU_OK;
}

static int handshake(struct vhost_user_transport *t)
{
	int err = vhost_user_get_u64(&t->vu, VHOST_USER_GET_FEATURES, &t->offered);

	if (err)
		return fail_status(t, "GET_FEATURES", err);
	err = vhost_user_call(&t->vu, VHOST_USER_SET_OWNER, NULL, 0, NULL, 0, NULL, 0);
	if (err)
		return fail_status(t, "SET_OWNER", err);
	err = negotiate_protocol(t);
	if (err)
		return err;
	t->owned = true;
	return VGPU_OK;
}

static void stop_queues(struct vhost_user_transport *t)
{
	for (unsigned i = 0; i < VUT_NUM_QUEUES; i++) {
		struct vhost_user_vring_state state = { .index = i };

		if (!t->queues[i].started)
			continue;
		/* GET_VRING_BASE is what stops a ring; a dead backend stops anyway. */
		vhost_user_call(&t->vu, VHOST_USER_GET_VRING_BASE, &state, sizeof(state), NULL, 0,
				&state, sizeof(state));
		t->queues[i].started = false;
	}
}

static int op_begin(void *priv)
{
	struct vhost_user_transport *t = priv;

	/* The session outlives a device reset: only the rings start over. */
	if (t->owned) {
		stop_queues(t);
		return vhost_user_is_broken(&t->vu) ? VGPU_E_DEVICE : VGPU_OK;
	}
	return handshake(t) == VGPU_OK ? VGPU_OK : VGPU_E_DEVICE;
}

static uint64_t op_device_features(void *priv)
{
	struct vhost_user_transport *t = priv;

	return t->offered & ~PROTOCOL_FEATURES_BIT;
}

static int op_set_features(void *priv, uint64_t features)
{
	struct vhost_user_transport *t = priv;
	int err;

	if (!t->owned || (features & ~op_device_features(t))) {
		record_error(t, "driver asked for features the device does not offer");
		return VGPU_E_DEVICE;
	}
	/* With REPLY_ACK this returns once the backend is ready (virgl up). */
	err = vhost_user_set_u64(&t->vu, VHOST_USER_SET_FEATURES, features | PROTOCOL_FEATURES_BIT);
	return err ? fail_status(t, "SET_FEATURES", err) : VGPU_OK;
}

static bool config_range_ok(uint32_t offset, uint32_t len)
{
	return len <= VHOST_USER_MAX_CONFIG && offset <= VHOST_USER_MAX_CONFIG - len;
}

/*
 * Always the whole space from offset 0: QEMU's front-end does the same and
 * its vhost-user-gpu ignores the offset field.
 */
static int read_config(struct vhost_user_transport *t, uint32_t size, struct vhost_user_config *cfg)
{
	struct vhost_user_config req = { .offset = 0, .size = size, .flags = 0 };
	int err = vhost_user_call(&t->vu, VHOST_USER_GET_CONFIG, &req, CONFIG_HEADER_SIZE + size,
				  NULL, 0, cfg, CONFIG_HEADER_SIZE + size);

	if (err)
		return fail_status(t, "GET_CONFIG", err);
	if (cfg->offset != 0 || cfg->size != size) {
		record_error(t, "GET_CONFIG reply describes another range");
		return VGPU_E_DEVICE;
	}
	return VGPU_OK;
}

static void op_config_read(void *priv, uint32_t offset, void *buf, uint32_t len)
{
	struct vhost_user_transport *t = priv;
	struct vhost_user_config cfg;

	if (!buf || len == 0)
		return;
	/* A failed read shows as zeros, as a missing device's config would. */
	memset(buf, 0, len);
	if (!config_range_ok(offset, len) || read_config(t, offset + len, &cfg) != VGPU_OK)
		return;
	memcpy(buf, cfg.data + offset, len);
}

static void op_config_write(void *priv, uint32_t offset, const void *buf, uint32_t len)
{
	struct vhost_user_transport *t = priv;
	struct vhost_user_config cfg;
	int err;

	if (!buf || len == 0 || !config_range_ok(offset, len) ||
	    read_config(t, offset + len, &cfg) != VGPU_OK)
		return;
	memcpy(cfg.data + offset, buf, len);
	err = vhost_user_call(&t->vu, VHOST_USER_SET_CONFIG, &cfg,
			      CONFIG_HEADER_SIZE + offset + len, NULL, 0, NULL, 0);
	if (err)
		fail_status(t, "SET_CONFIG", err);
}

static uint16_t op_queue_max_size(void *priv, uint16_t index)
{
	return index < VUT_NUM_QUEUES ? VUT_QUEUE_MAX : 0;
}

static int send_mem_table(struct vhost_user_transport *t)
{
	struct vhost_user_mem_table table = { .nregions = 1 };
	int fd = guest_mem_fd(t->mem);
	int err;

	table.regions[0].guest_phys_addr = guest_mem_gpa(0);
	table.regions[0].size = guest_mem_size(t->mem);
	table.regions[0].user_addr = (uint64_t)(uintptr_t)guest_mem_base_va(t->mem);
	table.regions[0].mmap_offset = 0;
	err = vhost_user_call(&t->vu, VHOST_USER_SET_MEM_TABLE, &table,
			      (uint32_t)offsetof(struct vhost_user_mem_table, regions[1]), &fd, 1,
			      NULL, 0);
	if (err)
		return fail_status(t, "SET_MEM_TABLE", err);
	t->mem_table_sent = true;
	return VGPU_OK;
}

/* Ring addresses go over the wire as our own virtual addresses. */
static bool ring_user_addr(struct vhost_user_transport *t, uint64_t pa, uint64_t len,
			   uint64_t *addr)
{
	uint64_t offset;

	if (!guest_mem_offset_of(t->mem, pa, len, &offset))
		return false;
	*addr = (uint64_t)(uintptr_t)guest_mem_base_va(t->mem) + offset;
	return true;
}

static int send_ring_addr(struct vhost_user_transport *t, uint16_t index, uint16_t size,
			  uint64_t desc_pa, uint64_t avail_pa, uint64_t used_pa)
{
	struct vhost_user_vring_addr addr = { .index = index };
	int err;

	if (!ring_user_addr(t, desc_pa, 16ull * size, &addr.desc_user_addr) ||
	    !ring_user_addr(t, avail_pa, 6ull + 2ull * size, &addr.avail_user_addr) ||
	    !ring_user_addr(t, used_pa, 6ull + 8ull * size, &addr.used_user_addr)) {
		record_error(t, "queue %u rings lie outside guest memory", index);
		return VGPU_E_INVALID;
	}
	err = vhost_user_call(&t->vu, VHOST_USER_SET_VRING_ADDR, &addr, sizeof(addr), NULL, 0, NULL,
			      0);
	return err ? fail_status(t, "SET_VRING_ADDR", err) : VGPU_OK;
}

static void drain_eventfd(int fd)
{
	uint64_t count;

	while (read(fd, &count, sizeof(count)) == (ssize_t)sizeof(count))
		;
}

static int send_ring_fds(struct vhost_user_transport *t, uint16_t index)
{
	struct vut_queue *q = &t->queues[index];
	uint64_t which = index & VRING_INDEX_MASK;
	int err;

	err = vhost_user_call(&t->vu, VHOST_USER_SET_VRING_CALL, &which, sizeof(which), &q->call_fd,
			      1, NULL, 0);
	if (err)
		return fail_status(t, "SET_VRING_CALL", err);
	/* libvhost-user signals a new call fd once: that is no completion. */
	drain_eventfd(q->call_fd);
	err = vhost_user_call(&t->vu, VHOST_USER_SET_VRING_KICK, &which, sizeof(which), &q->kick_fd,
			      1, NULL, 0);
	return err ? fail_status(t, "SET_VRING_KICK", err) : VGPU_OK;
}

static int op_queue_enable(void *priv, uint16_t index, uint16_t size, uint64_t desc_pa,
			   uint64_t avail_pa, uint64_t used_pa)
{
	struct vhost_user_transport *t = priv;
	int err;

	if (!t->owned || index >= VUT_NUM_QUEUES || size == 0 || size > VUT_QUEUE_MAX ||
	    (size & (size - 1)) || t->queues[index].started)
		return VGPU_E_INVALID;
	if (!t->mem_table_sent) {
		err = send_mem_table(t);
		if (err)
			return err;
	}
	err = vhost_user_set_state(&t->vu, VHOST_USER_SET_VRING_NUM, index, size);
	if (err)
		return fail_status(t, "SET_VRING_NUM", err);
	err = send_ring_addr(t, index, size, desc_pa, avail_pa, used_pa);
	if (err)
		return err;
	err = vhost_user_set_state(&t->vu, VHOST_USER_SET_VRING_BASE, index, 0);
	if (err)
		return fail_status(t, "SET_VRING_BASE", err);
	err = send_ring_fds(t, index);
	if (err)
		return err;
	/* The rings count as started from the kick fd on: reset must stop them. */
	t->queues[index].started = true;
	err = vhost_user_set_state(&t->vu, VHOST_USER_SET_VRING_ENABLE, index, 1);
	return err ? fail_status(t, "SET_VRING_ENABLE", err) : VGPU_OK;
}

static void op_queue_notify(void *priv, uint16_t index)
{
	struct vhost_user_transport *t = priv;
	uint64_t one = 1;

	if (index >= VUT_NUM_QUEUES || !t->queues[index].started)
		return;
	/* A full counter only means the backend has a kick pending already. */
	if (write(t->queues[index].kick_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		return;
}

static int op_driver_ok(void *priv)
{
	struct vhost_user_transport *t = priv;

	/* No STATUS protocol feature here: live means the connection holds. */
	return t->owned && !vhost_user_is_broken(&t->vu) ? VGPU_OK : VGPU_E_DEVICE;
}

static void op_fail(void *priv)
{
	struct vhost_user_transport *t = priv;

	stop_queues(t);
}

static uint32_t op_isr(void *priv)
{
	struct vhost_user_transport *t = priv;

	return atomic_exchange(&t->isr, 0);
}

static void op_reset(void *priv)
{
	struct vhost_user_transport *t = priv;

	stop_queues(t);
}

static int op_shm_region(void *priv, uint8_t id, uint64_t *pa, uint64_t *len)
{
	struct vhost_user_transport *t = priv;

	if (!pa || !len)
		return VGPU_E_INVALID;
	if (id != VGPU_SHM_ID_HOST_VISIBLE || !host_region_present(&t->region))
		return VGPU_E_UNSUPPORTED;
	*pa = t->region.pa;
	*len = t->region.size;
	return VGPU_OK;
}

static const struct vgpu_transport_ops vut_ops = {
	.begin = op_begin,
	.device_features = op_device_features,
	.set_features = op_set_features,
	.config_read = op_config_read,
	.config_write = op_config_write,
	.queue_max_size = op_queue_max_size,
	.queue_enable = op_queue_enable,
	.queue_notify = op_queue_notify,
	.driver_ok = op_driver_ok,
	.fail = op_fail,
	.isr = op_isr,
	.reset = op_reset,
	.shm_region = op_shm_region,
};

static void close_eventfds(struct vhost_user_transport *t)
{
	for (unsigned i = 0; i < VUT_NUM_QUEUES; i++) {
		if (t->queues[i].kick_fd >= 0)
			close(t->queues[i].kick_fd);
		if (t->queues[i].call_fd >= 0)
			close(t->queues[i].call_fd);
		t->queues[i].kick_fd = -1;
		t->queues[i].call_fd = -1;
	}
}

static int open_eventfds(struct vhost_user_transport *t)
{
	for (unsigned i = 0; i < VUT_NUM_QUEUES; i++) {
		t->queues[i].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		t->queues[i].call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (t->queues[i].kick_fd < 0 || t->queues[i].call_fd < 0) {
			int err = -errno;

			close_eventfds(t);
			return err;
		}
	}
	return 0;
}

int vut_init(struct vhost_user_transport *t, int sock, struct guest_mem *mem, int timeout_ms)
{
	int err;

	if (!t || sock < 0 || !mem || timeout_ms <= 0)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->transport.ops = &vut_ops;
	t->transport.priv = t;
	t->mem = mem;
	host_region_init(&t->region);
	for (unsigned i = 0; i < VUT_NUM_QUEUES; i++) {
		t->queues[i].kick_fd = -1;
		t->queues[i].call_fd = -1;
	}
	err = open_eventfds(t);
	if (err)
		return err;
	vhost_user_init(&t->vu, sock, timeout_ms);
	return 0;
}

void vut_fini(struct vhost_user_transport *t)
{
	if (!t || !t->transport.ops)
		return;
	close_eventfds(t);
	host_region_fini(&t->region);
	vhost_user_fini(&t->vu);
	t->transport.ops = NULL;
}

int vut_call_fd(const struct vhost_user_transport *t, unsigned index)
{
	return index < VUT_NUM_QUEUES ? t->queues[index].call_fd : -1;
}

void vut_note_interrupt(struct vhost_user_transport *t)
{
	/* ISR bit 0: a queue has used buffers. */
	atomic_fetch_or(&t->isr, 1u);
}

const char *vut_error(const struct vhost_user_transport *t)
{
	return t->error;
}
