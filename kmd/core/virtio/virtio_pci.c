/* SPDX-License-Identifier: MIT */
/*
 * virtio PCI modern transport: finds the virtio structures through the
 * vendor capabilities in PCI config space and drives the device through
 * its common configuration registers (virtio 1.x, section 4.1).
 */
#include "virtio_pci.h"

#include <stdbool.h>
#include <stddef.h>

#include "vgpu/vgpu_abi.h"

/* PCI config space */
#define PCI_CFG_SPACE_SIZE 256u
#define PCI_STATUS 0x06u
#define PCI_STATUS_CAP_LIST 0x10u
#define PCI_CAPABILITY_LIST 0x34u
#define PCI_CAP_FIRST 0x40u
#define PCI_CAP_ID_VNDR 0x09u
#define PCI_BAR0 0x10u
#define PCI_BAR_COUNT 6u
#define PCI_BAR_IO 0x1u
#define PCI_BAR_TYPE_MASK 0x6u
#define PCI_BAR_TYPE_32 0x0u
#define PCI_BAR_TYPE_64 0x4u
#define PCI_BAR_ADDR_MASK 0xFFFFFFF0u
/* 192 bytes of capability space hold at most 48 dword-aligned capabilities. */
#define PCI_MAX_CAPS 48u

/* struct virtio_pci_cap fields, as offsets from the capability */
#define VIRTIO_CAP_LEN 2u
#define VIRTIO_CAP_CFG_TYPE 3u
#define VIRTIO_CAP_BAR 4u
#define VIRTIO_CAP_ID 5u
#define VIRTIO_CAP_OFFSET 8u
#define VIRTIO_CAP_LENGTH 12u
#define VIRTIO_CAP_NOTIFY_MULT 16u
#define VIRTIO_CAP_OFFSET_HI 16u
#define VIRTIO_CAP_LENGTH_HI 20u
#define VIRTIO_CAP_SIZE 16u
#define VIRTIO_NOTIFY_CAP_SIZE 20u
#define VIRTIO_CAP64_SIZE 24u

#define VIRTIO_CAP_COMMON_CFG 1u
#define VIRTIO_CAP_NOTIFY_CFG 2u
#define VIRTIO_CAP_ISR_CFG 3u
#define VIRTIO_CAP_DEVICE_CFG 4u
#define VIRTIO_CAP_SHARED_MEMORY_CFG 8u

/* struct virtio_pci_common_cfg registers */
#define COMMON_DFSELECT 0u
#define COMMON_DF 4u
#define COMMON_GFSELECT 8u
#define COMMON_GF 12u
#define COMMON_MSIX_CONFIG 16u
#define COMMON_NUMQ 18u
#define COMMON_STATUS 20u
#define COMMON_CFGGENERATION 21u
#define COMMON_Q_SELECT 22u
#define COMMON_Q_SIZE 24u
#define COMMON_Q_MSIX 26u
#define COMMON_Q_ENABLE 28u
#define COMMON_Q_NOFF 30u
#define COMMON_Q_DESCLO 32u
#define COMMON_Q_DESCHI 36u
#define COMMON_Q_AVAILLO 40u
#define COMMON_Q_AVAILHI 44u
#define COMMON_Q_USEDLO 48u
#define COMMON_Q_USEDHI 52u
#define COMMON_CFG_MIN_LEN 56u

/* device_status bits */
#define STATUS_ACKNOWLEDGE 0x01u
#define STATUS_DRIVER 0x02u
#define STATUS_DRIVER_OK 0x04u
#define STATUS_FEATURES_OK 0x08u
#define STATUS_NEEDS_RESET 0x40u
#define STATUS_FAILED 0x80u

/* A device may finish a reset asynchronously; give up after this many polls. */
#define RESET_POLLS 100000u
/* Reads of the device configuration retried while its generation keeps changing. */
#define CONFIG_READ_TRIES 16u

static uint32_t cfg_read(const struct vgpu_os *os, uint32_t offset, uint32_t width)
{
	return os->pci_cfg_read(os->ctx, offset, width);
}

static uint32_t reg_read(const struct vgpu_virtio_pci *vp, volatile uint8_t *base, uint32_t offset,
			 uint32_t width)
{
	if (vp->gone)
		return width >= 4 ? 0xFFFFFFFFu : (1u << (8u * width)) - 1u;
	return vp->os->mmio_read(vp->os->ctx, base + offset, width);
}

static void reg_write(const struct vgpu_virtio_pci *vp, volatile uint8_t *base, uint32_t offset,
		      uint32_t width, uint32_t value)
{
	if (!vp->gone)
		vp->os->mmio_write(vp->os->ctx, base + offset, width, value);
}

static uint32_t common_read(const struct vgpu_virtio_pci *vp, uint32_t offset, uint32_t width)
{
	return reg_read(vp, vp->common, offset, width);
}

static void common_write(const struct vgpu_virtio_pci *vp, uint32_t offset, uint32_t width,
			 uint32_t value)
{
	reg_write(vp, vp->common, offset, width, value);
}

static void common_write64(const struct vgpu_virtio_pci *vp, uint32_t offset_lo, uint64_t value)
{
	common_write(vp, offset_lo, 4, (uint32_t)value);
	common_write(vp, offset_lo + 4, 4, (uint32_t)(value >> 32));
}

/* ---- shared memory regions ---- */

/*
 * The guest-physical base of memory BAR `bar` and the last address its
 * kind can reach (32-bit BARs lie below 4 GiB).  False for an I/O BAR, a
 * reserved type, the upper half of a 64-bit BAR, a 64-bit BAR without
 * one, or a BAR the firmware left unassigned (base 0).
 */
static bool bar_address(const struct vgpu_os *os, uint32_t bar, uint64_t *base, uint64_t *limit)
{
	uint32_t i = 0, lo, type;

	if (bar >= PCI_BAR_COUNT)
		return false;
	/* Walk from BAR 0: only the layout says which registers are upper halves. */
	for (;;) {
		lo = cfg_read(os, PCI_BAR0 + 4 * i, 4);
		type = lo & PCI_BAR_TYPE_MASK;
		if (i == bar)
			break;
		i += !(lo & PCI_BAR_IO) && type == PCI_BAR_TYPE_64 ? 2 : 1;
		if (i > bar)
			return false;
	}
	if (lo & PCI_BAR_IO)
		return false;
	*base = lo & PCI_BAR_ADDR_MASK;
	if (type == PCI_BAR_TYPE_32) {
		*limit = UINT32_MAX;
	} else if (type == PCI_BAR_TYPE_64 && bar + 1 < PCI_BAR_COUNT) {
		*base |= (uint64_t)cfg_read(os, PCI_BAR0 + 4 * (bar + 1), 4) << 32;
		*limit = UINT64_MAX;
	} else {
		return false;
	}
	return *base != 0;
}

static bool shm_known(const struct vgpu_virtio_pci *vp, uint8_t id)
{
	uint32_t i;

	for (i = 0; i < vp->nshm; i++) {
		if (vp->shm[i].id == id)
			return true;
	}
	return false;
}

/*
 * A shared memory capability (struct virtio_pci_cap64) at `pos`: the region
 * lies `offset` bytes into BAR `bar`.  One that is too short, names an
 * unusable BAR, is empty or would run past what its BAR can address is
 * skipped, as is a second one with an id already known.
 */
static void shm_cap_parse(struct vgpu_virtio_pci *vp, uint32_t pos, uint32_t cap_len)
{
	const struct vgpu_os *os = vp->os;
	uint64_t offset, length, base, limit, start;
	uint8_t id;

	if (cap_len < VIRTIO_CAP64_SIZE || vp->nshm == VGPU_VIRTIO_PCI_MAX_SHM)
		return;
	id = (uint8_t)cfg_read(os, pos + VIRTIO_CAP_ID, 1);
	offset = cfg_read(os, pos + VIRTIO_CAP_OFFSET, 4) |
		 (uint64_t)cfg_read(os, pos + VIRTIO_CAP_OFFSET_HI, 4) << 32;
	length = cfg_read(os, pos + VIRTIO_CAP_LENGTH, 4) |
		 (uint64_t)cfg_read(os, pos + VIRTIO_CAP_LENGTH_HI, 4) << 32;
	if (length == 0 || shm_known(vp, id))
		return;
	if (!bar_address(os, cfg_read(os, pos + VIRTIO_CAP_BAR, 1), &base, &limit))
		return;
	/* The region's last byte, base + offset + length - 1, must not pass the limit. */
	if (offset > limit - base)
		return;
	start = base + offset;
	if (length - 1 > limit - start)
		return;
	vp->shm[vp->nshm].id = id;
	vp->shm[vp->nshm].pa = start;
	vp->shm[vp->nshm].len = length;
	vp->nshm++;
}

/* ---- capability walk ---- */

/* Smallest structure of each type the transport can use. */
static uint32_t virtio_cap_min_length(uint32_t type)
{
	switch (type) {
	case VIRTIO_CAP_COMMON_CFG:
		return COMMON_CFG_MIN_LEN;
	case VIRTIO_CAP_NOTIFY_CFG:
		return 2;
	default:
		return 1;
	}
}

static volatile uint8_t **virtio_cap_slot(struct vgpu_virtio_pci *vp, uint32_t type)
{
	switch (type) {
	case VIRTIO_CAP_COMMON_CFG:
		return &vp->common;
	case VIRTIO_CAP_NOTIFY_CFG:
		return &vp->notify_base;
	case VIRTIO_CAP_ISR_CFG:
		return &vp->isr;
	case VIRTIO_CAP_DEVICE_CFG:
		return &vp->device_cfg;
	default:
		return NULL;
	}
}

static void virtio_cap_record(struct vgpu_virtio_pci *vp, uint32_t type, uint32_t pos,
			      uint32_t length)
{
	if (type == VIRTIO_CAP_NOTIFY_CFG) {
		vp->notify_len = length;
		vp->notify_multiplier = cfg_read(vp->os, pos + VIRTIO_CAP_NOTIFY_MULT, 4);
	} else if (type == VIRTIO_CAP_DEVICE_CFG) {
		vp->device_cfg_len = length;
	}
}

/*
 * One virtio vendor capability at `pos`.  A structure we cannot use (a
 * reserved BAR number, too short, or not mappable) is skipped, as the spec
 * asks, and the first usable one of each type wins; a capability whose own
 * header is malformed makes the whole list untrustworthy.
 */
static int virtio_cap_parse(struct vgpu_virtio_pci *vp, uint32_t pos)
{
	const struct vgpu_os *os = vp->os;
	uint32_t cap_len = cfg_read(os, pos + VIRTIO_CAP_LEN, 1);
	uint32_t type = cfg_read(os, pos + VIRTIO_CAP_CFG_TYPE, 1);
	volatile uint8_t **slot = virtio_cap_slot(vp, type);
	uint32_t bar, offset, length;
	volatile void *map;

	if (cap_len < VIRTIO_CAP_SIZE || pos + cap_len > PCI_CFG_SPACE_SIZE)
		return VGPU_E_DEVICE;
	if (type == VIRTIO_CAP_NOTIFY_CFG && cap_len < VIRTIO_NOTIFY_CAP_SIZE)
		return VGPU_E_DEVICE;
	if (type == VIRTIO_CAP_SHARED_MEMORY_CFG) {
		shm_cap_parse(vp, pos, cap_len);
		return VGPU_OK;
	}
	if (!slot || *slot)
		return VGPU_OK;

	bar = cfg_read(os, pos + VIRTIO_CAP_BAR, 1);
	offset = cfg_read(os, pos + VIRTIO_CAP_OFFSET, 4);
	length = cfg_read(os, pos + VIRTIO_CAP_LENGTH, 4);
	if (bar >= PCI_BAR_COUNT || length < virtio_cap_min_length(type))
		return VGPU_OK;
	map = os->bar_map(os->ctx, bar, offset, length);
	if (!map)
		return VGPU_OK;
	*slot = (volatile uint8_t *)map;
	virtio_cap_record(vp, type, pos, length);
	return VGPU_OK;
}

static int virtio_pci_walk_caps(struct vgpu_virtio_pci *vp)
{
	const struct vgpu_os *os = vp->os;
	uint32_t pos, count;
	int err;

	if (!(cfg_read(os, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return VGPU_E_DEVICE;
	pos = cfg_read(os, PCI_CAPABILITY_LIST, 1);
	/* The bound also ends a list that loops back on itself. */
	for (count = 0; pos; count++) {
		if (count == PCI_MAX_CAPS || pos < PCI_CAP_FIRST || pos >= PCI_CFG_SPACE_SIZE ||
		    (pos & 3))
			return VGPU_E_DEVICE;
		if (cfg_read(os, pos, 1) == PCI_CAP_ID_VNDR) {
			err = virtio_cap_parse(vp, pos);
			if (err)
				return err;
		}
		pos = cfg_read(os, pos + 1, 1);
	}
	if (!vp->common || !vp->notify_base || !vp->isr)
		return VGPU_E_DEVICE;
	return VGPU_OK;
}

static void virtio_pci_clear(struct vgpu_virtio_pci *vp, const struct vgpu_os *os)
{
	uint32_t i;

	vp->os = os;
	vp->common = NULL;
	vp->isr = NULL;
	vp->device_cfg = NULL;
	vp->device_cfg_len = 0;
	vp->notify_base = NULL;
	vp->notify_len = 0;
	vp->notify_multiplier = 0;
	for (i = 0; i < VGPU_VIRTIO_PCI_MAX_QUEUES; i++)
		vp->notify_addr[i] = NULL;
	vp->msix_config_vector = VGPU_VIRTIO_MSI_NO_VECTOR;
	vp->msix_queue_vector = VGPU_VIRTIO_MSI_NO_VECTOR;
	vp->nshm = 0;
}

int vgpu_virtio_pci_init(struct vgpu_virtio_pci *vp, const struct vgpu_os *os)
{
	if (!vp || !os || !os->pci_cfg_read || !os->bar_map || !os->mmio_read || !os->mmio_write)
		return VGPU_E_INVALID;
	virtio_pci_clear(vp, os);
	return virtio_pci_walk_caps(vp);
}

void vgpu_virtio_pci_set_msix(struct vgpu_virtio_pci *vp, uint16_t config_vector,
			      uint16_t queue_vector)
{
	if (!vp)
		return;
	vp->msix_config_vector = config_vector;
	vp->msix_queue_vector = queue_vector;
}

/*
 * Name an MSI-X vector in the register at `offset` (queue registers: of the
 * selected queue).  The device reads back NO_VECTOR when it could not
 * allocate the vector.
 */
static int vp_route_vector(const struct vgpu_virtio_pci *vp, uint32_t offset, uint16_t vector)
{
	if (vector == VGPU_VIRTIO_MSI_NO_VECTOR)
		return VGPU_OK;
	common_write(vp, offset, 2, vector);
	return common_read(vp, offset, 2) == vector ? VGPU_OK : VGPU_E_DEVICE;
}

/* ---- device status ---- */

static uint8_t vp_status(const struct vgpu_virtio_pci *vp)
{
	return (uint8_t)common_read(vp, COMMON_STATUS, 1);
}

static void vp_set_status(const struct vgpu_virtio_pci *vp, uint32_t status)
{
	common_write(vp, COMMON_STATUS, 1, status);
}

static void vp_add_status(const struct vgpu_virtio_pci *vp, uint32_t bits)
{
	vp_set_status(vp, vp_status(vp) | bits);
}

/* Writing 0 resets; the reset is done when the device reads back 0. */
static int vp_do_reset(struct vgpu_virtio_pci *vp)
{
	uint32_t i;

	for (i = 0; i < VGPU_VIRTIO_PCI_MAX_QUEUES; i++)
		vp->notify_addr[i] = NULL;
	if (vp->gone)
		return VGPU_E_DEVICE;
	vp_set_status(vp, 0);
	for (i = 0; i < RESET_POLLS; i++) {
		if (vp_status(vp) == 0)
			return VGPU_OK;
	}
	return VGPU_E_DEVICE;
}

static int vp_begin(void *t)
{
	struct vgpu_virtio_pci *vp = t;
	int err = vp_do_reset(vp);

	if (err)
		return err;
	vp_set_status(vp, STATUS_ACKNOWLEDGE);
	vp_set_status(vp, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
	/* The reset forgot the vectors. */
	return vp_route_vector(vp, COMMON_MSIX_CONFIG, vp->msix_config_vector);
}

static void vp_reset(void *t)
{
	vp_do_reset(t);
}

static void vp_fail(void *t)
{
	vp_add_status(t, STATUS_FAILED);
	vp_do_reset(t);
}

static int vp_driver_ok(void *t)
{
	struct vgpu_virtio_pci *vp = t;
	uint8_t status;

	vp_add_status(vp, STATUS_DRIVER_OK);
	status = vp_status(vp);
	if (!(status & STATUS_DRIVER_OK) || (status & (STATUS_FAILED | STATUS_NEEDS_RESET)))
		return VGPU_E_DEVICE;
	return VGPU_OK;
}

/* ---- features ---- */

static uint64_t vp_device_features(void *t)
{
	struct vgpu_virtio_pci *vp = t;
	uint64_t lo, hi;

	common_write(vp, COMMON_DFSELECT, 4, 0);
	lo = common_read(vp, COMMON_DF, 4);
	common_write(vp, COMMON_DFSELECT, 4, 1);
	hi = common_read(vp, COMMON_DF, 4);
	return lo | hi << 32;
}

static int vp_set_features(void *t, uint64_t features)
{
	struct vgpu_virtio_pci *vp = t;

	common_write(vp, COMMON_GFSELECT, 4, 0);
	common_write(vp, COMMON_GF, 4, (uint32_t)features);
	common_write(vp, COMMON_GFSELECT, 4, 1);
	common_write(vp, COMMON_GF, 4, (uint32_t)(features >> 32));
	vp_add_status(vp, STATUS_FEATURES_OK);
	/* The device clears FEATURES_OK again when it cannot live with our choice. */
	if (!(vp_status(vp) & STATUS_FEATURES_OK))
		return VGPU_E_DEVICE;
	return VGPU_OK;
}

/* ---- device configuration ---- */

/* The widest naturally aligned access that fits: fields are read whole, as the spec asks. */
static uint32_t cfg_access_width(uint32_t offset, uint32_t remaining)
{
	if (!(offset & 3) && remaining >= 4)
		return 4;
	if (!(offset & 1) && remaining >= 2)
		return 2;
	return 1;
}

/* How many of `len` bytes at `offset` lie inside the device configuration. */
static uint32_t cfg_span(const struct vgpu_virtio_pci *vp, uint32_t offset, uint32_t len)
{
	uint32_t room;

	if (offset >= vp->device_cfg_len)
		return 0;
	room = vp->device_cfg_len - offset;
	return len < room ? len : room;
}

static void cfg_copy_in(const struct vgpu_virtio_pci *vp, uint32_t offset, uint8_t *out,
			uint32_t len)
{
	uint32_t span = cfg_span(vp, offset, len);
	uint32_t done = 0;

	while (done < span) {
		uint32_t width = cfg_access_width(offset + done, span - done);
		uint32_t value = reg_read(vp, vp->device_cfg, offset + done, width);
		uint32_t i;

		for (i = 0; i < width; i++)
			out[done + i] = (uint8_t)(value >> (8 * i));
		done += width;
	}
	for (; done < len; done++)
		out[done] = 0;
}

/* Bytes outside the device's configuration read as 0. */
static void vp_config_read(void *t, uint32_t offset, void *buf, uint32_t len)
{
	struct vgpu_virtio_pci *vp = t;
	uint32_t tries, generation;

	if (!buf)
		return;
	/*
	 * A field may change under us; the generation counter tells, so read
	 * again.  A device that never settles gets its last answer taken.
	 */
	for (tries = 0; tries < CONFIG_READ_TRIES; tries++) {
		generation = common_read(vp, COMMON_CFGGENERATION, 1);
		cfg_copy_in(vp, offset, buf, len);
		if (common_read(vp, COMMON_CFGGENERATION, 1) == generation)
			return;
	}
}

/* Bytes outside the device's configuration are dropped. */
static void vp_config_write(void *t, uint32_t offset, const void *buf, uint32_t len)
{
	struct vgpu_virtio_pci *vp = t;
	const uint8_t *in = buf;
	uint32_t span, done = 0;

	if (!buf)
		return;
	span = cfg_span(vp, offset, len);
	while (done < span) {
		uint32_t width = cfg_access_width(offset + done, span - done);
		uint32_t value = 0;
		uint32_t i;

		for (i = 0; i < width; i++)
			value |= (uint32_t)in[done + i] << (8 * i);
		reg_write(vp, vp->device_cfg, offset + done, width, value);
		done += width;
	}
}

/* ---- queues ---- */

/* Selects the queue as a side effect, which queue_enable relies on. */
static uint16_t vp_queue_max_size(void *t, uint16_t index)
{
	struct vgpu_virtio_pci *vp = t;

	if (index >= VGPU_VIRTIO_PCI_MAX_QUEUES || index >= common_read(vp, COMMON_NUMQ, 2))
		return 0;
	common_write(vp, COMMON_Q_SELECT, 2, index);
	return (uint16_t)common_read(vp, COMMON_Q_SIZE, 2);
}

/* Where the device wants queue notifications for the selected queue; NULL if outside the region. */
static volatile uint8_t *vp_selected_notify_addr(const struct vgpu_virtio_pci *vp)
{
	uint64_t offset = (uint64_t)common_read(vp, COMMON_Q_NOFF, 2) * vp->notify_multiplier;

	if (offset + 2 > vp->notify_len)
		return NULL;
	return vp->notify_base + offset;
}

static int vp_queue_enable(void *t, uint16_t index, uint16_t size, uint64_t desc_pa,
			   uint64_t avail_pa, uint64_t used_pa)
{
	struct vgpu_virtio_pci *vp = t;
	uint16_t max_size = vp_queue_max_size(vp, index);
	volatile uint8_t *notify;

	if (!max_size || !size || size > max_size || (size & (size - 1)))
		return VGPU_E_INVALID;
	notify = vp_selected_notify_addr(vp);
	if (!notify || vp_route_vector(vp, COMMON_Q_MSIX, vp->msix_queue_vector) != VGPU_OK)
		return VGPU_E_DEVICE;
	common_write(vp, COMMON_Q_SIZE, 2, size);
	common_write64(vp, COMMON_Q_DESCLO, desc_pa);
	common_write64(vp, COMMON_Q_AVAILLO, avail_pa);
	common_write64(vp, COMMON_Q_USEDLO, used_pa);
	common_write(vp, COMMON_Q_ENABLE, 2, 1);
	vp->notify_addr[index] = notify;
	return VGPU_OK;
}

static void vp_queue_notify(void *t, uint16_t index)
{
	struct vgpu_virtio_pci *vp = t;

	if (index >= VGPU_VIRTIO_PCI_MAX_QUEUES || !vp->notify_addr[index])
		return;
	reg_write(vp, vp->notify_addr[index], 0, 2, index);
}

/* Reading the ISR byte also clears it. */
static uint32_t vp_isr(void *t)
{
	struct vgpu_virtio_pci *vp = t;

	return reg_read(vp, vp->isr, 0, 1);
}

static int vp_shm_region(void *t, uint8_t id, uint64_t *pa, uint64_t *len)
{
	const struct vgpu_virtio_pci *vp = t;
	uint32_t i;

	if (!pa || !len)
		return VGPU_E_INVALID;
	for (i = 0; i < vp->nshm; i++) {
		if (vp->shm[i].id == id) {
			*pa = vp->shm[i].pa;
			*len = vp->shm[i].len;
			return VGPU_OK;
		}
	}
	*pa = 0;
	*len = 0;
	return VGPU_E_UNSUPPORTED;
}

/* Every op receives the struct vgpu_virtio_pci that vgpu_virtio_pci_transport stored. */
static const struct vgpu_transport_ops virtio_pci_ops = {
	.begin = vp_begin,
	.device_features = vp_device_features,
	.set_features = vp_set_features,
	.config_read = vp_config_read,
	.config_write = vp_config_write,
	.queue_max_size = vp_queue_max_size,
	.queue_enable = vp_queue_enable,
	.queue_notify = vp_queue_notify,
	.driver_ok = vp_driver_ok,
	.fail = vp_fail,
	.isr = vp_isr,
	.reset = vp_reset,
	.shm_region = vp_shm_region,
};

void vgpu_virtio_pci_gone(struct vgpu_virtio_pci *vp)
{
	vp->gone = 1;
}

void vgpu_virtio_pci_transport(struct vgpu_virtio_pci *vp, struct vgpu_transport *out)
{
	if (!out)
		return;
	out->ops = &virtio_pci_ops;
	out->priv = vp;
}
