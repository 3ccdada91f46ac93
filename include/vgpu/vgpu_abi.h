/* SPDX-License-Identifier: MIT */
/*
 * vgpu IOCTL ABI: the only contract between user mode (libvgpu) and the
 * kernel driver (vgpu.sys on Windows, vgpu-sim on Linux).
 *
 * Rules this header keeps so that it can last:
 *  - every struct is fixed-size, little-endian, naturally aligned, with
 *    explicit padding (which must be zero) and a static size assert;
 *  - no pointer is ever embedded in a request: a call is one small fixed
 *    struct plus at most one variable payload, which the OS hands over as
 *    a separate, locked buffer (Windows: the METHOD_IN_DIRECT /
 *    METHOD_OUT_DIRECT second buffer; the socket channel: bytes that
 *    follow the fixed struct);
 *  - objects are named by handles private to the opened device handle;
 *  - the version is checked by GET_INFO before anything else: a major
 *    mismatch means "do not talk", a minor one only adds calls/fields.
 *
 * Fences are values on a 64-bit timeline private to the opened handle.
 * The caller chooses the value a SUBMIT or TRANSFER signals (it must be
 * greater than every value submitted before on that handle; gaps are
 * allowed), in the manner of a Vulkan timeline semaphore.  The caller
 * therefore knows its fence without the kernel having to write a reply
 * into a direct-I/O call, and WAIT can name any value of the timeline.
 */
#ifndef VGPU_ABI_H
#define VGPU_ABI_H

#include <stdint.h>

#define VGPU_ABI_VERSION_MAJOR 1u
#define VGPU_ABI_VERSION_MINOR 2u

#if defined(__cplusplus)
#define VGPU_ABI_ASSERT_SIZE(type, size) static_assert(sizeof(type) == (size), #type)
#else
#define VGPU_ABI_ASSERT_SIZE(type, size) _Static_assert(sizeof(type) == (size), #type)
#endif

/*
 * Status codes.  Every call returns exactly one of these; the Windows shell
 * carries them as the well-known NTSTATUS values of vgpu_windows.h (whose
 * Win32 errors are all distinct), the socket channel as the reply's
 * status field.
 */
enum vgpu_status {
	VGPU_OK = 0,
	VGPU_E_INVALID = -1,      /* a field has a value the call does not accept */
	VGPU_E_BAD_HANDLE = -2,   /* handle unknown to this opened device handle */
	VGPU_E_BAD_SIZE = -3,     /* fixed struct or payload of the wrong size */
	VGPU_E_UNSUPPORTED = -4,  /* call, capset, feature or format not offered */
	VGPU_E_NO_MEMORY = -5,    /* kernel or device memory exhausted, or a limit reached */
	VGPU_E_DEVICE = -6,       /* the device answered the command with an error */
	VGPU_E_TIMEOUT = -7,      /* WAIT timed out, or the device did not answer in time */
	VGPU_E_BUSY = -8,         /* a no-wait WAIT found the work still running */
	VGPU_E_STATE = -9,        /* call out of order (no context yet, already mapped...) */
	VGPU_E_VERSION = -10,     /* ABI major version mismatch */
	VGPU_E_DEVICE_LOST = -11, /* the device is gone or broken; reopen */
	VGPU_E_TRANSPORT = -12,   /* user mode only: the channel to the driver failed */
	VGPU_E_CANCELLED = -13,   /* the handle was closed while the call waited */
};
/* The most negative status, for tables indexed by -status. */
#define VGPU_E_LOWEST VGPU_E_CANCELLED

/* Device personalities (GET_INFO.personality). */
enum vgpu_personality {
	VGPU_PERSONALITY_STANDARD = 1, /* virtio-gpu, PCI 1AF4:1050 */
	VGPU_PERSONALITY_MVISOR = 2,   /* Mvisor virtio-vgpu, PCI 1AF4:105B */
};

/* GET_INFO.features: what the device negotiated, in our own bit numbers. */
#define VGPU_FEATURE_VIRGL (1ull << 0)
#define VGPU_FEATURE_EDID (1ull << 1)
#define VGPU_FEATURE_RESOURCE_BLOB (1ull << 2)
#define VGPU_FEATURE_CONTEXT_INIT (1ull << 3)
#define VGPU_FEATURE_HOST_VISIBLE (1ull << 4)
#define VGPU_FEATURE_INDIRECT_DESC (1ull << 5)
#define VGPU_FEATURE_EVENT_IDX (1ull << 6)
#define VGPU_FEATURE_STAGING (1ull << 7) /* the device asks for copy transfers (Mvisor) */
/*
 * RESOURCE_CREATE_BLOB: the device creates a HOST3D blob's virgl object
 * itself from the call's description (Mvisor).  Without it the caller must
 * have submitted PIPE_RESOURCE_CREATE with the blob id first.
 */
#define VGPU_FEATURE_BLOB_DESC (1ull << 8)

/* Capset ids, as virtio-gpu numbers them. */
#define VGPU_CAPSET_VIRGL 1u
#define VGPU_CAPSET_VIRGL2 2u

/* Limits the kernel enforces (also reported by GET_INFO). */
#define VGPU_MAX_SUBMIT_BYTES (1u << 20)
#define VGPU_MAX_SUBMIT_HANDLES 4096u
#define VGPU_MAX_CAPSET_BYTES 65536u
#define VGPU_MAX_DEBUG_NAME 64u
#define VGPU_MAX_WAIT_NS (60ull * 1000000000ull)

/*
 * Call numbers.  The Windows control code is
 * CTL_CODE(FILE_DEVICE_UNKNOWN, fn, method, FILE_ANY_ACCESS); the method
 * says which buffer carries the payload.  A code not listed here (or
 * with other method bits) fails with VGPU_E_UNSUPPORTED; a fixed struct
 * of another size than the call's, or a payload where the call has none,
 * with VGPU_E_BAD_SIZE.
 */
enum vgpu_method {
	VGPU_METHOD_BUFFERED = 0,   /* fixed struct in, same fixed struct out */
	VGPU_METHOD_IN_DIRECT = 1,  /* fixed struct in, payload read by the driver */
	VGPU_METHOD_OUT_DIRECT = 2, /* fixed struct in, payload written by the driver */
};

#define VGPU_CTL_CODE(fn, method) ((0x22u << 16) | ((uint32_t)(fn) << 2) | (uint32_t)(method))
#define VGPU_CTL_FN(code) (((code) >> 2) & 0xFFFu)
#define VGPU_CTL_METHOD(code) ((code)&3u)

/*
 * GET_INFO (buffered) - always allowed, first call of every client.
 * in:  abi_major/abi_minor the caller was built with.
 * out: everything else.  Fails with VGPU_E_VERSION on a major mismatch
 *      (the out fields are still filled so that the caller can report).
 */
struct vgpu_get_info {
	uint32_t abi_major;
	uint32_t abi_minor;
	uint32_t personality;       /* enum vgpu_personality */
	uint32_t capset_mask;       /* bit N set: capset id N is offered */
	uint64_t features;          /* VGPU_FEATURE_* */
	uint64_t host_visible_size; /* bytes of host-visible memory, 0 if none */
	uint32_t max_submit_bytes;
	uint32_t max_submit_handles;
	uint32_t num_scanouts;
	uint32_t pad;
};
VGPU_ABI_ASSERT_SIZE(struct vgpu_get_info, 48);
#define VGPU_IOCTL_GET_INFO VGPU_CTL_CODE(0x900, VGPU_METHOD_BUFFERED)

/*
 * GET_CAPSET (out direct) - the host's capability set bytes.
 * in: capset_id and version (from GET_INFO.capset_mask; version 0 means the
 *     highest the device offers); out payload: the capset bytes, at most
 *     VGPU_MAX_CAPSET_BYTES; bytes written is the call's payload size.
 * Errors: UNSUPPORTED (capset not offered), BAD_SIZE (payload too small for
 *     the capset: nothing is written), DEVICE.
 */
struct vgpu_get_capset {
	uint32_t capset_id;
	uint32_t version;
};
VGPU_ABI_ASSERT_SIZE(struct vgpu_get_capset, 8);
#define VGPU_IOCTL_GET_CAPSET VGPU_CTL_CODE(0x901, VGPU_METHOD_OUT_DIRECT)

/*
 * CONTEXT_CREATE (buffered) - create this handle's rendering context on the
 * device.  One context per opened handle; resources and submits need it.
 * in: capset_id (VIRGL or VIRGL2), flags (0), debug_name (NUL-padded, shown
 *     in host logs).
 * out: ctx_id, the device's context id (informational).
 * Errors: STATE (already created), UNSUPPORTED (capset), INVALID (flags,
 *     unterminated name), DEVICE, NO_MEMORY.
 */
struct vgpu_context_create {
	uint32_t capset_id;
	uint32_t flags;
	char debug_name[VGPU_MAX_DEBUG_NAME];
	uint32_t ctx_id;
	uint32_t pad;
};
VGPU_ABI_ASSERT_SIZE(struct vgpu_context_create, 80);
#define VGPU_IOCTL_CONTEXT_CREATE VGPU_CTL_CODE(0x902, VGPU_METHOD_BUFFERED)

/*
 * RESOURCE_CREATE (buffered) - a 3D resource with guest backing memory,
 * attached to this handle's context.
 * in: the gallium description (target = enum pipe_texture_target, format =
 *     enum virgl_formats, bind = VIRGL_BIND_*, ...), flags (0 or
 *     VGPU_RESOURCE_FLAG_Y_0_TOP) and size, the bytes of guest backing the
 *     caller's layout needs (user mode owns the layout, as in Mesa's virgl
 *     driver: it passes the matching strides with every transfer).
 *     Buffers: height = depth = array_size = 1, last_level = 0.
 * out: handle (for every other call) and res_id (the device's resource id,
 *     to use inside virgl command streams).  The backing is `size` rounded
 *     up to whole 4 KiB pages; MAP and transfer bounds use that size.
 * Errors: STATE (no context), INVALID (target, a format virgl does not
 *     define, zero or oversized dimensions or size, levels beyond the
 *     dimensions, samples, flags),
 *     NO_MEMORY, DEVICE.
 */
#define VGPU_RESOURCE_FLAG_Y_0_TOP (1u << 0)
#define VGPU_MAX_RESOURCE_BYTES (1ull << 30)
#define VGPU_MAX_TEXTURE_DIM 16384u
struct vgpu_resource_create {
	uint32_t target;
	uint32_t format;
	uint32_t bind;
	uint32_t width;
	uint32_t height;
	uint32_t depth;
	uint32_t array_size;
	uint32_t last_level;
	uint32_t nr_samples;
	uint32_t flags;
	uint64_t size;
	/* out */
	uint32_t handle;
	uint32_t res_id;
};
VGPU_ABI_ASSERT_SIZE(struct vgpu_resource_create, 56);
#define VGPU_IOCTL_RESOURCE_CREATE VGPU_CTL_CODE(0x903, VGPU_METHOD_BUFFERED)

/*
 * RESOURCE_DESTROY (buffered) - release a resource: its user mapping, its
 * device object and, once the device no longer uses it, its memory.
 * Errors: BAD_HANDLE.
 */
struct vgpu_resource_destroy {
	uint32_t handle;
	uint32_t pad;
};
VGPU_ABI_ASSERT_SIZE(struct vgpu_resource_destroy, 8);
#define VGPU_IOCTL_RESOURCE_DESTROY VGPU_CTL_CODE(0x904, VGPU_METHOD_BUFFERED)

/*
 * RESOURCE_CREATE_BLOB (buffered, ABI 1.1) - a HOST3D blob: a resource whose
 * memory is the host's, mappable through the device's host-visible memory
 * (GET_INFO.features RESOURCE_BLOB and HOST_VISIBLE), attached to this
 * handle's context.  Such a mapping is what GL's persistent and coherent
 * buffers need: writes on either side are seen by the other without copies.
 * in: blob_mem = VGPU_BLOB_MEM_HOST3D; blob_flags = VGPU_BLOB_FLAG_* (MAPPABLE
 *     to map it); blob_id = the id of the virgl object (nonzero, below 2^32):
 *     unless GET_INFO has VGPU_FEATURE_BLOB_DESC, the caller has already
 *     submitted a PIPE_RESOURCE_CREATE with this blob id on its context;
 *     size = bytes of the blob, a nonzero multiple of 4 KiB; desc = the
 *     gallium description as for RESOURCE_CREATE (its size, handle and
 *     res_id must be 0), which the device uses under VGPU_FEATURE_BLOB_DESC
 *     and the kernel validates always.
 * out: handle and res_id.  RESOURCE_MAP maps the blob's host memory with the
 *     cache type the device asks for; transfers are refused (INVALID) since
 *     the blob has no guest backing; submits and WAIT work as for others.
 * Errors: STATE (no context), UNSUPPORTED (no blob support or host-visible
 *     memory), INVALID (blob_mem, flags, blob_id, size, desc), NO_MEMORY,
 *     DEVICE.
 */
#define VGPU_BLOB_MEM_HOST3D 2u
#define VGPU_BLOB_FLAG_MAPPABLE (1u << 0)
struct vgpu_resource_create_blob {
	uint32_t blob_mem;
	uint32_t blob_flags;
	uint64_t blob_id;
	uint64_t size;
	struct vgpu_resource_create desc;
	/* out */
	uint32_t handle;
	uint32_t res_id;
};
VGPU_ABI_ASSERT_SIZE(struct vgpu_resource_create_blob, 88);
#define VGPU_IOCTL_RESOURCE_CREATE_BLOB VGPU_CTL_CODE(0x90C, VGPU_METHOD_BUFFERED)

/*
 * RESOURCE_MAP (buffered) - map the resource's guest backing (a blob: its
 * host-visible memory) into the calling process.  One mapping per
 * resource; MAP of a mapped resource returns the same address.
 * out: address (in the caller's address space) and size.
 * Errors: BAD_HANDLE, NO_MEMORY (also: no room left in the host-visible
 *     memory), INVALID (a blob created without MAPPABLE), DEVICE.
 * RESOURCE_UNMAP (buffered): in handle.  Errors: BAD_HANDLE, STATE (not mapped).
 */
struct vgpu_resource_map {
	uint32_t handle;
	uint32_t flags;
	uint64_t address;
	uint64_t size;
};
VGPU_ABI_ASSERT_SIZE(struct vgpu_resource_map, 24);
#define VGPU_IOCTL_RESOURCE_MAP VGPU_CTL_CODE(0x905, VGPU_METHOD_BUFFERED)
#define VGPU_IOCTL_RESOURCE_UNMAP VGPU_CTL_CODE(0x906, VGPU_METHOD_BUFFERED)

/*
 * TRANSFER_TO_HOST / TRANSFER_FROM_HOST (buffered) - copy a box of one
 * level between the guest backing and the host resource, asynchronously.
 * in: box inside the level's dimensions; offset = where the box starts in
 *     the backing; stride / layer_stride = the backing's row and slice
 *     pitch for this transfer (0 for tightly packed); signal =
 *     the timeline value that completes with the transfer.
 * Errors: BAD_HANDLE, INVALID (box outside the level, level > last_level,
 *     box extending past the backing in bytes of the resource's format,
 *     whole blocks for compressed ones; a stride below one row of the box;
 *     signal not increasing), STATE, DEVICE,
 *     TIMEOUT (the device's queue stayed full, or at the fence id wrap once
 *     every 2^31 fences its earlier work stopped completing), DEVICE_LOST.
 */
struct vgpu_box {
	uint32_t x, y, z;
	uint32_t w, h, d;
};
VGPU_ABI_ASSERT_SIZE(struct vgpu_box, 24);

struct vgpu_transfer {
	uint32_t handle;
	uint32_t level;
	struct vgpu_box box;
	uint64_t offset;
	uint32_t stride;
	uint32_t layer_stride;
	uint64_t signal;
};
VGPU_ABI_ASSERT_SIZE(struct vgpu_transfer, 56);
#define VGPU_IOCTL_TRANSFER_TO_HOST VGPU_CTL_CODE(0x907, VGPU_METHOD_BUFFERED)
#define VGPU_IOCTL_TRANSFER_FROM_HOST VGPU_CTL_CODE(0x908, VGPU_METHOD_BUFFERED)

/*
 * SUBMIT (in direct) - run a virgl command stream in this handle's context.
 * in: size = bytes of command stream (a multiple of 4, at most
 *     VGPU_MAX_SUBMIT_BYTES), num_handles (at most VGPU_MAX_SUBMIT_HANDLES),
 *     signal = the timeline value that completes with the stream.
 * payload: uint32_t handles[num_handles] (the resources the stream uses,
 *     so that WAIT on them covers it), then the command stream.
 * Errors: STATE (no context), BAD_SIZE (payload size != 4*num_handles +
 *     size), BAD_HANDLE, INVALID (size, flags, signal not increasing),
 *     NO_MEMORY, DEVICE, TIMEOUT and DEVICE_LOST (as for transfers).
 */
struct vgpu_submit {
	uint32_t size;
	uint32_t num_handles;
	uint32_t flags;
	uint32_t pad;
	uint64_t signal;
};
VGPU_ABI_ASSERT_SIZE(struct vgpu_submit, 24);
#define VGPU_IOCTL_SUBMIT VGPU_CTL_CODE(0x909, VGPU_METHOD_IN_DIRECT)

/*
 * WAIT (buffered) - wait until a timeline value is reached, or until every
 * submit and transfer that used a resource is done.
 * in: kind, handle (RESOURCE; must be 0 for FENCE) or value (FENCE),
 *     timeout_ns (0 = do not wait, just ask; capped at VGPU_MAX_WAIT_NS).
 * A value completes when the device has finished the work, also when it
 * answered that work with an error (counted in GET_STATS.device_errors);
 * work a lost device never finished does not complete: WAIT says
 * DEVICE_LOST.
 * out: completed, the handle's timeline value now reached.
 * Errors: BUSY (timeout 0 and not done), TIMEOUT, BAD_HANDLE, INVALID
 *     (kind, value never submitted), DEVICE_LOST, CANCELLED (the handle is
 *     being closed by another thread; on Windows also CancelIoEx on the
 *     call and the termination of the calling thread, noticed within 50 ms:
 *     the work waited for goes on and its value still completes).
 */
enum vgpu_wait_kind {
	VGPU_WAIT_FENCE = 1,
	VGPU_WAIT_RESOURCE = 2,
};
struct vgpu_wait {
	uint32_t kind;
	uint32_t handle;
	uint64_t value;
	uint64_t timeout_ns;
	uint64_t completed;
};
VGPU_ABI_ASSERT_SIZE(struct vgpu_wait, 32);
#define VGPU_IOCTL_WAIT VGPU_CTL_CODE(0x90A, VGPU_METHOD_BUFFERED)

/*
 * GET_STATS (buffered) - device-wide object counts, for diagnostics and for
 * tests that check a closed handle left nothing behind.  Counts only: it
 * tells nothing about another opener's objects but their number.
 */
struct vgpu_get_stats {
	uint32_t open_files;
	uint32_t contexts;
	uint32_t resources;
	uint32_t requests_in_flight;
	uint64_t backing_bytes;
	uint64_t device_errors; /* commands the device answered with an error */
	uint64_t fences_completed;
	uint64_t bad_completions; /* device answers naming no request, or too short */
};
VGPU_ABI_ASSERT_SIZE(struct vgpu_get_stats, 48);
#define VGPU_IOCTL_GET_STATS VGPU_CTL_CODE(0x90B, VGPU_METHOD_BUFFERED)

/*
 * GET_LIMITS (buffered; ABI 1.2) - the limits on memory pinned for resource
 * backing (guest pages nothing can page out), and what is pinned now.
 * out: pinned_max (all processes together) and pinned_max_per_process (the
 *     handles of one process together; where the driver knows no
 *     processes, of one handle), 0 meaning no limit; pinned (all, now) and
 *     pinned_by_caller (the caller's process, now).  A RESOURCE_CREATE
 *     whose backing would pass a limit fails with NO_MEMORY.
 */
struct vgpu_get_limits {
	uint64_t pinned_max;
	uint64_t pinned_max_per_process;
	uint64_t pinned;
	uint64_t pinned_by_caller;
};
VGPU_ABI_ASSERT_SIZE(struct vgpu_get_limits, 32);
#define VGPU_IOCTL_GET_LIMITS VGPU_CTL_CODE(0x90D, VGPU_METHOD_BUFFERED)

/* Size of a dimension at a mip level, as gallium computes it. */
static inline uint32_t vgpu_minify(uint32_t size, uint32_t level)
{
	uint32_t v = size >> level;
	return v ? v : 1u;
}

#endif /* VGPU_ABI_H */
