/* SPDX-License-Identifier: MIT */
/*
 * An in-process virtio-gpu device for unit tests of the kmd core.
 *
 * It implements struct vgpu_transport: the core negotiates features, lays
 * out its queues in fake_os memory and notifies; the fake reads the rings
 * (vring_device.h), checks every command against the wire format and its
 * own tables of live contexts and resources, answers, and raises an
 * "interrupt": the handler the test installed (normally a call of
 * vgpu_device_interrupt) runs on the fake's interrupt thread, as it would
 * on another CPU, or (inline mode) on the notifying thread right after the
 * answer, before queue_notify returns.  Like a level-triggered line, an
 * interrupt raised while no handler is installed is delivered once one is.
 *
 * Every request is answered at once unless a rule says otherwise: DEFER
 * keeps it until fake_gpu_complete_pending() (so tests can hold many
 * requests in flight and complete unfenced ones out of order; fenced ones
 * complete in fence order unless the test asks otherwise), and the fault
 * rules answer with an error, never answer, under-report the bytes
 * written, or add used entries for ids not in flight.  fake_gpu_die()
 * makes the device stop answering.
 *
 * What the core did wrong (sizes, ids, ordering, memory it does not own)
 * is counted in `violations`; a correct core keeps it at zero.
 */
#ifndef VGPU_TESTS_FAKE_GPU_H
#define VGPU_TESTS_FAKE_GPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "fake_os.h"
#include "gpu/wire.h"
#include "virtio/transport.h"
#include "vring_device.h"

#define FAKE_GPU_QUEUES 2u
#define FAKE_GPU_MAX_RULES 8u
#define FAKE_GPU_MAX_CONTEXTS 64u
#define FAKE_GPU_MAX_RESOURCES 1024u
#define FAKE_GPU_MAX_RECORDS 4096u
#define FAKE_GPU_CAPSET1_VERSION 1u
#define FAKE_GPU_CAPSET1_SIZE 308u
#define FAKE_GPU_CAPSET2_VERSION 2u
#define FAKE_GPU_CAPSET2_SIZE 1376u

struct fake_gpu_config {
	uint64_t features;   /* offered feature bits */
	uint16_t queue_size; /* largest size of queues 0 and 1 */
	uint32_t num_capsets;
	uint32_t num_scanouts;
	/*
	 * Mvisor's virtio-vgpu instead: its packed config, commands on queue 0
	 * and control (capsets, contexts) on queue 1, single-range
	 * ATTACH_BACKING; a command on the wrong queue is a violation.
	 */
	bool mvisor;
	bool staging;
	/*
	 * Host-visible memory of this many bytes (0: none), real memory the
	 * fake OS lets map_device_user map.  Standard: shared memory region 1
	 * (blob commands also need RESOURCE_BLOB in `features`); MAP_BLOB
	 * must name a free, page-aligned range inside it.  Mvisor: config
	 * capabilities bit RESOURCE_BLOB; the device places blobs (first fit)
	 * and answers their guest-physical address.
	 */
	uint64_t host_visible_size;
	/*
	 * The transport reports no shared memory region.  Mvisor's device then
	 * answers addresses from FAKE_GPU_MVISOR_WINDOW up, where the fake OS
	 * knows no memory: map_device_user returns the address itself.
	 */
	bool hide_shm_region;
	/* GET_CAPSET_INFO answers capset id 0, an entry the core must skip. */
	bool malformed_capsets;
};

#define FAKE_GPU_MVISOR_WINDOW (256ull << 30)

/* What the next MAP_BLOB answer says instead of the truth (fields whose bit is in `set`). */
#define FAKE_GPU_MAP_INFO (1u << 0)
#define FAKE_GPU_MAP_GPA (1u << 1)
#define FAKE_GPU_MAP_SIZE (1u << 2)
struct fake_gpu_map_answer {
	uint32_t set;
	uint32_t map_info;
	uint64_t gpa;  /* Mvisor */
	uint64_t size; /* Mvisor */
};

/* Mvisor's packed configuration space. */
struct fake_mvisor_config {
	uint8_t staging;
	uint8_t num_queues;
	uint32_t num_capsets;
	uint64_t memory_size;
	uint64_t capabilities;
} __attribute__((packed));

/* VIRGL | VERSION_1 | INDIRECT_DESC | EVENT_IDX, queues of 64, 2 capsets. */
struct fake_gpu_config fake_gpu_default_config(void);

enum fake_gpu_action {
	FAKE_GPU_ANSWER,   /* carry out and answer now */
	FAKE_GPU_DEFER,    /* carry out, answer at fake_gpu_complete_pending() */
	FAKE_GPU_ERROR,    /* answer with the rule's error type, do nothing */
	FAKE_GPU_DROP,     /* never answer */
	FAKE_GPU_TRUNCATE, /* carry out, write the answer, report 8 bytes written */
	FAKE_GPU_BOGUS_ID, /* carry out and answer, then complete the same id again and
			    * an id outside the queue */
	FAKE_GPU_POLLED,   /* carry out, answer at the next notification of any queue: how
			    * QEMU's virtio-gpu-gl finds a fence done (it also polls every
			    * 10 ms; the fake does not) */
};

/* One command as the device received it. */
struct fake_gpu_record {
	uint16_t queue;
	uint32_t type;
	uint32_t flags;
	uint64_t fence_id;
	uint32_t ctx_id;
	uint32_t resource_id; /* commands that name one; capset id for GET_CAPSET */
	uint32_t request_bytes;
	uint8_t *data; /* SUBMIT_3D: the command stream (owned) */
	uint32_t data_len;
};

struct fake_gpu_stats {
	uint64_t notifies;
	uint64_t requests;
	uint64_t answered;
	uint64_t pending;
	uint64_t injected;   /* requests a fault rule took */
	uint64_t bogus_used; /* used entries pushed for ids not in flight */
	uint64_t interrupts;
	uint64_t violations;
	uint64_t resets;
	uint64_t leaked_at_reset; /* contexts + resources still live at a reset */
};

struct fake_gpu_rule {
	uint32_t cmd; /* 0: any command */
	enum fake_gpu_action action;
	uint32_t error;
	int remaining; /* < 0: forever */
};

struct fake_gpu_ctx {
	uint32_t id;
	uint32_t capset;
};

struct fake_gpu_res {
	uint32_t id;
	uint32_t target;
	uint32_t width, height, depth, array_size, last_level, nr_samples;
	uint32_t nr_entries;
	struct wire_mem_entry *entries; /* backing, NULL when detached */
	uint64_t backing_len;
	uint8_t *host;     /* host copy of a buffer's bytes, made at its first transfer */
	uint32_t host_len; /* how many (0: the buffer has no host copy) */
	uint64_t ctx_mask; /* bit i: attached to contexts[i] */
	bool blob;         /* a HOST3D blob */
	uint32_t blob_flags;
	uint64_t blob_id;
	uint64_t blob_size;
	bool mapped;         /* placed in host-visible memory */
	uint64_t map_offset; /* where, from the region's start */
};

struct fake_gpu_pending;

typedef void (*fake_gpu_irq_fn)(void *arg);

struct fake_gpu {
	struct vgpu_transport transport; /* hand &gpu->transport to the core */
	struct fake_gpu_config cfg;
	struct fake_os *os;

	pthread_mutex_t mutex;
	uint8_t status;
	uint64_t driver_features;
	bool dead;
	struct wire_config config;
	struct fake_mvisor_config mvisor_config;
	struct vring_dev queues[FAKE_GPU_QUEUES];
	bool queue_live[FAKE_GPU_QUEUES];
	uint32_t isr;
	uint64_t last_fence;

	struct fake_gpu_rule rules[FAKE_GPU_MAX_RULES];
	unsigned nrules;
	struct fake_gpu_pending *pending; /* arrival order */
	unsigned npending;

	struct fake_gpu_ctx contexts[FAKE_GPU_MAX_CONTEXTS];
	unsigned ncontexts;
	struct fake_gpu_res resources[FAKE_GPU_MAX_RESOURCES];
	unsigned nresources;

	uint8_t *hv_mem; /* host-visible memory, NULL: none */
	uint64_t hv_pa;  /* where the driver sees it */
	struct fake_gpu_map_answer map_lie;

	struct fake_gpu_record records[FAKE_GPU_MAX_RECORDS];
	unsigned nrecords;
	uint64_t recorded_data;
	uint64_t cmd_counts[2][16]; /* [2D, 3D][type & 0xf] */
	struct fake_gpu_stats stats;
	char last_violation[160];

	/* interrupt line */
	pthread_t irq_thread;
	pthread_cond_t irq_cond;
	fake_gpu_irq_fn irq_fn;
	void *irq_arg;
	uint64_t irq_raised;
	uint64_t irq_delivered;
	bool irq_busy;
	bool irq_stop;
	bool irq_inline;

	struct vring_dev_req scratch; /* the request being read, under the mutex */
};

/* The fake reaches guest memory through `os` (fake_os_map_pa). 0 or -1. */
int fake_gpu_init(struct fake_gpu *gpu, struct fake_os *os, const struct fake_gpu_config *cfg);
void fake_gpu_fini(struct fake_gpu *gpu);

/* Install the interrupt handler (NULL to disconnect). */
void fake_gpu_set_irq(struct fake_gpu *gpu, fake_gpu_irq_fn fn, void *arg);
/* Deliver interrupts raised in queue_notify on the notifying thread (true) or the irq thread. */
void fake_gpu_set_irq_inline(struct fake_gpu *gpu, bool inline_irq);
/* Wait until every interrupt raised so far was handled (if a handler is set). */
void fake_gpu_sync_irq(struct fake_gpu *gpu);

/* Apply `action` to the next `count` commands of type `cmd` (0 = any; < 0 = forever). */
void fake_gpu_add_rule(struct fake_gpu *gpu, uint32_t cmd, enum fake_gpu_action action,
		       uint32_t error, int count);
void fake_gpu_clear_rules(struct fake_gpu *gpu);

enum fake_gpu_order {
	FAKE_GPU_ARRIVAL,      /* in the order the requests arrived */
	FAKE_GPU_REVERSED,     /* newest first; fenced requests still in fence order */
	FAKE_GPU_REVERSED_ALL, /* newest first, fenced ones too: fences finishing out of order */
};
/* Answer every deferred request; returns how many.  Interrupts delivered on return. */
unsigned fake_gpu_complete_pending(struct fake_gpu *gpu, enum fake_gpu_order order);
/* The same for the first `max` of them in `order`; the rest stay deferred. */
unsigned fake_gpu_complete_some(struct fake_gpu *gpu, enum fake_gpu_order order, unsigned max);
unsigned fake_gpu_pending_count(struct fake_gpu *gpu);

/* Make the next MAP_BLOB answer lie as `lie` says. */
void fake_gpu_next_map_answer(struct fake_gpu *gpu, const struct fake_gpu_map_answer *lie);
/* Blobs the device has placed in host-visible memory. */
unsigned fake_gpu_mapped_blobs(struct fake_gpu *gpu);

/* Stop answering anything, now and later (requests in flight are never answered). */
void fake_gpu_die(struct fake_gpu *gpu);

/* Snapshots (taken under the fake's lock). */
struct fake_gpu_stats fake_gpu_stats(struct fake_gpu *gpu);
uint64_t fake_gpu_count(struct fake_gpu *gpu, uint32_t cmd); /* commands of a type received */
uint64_t fake_gpu_total_commands(struct fake_gpu *gpu);
unsigned fake_gpu_live_contexts(struct fake_gpu *gpu);
unsigned fake_gpu_live_resources(struct fake_gpu *gpu);
/* Live resources with backing attached that the guest has freed: the device could write there. */
unsigned fake_gpu_freed_backings(struct fake_gpu *gpu);
/* The last record of type `cmd` (0 = any); its data stays valid until fini.  False if none. */
bool fake_gpu_last(struct fake_gpu *gpu, uint32_t cmd, struct fake_gpu_record *out);
/*
 * A live resource's host bytes (buffers only) and backing, by device id;
 * NULL if there is no such resource.  The pointer stays valid until the
 * resource is unreferenced; read it only while no request is in flight.
 */
const struct fake_gpu_res *fake_gpu_resource(struct fake_gpu *gpu, uint32_t res_id);

/* The byte at `offset` of capset `id` (what GET_CAPSET answers). */
uint8_t fake_gpu_capset_byte(uint32_t id, uint32_t offset);

#endif /* VGPU_TESTS_FAKE_GPU_H */
