/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the device side: the core brought up through the
 * real virtio PCI transport over a fake PCI device (tests/unit/virtio)
 * whose configuration space, capabilities, features, queue sizes and
 * device configuration the input sets, with memory, locks and events from
 * the fake OS (tests/lib).  The device behind the rings answers every
 * request as the input says: now, later or never, with any response type,
 * bytes and length, under its own id or any other.  A short program of
 * calls then runs over one file: work, OS failures (any one acquisition of
 * memory, DMA, backing, lock or event refused), the device declared lost
 * or surprise-removed mid-program.  It aborts (a crash to libFuzzer) when
 *  - the core touches MMIO outside the BAR, or any register after the
 *    function was removed;
 *  - a lost device takes work (a call that needs the device succeeds or
 *    fails with anything but DEVICE_LOST) or a wait on it times out;
 *  - fence ids restart at the wrap while the device still holds a fenced
 *    command with an older id (checked while the device names only
 *    requests it was given);
 *  - after the device is destroyed the fake OS counts a live object, or
 *    the core misused the OS table.
 * Time is virtual: a wait that would block advances the clock by its
 * whole timeout, so every timeout fires at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h" /* white box: the fence id counter, as test_fence_wrap sets it */
#include "fake_os.h"
#include "fake_pci.h"
#include "fuzz_input.h"
#include "gpu/wire.h"
#include "vgpu_core.h"
#include "virtio/virtio_pci.h"
#include "vring_device.h"

#define MAX_DEFERRED 8u
#define RESP_MAX 4096u
#define SHM_CAP_AT 0xb0u
#define SHM_BAR_ADDRESS 0x800000000ull
/* Mvisor's VMM places blobs from 256 GiB up; the core takes the next 256 GiB. */
#define MVISOR_WINDOW_PA (256ull << 30)
#define MVISOR_WINDOW_BYTES (256ull << 30)
#define COMMAND_TIMEOUT_NS 1000000ull
#define MAX_OPS 32u
/* The reset byte that makes the device never finish a reset: mixed, then compared. */
#define RESET_STUCK_MIX 167u
#define RESET_STUCK 0x35u
/* Acquisitions a bring-up and a short program make: where an injected failure lands. */
#define OS_FAILURE_RANGE 512u

/* The first input byte: how the device is built and what happens to it. */
#define FLAG_MVISOR 0x01u
#define FLAG_REFUSE_FEATURES 0x02u
#define FLAG_NEEDS_RESET 0x04u /* the device errs when the driver sets DRIVER_OK */
#define FLAG_CONFIG_CHANGES 0x08u
#define FLAG_SHM 0x10u
#define FLAG_MSIX 0x20u
#define FLAG_OS_FAILURE 0x40u /* one OS acquisition, counted from the start, fails */
#define FLAG_NEAR_WRAP 0x80u  /* fence ids start a few below the wrap */

struct queue_dev {
	struct vring_dev vr;
	bool attached;
	uint64_t desc_pa;
};

struct rig {
	struct fuzz_input in;
	struct fake_os fos;
	struct fake_pci pci;
	struct vgpu_os pci_os; /* fake_pci's own callbacks */
	struct vgpu_os os;     /* the fake OS with the PCI callbacks routed to pci_os */
	struct vgpu_virtio_pci vp;
	struct vgpu_transport t;
	struct vgpu_device *dev;
	struct queue_dev queues[NQUEUES];
	unsigned resets_seen;
	struct vring_dev_req deferred[MAX_DEFERRED];
	uint16_t deferred_queue[MAX_DEFERRED];
	unsigned ndeferred;
	uint64_t clock_ns;
	uint64_t shm_pa, shm_len; /* where add_shm put a host-visible window; 0: nowhere */
	bool in_device;           /* answering: a nested notify must not re-enter */
	bool msix; /* interrupts are messages; otherwise a shared line and the ISR byte */

	/* fenced commands the device holds (deferred or dropped) and the last fence id seen */
	unsigned fenced_held;
	uint32_t last_fence_id;
	bool named_others; /* the device completed ids it was not given: the core cannot tell */

	bool lost;    /* the device was declared lost (or never started) */
	bool removed; /* surprise removal: the function answers nothing */
	unsigned bad_accesses_at_removal;
};

static struct rig rig;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_device: %s\n", what);
	abort();
}

/* ---- time: virtual, so that timeouts fire without sleeping ---- */

static uint64_t clock_now(void *ctx)
{
	(void)ctx;
	return rig.clock_ns += 1000u;
}

/* ---- the device behind the rings ---- */

/* What a well-behaved device answers to `cmd`. */
static uint32_t proper_response(uint32_t cmd)
{
	switch (cmd) {
	case WIRE_CMD_GET_DISPLAY_INFO:
		return WIRE_RESP_OK_DISPLAY_INFO;
	case WIRE_CMD_GET_CAPSET_INFO:
		return WIRE_RESP_OK_CAPSET_INFO;
	case WIRE_CMD_GET_CAPSET:
		return WIRE_RESP_OK_CAPSET;
	case WIRE_CMD_GET_EDID:
		return WIRE_RESP_OK_EDID;
	case WIRE_CMD_RESOURCE_ASSIGN_UUID:
		return WIRE_RESP_OK_RESOURCE_UUID;
	case WIRE_CMD_RESOURCE_MAP_BLOB:
		return WIRE_RESP_OK_MAP_INFO;
	default:
		return WIRE_RESP_OK_NODATA;
	}
}

/*
 * The response: the request's header echoed with a type (proper, an
 * error, or raw), then up to 255 input bytes, then a fill byte.
 */
static uint32_t build_response(const struct vring_dev_req *req, uint8_t how, uint8_t *resp,
			       uint32_t room)
{
	struct wire_hdr h = { 0 };
	uint32_t len = room, body;

	vring_dev_read(req, &h, sizeof(h));
	if (how & 0x10u)
		h.type = fuzz_u32(&rig.in);
	else
		h.type = how & 0x20u ? WIRE_RESP_ERR_UNSPEC + fuzz_u8(&rig.in) % 6u
				     : proper_response(h.type);
	if (how & 0x40u)
		len = fuzz_u16(&rig.in) % (room + 1u);
	body = fuzz_u8(&rig.in);
	memset(resp, fuzz_u8(&rig.in), len);
	memcpy(resp, &h, len < sizeof(h) ? len : sizeof(h));
	if (len > sizeof(h))
		fuzz_take(&rig.in, resp + sizeof(h),
			  body < len - sizeof(h) ? body : len - sizeof(h));
	return len;
}

/* Answer one request; the input picks the used id and length too. */
static void answer(struct queue_dev *q, const struct vring_dev_req *req)
{
	static uint8_t resp[RESP_MAX];
	uint8_t how = fuzz_u8(&rig.in);
	uint32_t room = req->writable < RESP_MAX ? (uint32_t)req->writable : RESP_MAX;
	uint32_t len = build_response(req, how, resp, room);
	uint32_t id = req->head, written = (uint32_t)vring_dev_write(req, resp, len);

	if (how & 0x01u)
		id = fuzz_u16(&rig.in);
	if (how & 0x02u)
		written = fuzz_u32(&rig.in);
	vring_dev_push(&q->vr, id, written);
	if (how & 0x04u)
		vring_dev_push(&q->vr, fuzz_u16(&rig.in), fuzz_u32(&rig.in));
	rig.named_others |= (how & 0x05u) != 0;
	rig.pci.isr |= 1u; /* a used buffer: the queue interrupt */
}

static bool is_fenced(const struct vring_dev_req *req, uint32_t *fence_id)
{
	struct wire_hdr h = { 0 };

	vring_dev_read(req, &h, sizeof(h));
	*fence_id = (uint32_t)h.fence_id;
	return h.flags & WIRE_FLAG_FENCE;
}

/*
 * A fenced command arrived: its id lies in [1, VGPU_FENCE_ID_LIMIT), and
 * the ids restart (fall by more than half the range; across queues they
 * may arrive slightly out of order) only once the device holds no fenced
 * command, so that "every fence up to N" never mixes ids from both sides.
 */
static void check_fence_id(uint32_t fence_id)
{
	if (fence_id == 0 || fence_id >= VGPU_FENCE_ID_LIMIT)
		fail("fence id outside [1, VGPU_FENCE_ID_LIMIT)");
	if (rig.last_fence_id > fence_id + VGPU_FENCE_ID_LIMIT / 2u && rig.fenced_held &&
	    !rig.named_others)
		fail("fence ids restarted while the device held an older fenced command");
	rig.last_fence_id = fence_id;
}

/* Attach to the rings the driver enabled, keeping our place while they stay. */
static struct queue_dev *queue_of(unsigned i)
{
	struct fake_queue *fq = &rig.pci.queues[i];
	struct queue_dev *q = &rig.queues[i];
	uint64_t desc = fq->addr[0] | (uint64_t)fq->addr[1] << 32;
	uint64_t avail = fq->addr[2] | (uint64_t)fq->addr[3] << 32;
	uint64_t used = fq->addr[4] | (uint64_t)fq->addr[5] << 32;
	uint64_t features = rig.pci.driver_features;

	if (!fq->enable)
		return NULL;
	if (q->attached && q->desc_pa == desc)
		return q;
	q->attached = vring_dev_init(&q->vr, fq->size, desc, avail, used,
				     features >> VGPU_VIRTIO_F_INDIRECT_DESC & 1u,
				     features >> VGPU_VIRTIO_F_EVENT_IDX & 1u, fake_os_map_pa,
				     &rig.fos) == 0;
	q->desc_pa = desc;
	return q->attached ? q : NULL;
}

/* Held for later; when all places are taken, held for ever. */
static void defer(unsigned qi, const struct vring_dev_req *req)
{
	if (rig.ndeferred == MAX_DEFERRED)
		return;
	rig.deferred[rig.ndeferred] = *req;
	rig.deferred_queue[rig.ndeferred++] = (uint16_t)qi;
}

static void serve_queue(unsigned qi)
{
	static struct vring_dev_req req;
	struct queue_dev *q = queue_of(qi);
	uint32_t fence_id;

	while (q && vring_dev_pop(&q->vr, &req) == VRING_DEV_REQUEST) {
		bool fenced = is_fenced(&req, &fence_id);
		uint8_t choice = fuzz_u8(&rig.in) % 8u;

		if (fenced)
			check_fence_id(fence_id);
		if (choice < 6) {
			answer(q, &req);
			continue;
		}
		if (choice == 6)
			defer(qi, &req);
		/* choice 7: never answered */
		rig.fenced_held += fenced;
	}
}

/*
 * MSI-X messages are the device's alone.  Without them the line is
 * shared: as the Windows shell's ISR, only a nonzero ISR byte (read and
 * cleared) that is not all ones (a function that is gone) is ours.
 */
static void interrupt(void)
{
	uint32_t isr;

	if (!rig.dev)
		return;
	if (!rig.msix) {
		isr = rig.t.ops->isr(rig.t.priv);
		if (isr == 0 || isr == 0xffu)
			return;
	}
	vgpu_device_interrupt(rig.dev);
}

static void serve(void)
{
	if (rig.in_device || rig.removed)
		return;
	rig.in_device = true;
	for (unsigned i = 0; i < NQUEUES; i++)
		serve_queue(i);
	rig.in_device = false;
	interrupt();
}

/* A late answer, to whatever the core waits for (the oldest deferred request). */
static void answer_late(void)
{
	struct queue_dev *q;
	uint32_t fence_id;

	if (rig.ndeferred == 0 || rig.in_device || rig.removed)
		return;
	q = queue_of(rig.deferred_queue[0]);
	rig.in_device = true;
	if (q) {
		answer(q, &rig.deferred[0]);
		rig.fenced_held -= is_fenced(&rig.deferred[0], &fence_id);
	}
	rig.in_device = false;
	rig.ndeferred--;
	memmove(rig.deferred, rig.deferred + 1, rig.ndeferred * sizeof(rig.deferred[0]));
	memmove(rig.deferred_queue, rig.deferred_queue + 1,
		rig.ndeferred * sizeof(rig.deferred_queue[0]));
	interrupt();
}

/* After a reset the device forgets its rings and what it was still to answer. */
static void forget_on_reset(void)
{
	if (rig.pci.resets == rig.resets_seen)
		return;
	rig.resets_seen = rig.pci.resets;
	rig.ndeferred = 0;
	rig.fenced_held = 0;
	rig.last_fence_id = 0;
	memset(rig.queues, 0, sizeof(rig.queues));
}

/* ---- the OS table: the fake OS, with PCI reaching the fake PCI device ---- */

static int wait_virtual(void *ctx, void *event, uint64_t timeout_ns)
{
	int ret;

	answer_late();
	ret = rig.fos.os.event_wait(ctx, event, 0);
	if (ret == VGPU_E_TIMEOUT)
		rig.clock_ns += timeout_ns;
	return ret;
}

static uint32_t pci_cfg_read(void *ctx, uint32_t offset, uint32_t width)
{
	(void)ctx;
	return rig.pci_os.pci_cfg_read(rig.pci_os.ctx, offset, width);
}

static volatile void *pci_bar_map(void *ctx, uint32_t bar, uint64_t offset, uint64_t len)
{
	(void)ctx;
	return rig.pci_os.bar_map(rig.pci_os.ctx, bar, offset, len);
}

static void check_mmio(volatile void *addr, uint32_t width)
{
	uintptr_t a = (uintptr_t)addr, base = (uintptr_t)rig.pci.bar;

	if (a < base || a + width > base + BAR_SIZE)
		fail("MMIO outside the BAR");
}

static uint32_t pci_mmio_read(void *ctx, volatile void *addr, uint32_t width)
{
	(void)ctx;
	check_mmio(addr, width);
	return rig.pci_os.mmio_read(rig.pci_os.ctx, addr, width);
}

static void pci_mmio_write(void *ctx, volatile void *addr, uint32_t width, uint32_t value)
{
	unsigned notifies = rig.pci.notifies;

	(void)ctx;
	check_mmio(addr, width);
	rig.pci_os.mmio_write(rig.pci_os.ctx, addr, width, value);
	forget_on_reset();
	if (rig.pci.notifies != notifies)
		serve();
}

static void os_setup(void)
{
	if (fake_os_init(&rig.fos) != 0)
		fail("cannot set up the fake OS");
	rig.pci_os = fake_pci_os(&rig.pci);
	rig.os = rig.fos.os;
	rig.os.now_ns = clock_now;
	rig.os.event_wait = wait_virtual;
	rig.os.pci_cfg_read = pci_cfg_read;
	rig.os.bar_map = pci_bar_map;
	rig.os.mmio_read = pci_mmio_read;
	rig.os.mmio_write = pci_mmio_write;
}

/* ---- the PCI device the input describes ---- */

/*
 * A shared memory capability after the standard list, in a BAR of its own
 * or in the one of the virtio structures.  The device's memory is where
 * the named BAR decodes: a 32-bit BAR holds only the address's low half
 * (rig.shm_pa, when the region is the host-visible one).  Returns the BAR.
 */
static uint8_t add_shm(void)
{
	uint8_t bar = fuzz_u8(&rig.in) % 6u, id = VGPU_SHM_ID_HOST_VISIBLE ^ fuzz_u8(&rig.in);
	uint64_t offset = (uint64_t)fuzz_u32(&rig.in) << 12;
	uint64_t length = ((uint64_t)fuzz_u16(&rig.in) + 1u) << 16;
	uint64_t base = SHM_BAR_ADDRESS ^ (uint64_t)fuzz_u32(&rig.in) << 16;
	uint32_t bar_flags = BAR_MEM64 ^ (fuzz_u8(&rig.in) & 0xfu);

	fake_pci_set_bar(&rig.pci, bar == BAR_INDEX ? 0 : bar, base, bar_flags);
	if (bar == BAR_INDEX)
		base = BAR_INDEX_ADDRESS;
	else if ((bar_flags & 0x6u) != BAR_MEM64)
		base = (uint32_t)base;
	fake_pci_cap_shm(&rig.pci, SHM_CAP_AT, 0, bar, id, offset, length);
	rig.pci.cfg[CAP_PCICFG + 1] = SHM_CAP_AT;
	if (id == VGPU_SHM_ID_HOST_VISIBLE) {
		rig.shm_pa = base + offset;
		rig.shm_len = length;
	}
	return bar;
}

/* Is config space byte `at` the shared memory window's capability or BAR? */
static bool places_shm(uint8_t at, uint8_t bar)
{
	uint32_t bar_at = 0x10u + 4u * bar;

	return (at >= SHM_CAP_AT && at < SHM_CAP_AT + 0x18u) || (at >= bar_at && at < bar_at + 8u);
}

/* virtio-gpu's configuration, or Mvisor's packed one, with input bytes mixed in. */
static void device_config(bool mvisor)
{
	uint8_t *c = rig.pci.devcfg;

	memset(c, 0, DEVCFG_LEN);
	if (mvisor) {
		c[1] = 2;        /* num_queues */
		c[2] = 2;        /* num_capsets */
		c[14] = 1u << 3; /* capabilities: RESOURCE_BLOB */
	} else {
		c[8] = 1;  /* num_scanouts */
		c[12] = 2; /* num_capsets */
	}
	for (unsigned i = 0; i < 24; i++)
		c[i] ^= fuzz_u8(&rig.in);
}

static void pci_device(uint8_t flags)
{
	uint8_t shm_bar = 0, reset;

	fake_pci_init(&rig.pci);
	rig.pci.device_features ^= (uint64_t)fuzz_u32(&rig.in) | (uint64_t)fuzz_u8(&rig.in) << 32;
	rig.pci.device_features |= (1ull << VIRTIO_GPU_FEAT_VIRGL) |
				   (1ull << VIRTIO_GPU_FEAT_RESOURCE_BLOB) |
				   (1ull << VIRTIO_GPU_FEAT_CONTEXT_INIT);
	rig.pci.queues[0].max_size ^= fuzz_u16(&rig.in);
	rig.pci.queues[1].max_size ^= fuzz_u16(&rig.in);
	rig.pci.num_queues ^= fuzz_u8(&rig.in);
	rig.pci.refuse_features_ok = flags & FLAG_REFUSE_FEATURES;
	rig.pci.needs_reset_at_driver_ok = flags & FLAG_NEEDS_RESET;
	rig.pci.change_after_reads = flags & FLAG_CONFIG_CHANGES ? fuzz_u8(&rig.in) : 0;
	reset = fuzz_u8(&rig.in);
	rig.pci.reset_delay = reset % 4u;
	/*
	 * Rare: every stuck reset costs the core's whole poll budget, hundreds
	 * of runs' time.  A plain `reset == value` would not stay rare:
	 * libFuzzer's comparison tracing hands the value back to its mutations
	 * (stuck runs took three quarters of the time), so the byte is mixed
	 * first.
	 */
	rig.pci.reset_stuck = (uint8_t)(reset * RESET_STUCK_MIX) == RESET_STUCK;
	rig.pci.msix_vectors = fuzz_u8(&rig.in) % 4u;
	device_config(flags & FLAG_MVISOR);
	if (flags & FLAG_SHM)
		shm_bar = add_shm();
	/*
	 * Raw bytes anywhere in config space: BARs, capability links and
	 * fields; but where the shared memory window is, add_shm's values
	 * stand, so that the fake OS's device memory stays what the BAR says.
	 */
	for (unsigned n = fuzz_u8(&rig.in) % 8u; n > 0; n--) {
		uint8_t at = fuzz_u8(&rig.in), value = fuzz_u8(&rig.in);

		if (!(flags & FLAG_SHM) || !places_shm(at, shm_bar))
			rig.pci.cfg[at] = value;
	}
}

/* ---- the program of calls ---- */

/* Every call but those that only read or release needs a live device. */
static bool needs_device(uint32_t code)
{
	switch (code) {
	case VGPU_IOCTL_GET_INFO:
	case VGPU_IOCTL_GET_LIMITS:
	case VGPU_IOCTL_GET_STATS:
	case VGPU_IOCTL_RESOURCE_DESTROY:
	case VGPU_IOCTL_RESOURCE_UNMAP:
	case VGPU_IOCTL_WAIT:
		return false;
	default:
		return true;
	}
}

static int ioctl_checked(struct vgpu_file *f, uint32_t code, struct vgpu_ioctl_bufs *b)
{
	int ret = vgpu_file_ioctl(f, code, b);

	if (rig.lost && needs_device(code) && ret != VGPU_E_DEVICE_LOST)
		fail("a lost device took work");
	/* Work a lost device will never finish: a wait for it ends at once. */
	if (rig.lost && code == VGPU_IOCTL_WAIT && ret == VGPU_E_TIMEOUT)
		fail("a wait on a lost device timed out");
	return ret;
}

static int call(struct vgpu_file *f, uint32_t code, void *arg, uint32_t size)
{
	struct vgpu_ioctl_bufs b = { .in = arg, .in_size = size, .out = arg, .out_size = size };

	return ioctl_checked(f, code, &b);
}

static uint32_t last_handle;

static void op_context(struct vgpu_file *f)
{
	struct vgpu_context_create c = { .capset_id = VGPU_CAPSET_VIRGL2 - fuzz_u8(&rig.in) % 2u };

	call(f, VGPU_IOCTL_CONTEXT_CREATE, &c, sizeof(c));
}

static void op_blob(struct vgpu_file *f)
{
	uint32_t size = 4096u * (1u + fuzz_u8(&rig.in) % 8u);
	struct vgpu_resource_create_blob b = {
		.blob_mem = VGPU_BLOB_MEM_HOST3D,
		.blob_flags = VGPU_BLOB_FLAG_MAPPABLE,
		.blob_id = 1u + fuzz_u8(&rig.in),
		.size = size,
		.desc = { .format = 64,
			  .bind = 1u << 4,
			  .width = size,
			  .height = 1,
			  .depth = 1,
			  .array_size = 1 },
	};
	struct vgpu_resource_map m = { 0 };

	if (call(f, VGPU_IOCTL_RESOURCE_CREATE_BLOB, &b, sizeof(b)) != VGPU_OK)
		return;
	last_handle = m.handle = b.handle;
	call(f, VGPU_IOCTL_RESOURCE_MAP, &m, sizeof(m));
}

static void op_buffer(struct vgpu_file *f)
{
	uint32_t size = 1u + fuzz_u16(&rig.in);
	struct vgpu_resource_create c = { .format = 64,
					  .bind = 1u << 4,
					  .width = size,
					  .height = 1,
					  .depth = 1,
					  .array_size = 1,
					  .size = size };

	if (call(f, VGPU_IOCTL_RESOURCE_CREATE, &c, sizeof(c)) == VGPU_OK)
		last_handle = c.handle;
}

static uint64_t signal_value;

static void op_submit(struct vgpu_file *f)
{
	uint32_t payload[8] = { 0 };
	struct vgpu_submit s = { .size = sizeof(payload), .signal = ++signal_value };
	struct vgpu_ioctl_bufs b = {
		.in = &s, .in_size = sizeof(s), .payload = payload, .payload_size = sizeof(payload)
	};

	ioctl_checked(f, VGPU_IOCTL_SUBMIT, &b);
}

static void op_wait(struct vgpu_file *f)
{
	struct vgpu_wait w = { .kind = VGPU_WAIT_FENCE,
			       .value = signal_value,
			       .timeout_ns = COMMAND_TIMEOUT_NS };

	if (fuzz_u8(&rig.in) % 2u) {
		w.kind = VGPU_WAIT_RESOURCE;
		w.handle = last_handle;
	}
	call(f, VGPU_IOCTL_WAIT, &w, sizeof(w));
}

static void op_transfer(struct vgpu_file *f)
{
	struct vgpu_transfer t = { .handle = last_handle,
				   .box = { .w = 1u + fuzz_u8(&rig.in), .h = 1, .d = 1 },
				   .signal = ++signal_value };

	call(f, fuzz_u8(&rig.in) % 2u ? VGPU_IOCTL_TRANSFER_TO_HOST : VGPU_IOCTL_TRANSFER_FROM_HOST,
	     &t, sizeof(t));
}

static void op_capset(struct vgpu_file *f)
{
	static uint8_t buf[VGPU_MAX_CAPSET_BYTES];
	struct vgpu_get_capset c = { .capset_id = 1u + fuzz_u8(&rig.in) % 2u };
	struct vgpu_ioctl_bufs b = {
		.in = &c, .in_size = sizeof(c), .payload = buf, .payload_size = sizeof(buf)
	};

	ioctl_checked(f, VGPU_IOCTL_GET_CAPSET, &b);
}

static void op_destroy(struct vgpu_file *f)
{
	struct vgpu_resource_destroy d = { .handle = last_handle };

	call(f, VGPU_IOCTL_RESOURCE_DESTROY, &d, sizeof(d));
}

/* One of the next few acquisitions of any kind fails (the core's next calls make them). */
static void op_os_failure(struct vgpu_file *f)
{
	(void)f;
	fake_os_fail_at(&rig.fos, fuzz_u8(&rig.in) % 16u);
}

/*
 * The shell declares the device lost (say the host's device process died),
 * while the device may yet complete what it held: requests the core has
 * already failed come back.
 */
static void op_lost(struct vgpu_file *f)
{
	bool answers_after = fuzz_u8(&rig.in) & 1u;

	(void)f;
	vgpu_device_mark_lost(rig.dev);
	rig.lost = true;
	while (answers_after && !rig.removed && rig.ndeferred > 0)
		answer_late();
}

/* Surprise removal, as the Windows shell handles it: lost, then no register touched again. */
static void op_removed(struct vgpu_file *f)
{
	(void)f;
	vgpu_device_mark_lost(rig.dev);
	vgpu_virtio_pci_gone(&rig.vp);
	rig.lost = true;
	rig.removed = true;
	rig.pci.unplugged = true;
	rig.bad_accesses_at_removal = rig.pci.bad_accesses;
	/*
	 * Messages stop with the function; a shared line still calls the ISR
	 * for its other devices, and ours must read all ones and decline.
	 */
	if (!rig.msix)
		interrupt();
}

static void (*const ops[])(struct vgpu_file *f) = {
	op_context, op_blob,    op_buffer,     op_submit, op_wait,    op_transfer,
	op_capset,  op_destroy, op_os_failure, op_lost,   op_removed,
};

static void run_program(void)
{
	struct vgpu_file *f = NULL;

	if (vgpu_file_open(rig.dev, &rig, &f) != VGPU_OK)
		return;
	last_handle = 0;
	signal_value = 0;
	for (unsigned i = 0; i < MAX_OPS && rig.in.n > 0; i++)
		ops[fuzz_u8(&rig.in) % (sizeof(ops) / sizeof(ops[0]))](f);
	vgpu_file_close(f);
}

/*
 * Fast-forward a long-running device to a few fence ids before the wrap
 * (2^31 commands would take hours), with no fenced command in flight yet.
 */
static void start_near_wrap(void)
{
	uint32_t below = 1u + fuzz_u8(&rig.in) % 4u;

	vgpu_dev_lock(rig.dev);
	if (rig.dev->ctrlq.fenced_in_flight == 0)
		rig.dev->ctrlq.next_fence_id = VGPU_FENCE_ID_LIMIT - below;
	vgpu_dev_unlock(rig.dev);
}

/*
 * The fake OS's device memory: the host-visible region, which the
 * transport must find where add_shm put it, or for Mvisor's device
 * without one, the window its VMM places blobs in.
 */
static void declare_device_memory(bool mvisor)
{
	uint64_t pa, len;

	if (rig.t.ops->shm_region(rig.t.priv, VGPU_SHM_ID_HOST_VISIBLE, &pa, &len) == VGPU_OK) {
		/* Raw config bytes may make a region of their own, but never move add_shm's. */
		if (rig.shm_len && (pa != rig.shm_pa || len != rig.shm_len))
			fail("the transport found the shared memory window elsewhere");
		fake_os_set_device_memory(&rig.fos, pa, len, NULL);
	} else if (mvisor) {
		fake_os_set_device_memory(&rig.fos, MVISOR_WINDOW_PA, MVISOR_WINDOW_BYTES, NULL);
	}
}

static void bring_up(uint8_t flags)
{
	enum vgpu_personality personality =
		flags & FLAG_MVISOR ? VGPU_PERSONALITY_MVISOR : VGPU_PERSONALITY_STANDARD;

	if (vgpu_virtio_pci_init(&rig.vp, &rig.os) != VGPU_OK)
		return;
	rig.msix = flags & FLAG_MSIX;
	if (rig.msix)
		vgpu_virtio_pci_set_msix(&rig.vp, 0, 1);
	vgpu_virtio_pci_transport(&rig.vp, &rig.t);
	declare_device_memory(flags & FLAG_MVISOR);
	if (vgpu_device_create(&rig.os, &rig.t, personality, &rig.dev) != VGPU_OK) {
		rig.dev = NULL;
		return;
	}
	vgpu_device_set_command_timeout(rig.dev, COMMAND_TIMEOUT_NS);
	/* Even a device that failed to start must be destroyed cleanly, and refuse calls. */
	if (vgpu_device_start(rig.dev) != VGPU_OK)
		rig.lost = true;
	else if (flags & FLAG_NEAR_WRAP)
		start_near_wrap();
	run_program();
	vgpu_device_destroy(rig.dev);
	rig.dev = NULL;
}

static void check_clean(void)
{
	if (fake_os_live(&rig.fos)) {
		fprintf(stderr,
			"fuzz_device: live allocs %lld, dma %lld, backings %lld, maps %lld, "
			"locks %lld, events %lld\n",
			(long long)rig.fos.live_allocs, (long long)rig.fos.live_dma,
			(long long)rig.fos.live_backings, (long long)rig.fos.live_maps,
			(long long)rig.fos.live_locks, (long long)rig.fos.live_events);
		fail("objects left in the fake OS after the device was destroyed");
	}
	if (rig.fos.violations)
		fail("misuse of the OS table");
	if (rig.removed && rig.pci.bad_accesses != rig.bad_accesses_at_removal)
		fail("a register was touched after surprise removal");
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* fake_pci reports the accesses it refuses on stdout: the fuzzer expects them. */
	if (!freopen("/dev/null", "w", stdout))
		fail("cannot silence stdout");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t flags;

	memset(&rig, 0, sizeof(rig));
	rig.in = (struct fuzz_input){ data, size };
	os_setup();
	flags = fuzz_u8(&rig.in);
	pci_device(flags);
	if (flags & FLAG_OS_FAILURE)
		fake_os_fail_at(&rig.fos, fuzz_u16(&rig.in) % OS_FAILURE_RANGE);
	bring_up(flags);
	check_clean();
	fake_os_fini(&rig.fos);
	return 0;
}
