/* SPDX-License-Identifier: MIT */
/*
 * The TEST device model's virtio-gpu device on virglrenderer: it takes
 * requests off the rings the vhost-user back-end hands over, runs them
 * through the personality's command table, answers them (at once, or when
 * their fence retires) and applies injected faults.
 */
#ifndef VGPU_DEVMODEL_GPU_DEVICE_H
#define VGPU_DEVMODEL_GPU_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "faults.h"
#include "host_visible.h"
#include "vhost_backend.h"

enum gpu_personality {
	GPU_PERSONALITY_STANDARD, /* virtio-gpu with VIRGL, BLOB, CONTEXT_INIT */
	GPU_PERSONALITY_MVISOR,   /* Mvisor's virtio-vgpu (see the README) */
};

struct gpu_options {
	enum gpu_personality personality;
	uint64_t host_visible_size;  /* 0: no host-visible memory, no blob mapping */
	bool staging;                /* Mvisor's "staging" config byte */
	uint64_t mvisor_memory_size; /* Mvisor's memory_size config field */
	bool verbose;
};

/* An answer not given yet: waiting for its fence, or held back by a fault. */
struct held_answer {
	struct held_answer *next;
	unsigned queue;
	uint16_t head;
	uint32_t written;
	bool fenced;       /* still waiting for the fence below */
	bool ctx_timeline; /* a context fence (ctx, ring) rather than a global one */
	uint32_t ctx_id;
	uint8_t ring_idx;
	uint64_t fence_id;
	uint32_t delay_ms; /* lateness to add once it may be answered */
	int64_t due_ms;    /* answered at this time (once not fenced) */
};

struct gpu_device {
	struct gpu_options opts;
	struct faults *faults;
	struct vhost_backend *vb;
	uint64_t features;
	struct held_answer *held;
	struct host_visible hv;
};

/* One request on its way through a command handler. */
struct gpu_call {
	const uint8_t *cmd; /* the whole device-readable part */
	uint32_t len;
	uint8_t *resp; /* the answer, header first */
	uint32_t resp_cap;
	uint32_t resp_len; /* set by handlers that answer more than a header */
	unsigned queue;
};

/* Runs one command; returns the response type (VIRTIO_GPU_RESP_*). */
typedef uint32_t (*gpu_cmd_fn)(struct gpu_device *dev, struct gpu_call *call);

struct gpu_cmd_desc {
	uint32_t type;
	uint32_t min_len; /* shorter requests get ERR_INVALID_PARAMETER */
	int queue;        /* the queue it must arrive on; -1: any */
	gpu_cmd_fn fn;
};

/*
 * Start virglrenderer (surfaceless EGL) and set up the personality.
 * Returns 0, or -1 after saying why on stderr.
 */
int gpu_device_init(struct gpu_device *dev, const struct gpu_options *opts, struct faults *faults);
void gpu_device_fini(struct gpu_device *dev);

/* The vhost-user back-end's view of the device. */
extern const struct vhost_backend_ops gpu_device_backend_ops;

/* How long the main loop may sleep before gpu_device_tick() (-1: until an event). */
int gpu_device_timeout_ms(const struct gpu_device *dev);

/* Retire fences and give answers whose time has come. */
void gpu_device_tick(struct gpu_device *dev);

/* The personalities' command tables, terminated by a zero type. */
extern const struct gpu_cmd_desc gpu_standard_cmds[];
extern const struct gpu_cmd_desc gpu_mvisor_cmds[];

/* Mvisor's configuration space; returns its size. */
uint32_t gpu_mvisor_config(const struct gpu_device *dev, uint8_t *buf, uint32_t cap);

#endif /* VGPU_DEVMODEL_GPU_DEVICE_H */
