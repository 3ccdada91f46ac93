/* SPDX-License-Identifier: MIT */
/*
 * What every core unit test needs: a fake OS, a fake virtio-gpu wired to
 * the core's interrupt entry, a device, and short ways to make calls of the
 * ABI through vgpu_file_ioctl exactly as a shell would.
 */
#ifndef VGPU_TESTS_CORE_HARNESS_H
#define VGPU_TESTS_CORE_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "fake_gpu.h"
#include "fake_os.h"
#include "vgpu_core.h"

/*
 * Synchronous commands give up after this long in tests (the core's default
 * is 5 s): long enough for a fake GPU whose interrupt thread is starved on
 * a loaded machine (200 ms was not: a bring-up timed out under ASan with
 * fuzzers running), short enough for the tests that wait it out.
 */
#define HARNESS_COMMAND_TIMEOUT_NS (1000ull * 1000000ull)

struct harness {
	struct fake_os os;
	struct fake_gpu gpu;
	struct vgpu_device *dev;
};

/* Set up a fake OS and GPU (cfg NULL: the default), without a device. */
int harness_fakes(struct harness *h, const struct fake_gpu_config *cfg);
/*
 * Create the device (with the personality the fake GPU plays), route the
 * fake's interrupts to it, shorten its command
 * timeout and start it.  Returns the first failing status; on failure the
 * device is destroyed (h->dev NULL) and the fakes stay up for inspection.
 */
int harness_create(struct harness *h);
/* Both steps. */
int harness_up(struct harness *h, const struct fake_gpu_config *cfg);

/*
 * Destroy the device (if any) and tear the fakes down.  Returns true when
 * the core left no object behind in the OS and broke no rule of the OS
 * table or of the device; prints what went wrong otherwise.  (The tests
 * CHECK the results: tap.h keeps its counters per program file.)
 */
bool harness_down(struct harness *h);

/* Open a file whose shell cookie is `cookie`; NULL if that failed. */
struct vgpu_file *harness_open(struct harness *h, void *cookie);

/*
 * What most cases work on: a device (default fakes) and one open file in
 * *f, with a context if asked.  Returns the first failing status; *f is
 * NULL unless the file opened.  session.h checks these for a TAP program.
 */
int harness_session_up(struct harness *h, bool with_context, struct vgpu_file **f);
/* Close *f (if open, and set it NULL), then harness_down(). */
bool harness_session_down(struct harness *h, struct vgpu_file **f);

/* A buffered call: `arg` is both the in and the out struct. */
int call(struct vgpu_file *f, uint32_t code, void *arg, uint32_t size);
/* A direct call: fixed struct in, `payload` read or written; *written gets payload_written. */
int call_payload(struct vgpu_file *f, uint32_t code, const void *arg, uint32_t size, void *payload,
		 uint32_t payload_size, uint32_t *written);

/* Shorthands for set-up steps: a status, or a handle (0 when the call failed). */
int make_context(struct vgpu_file *f);
/* A buffer of `size` bytes; its device id in *res_id if non-NULL. */
uint32_t make_buffer(struct vgpu_file *f, uint32_t size, uint32_t *res_id);
/* A 2D texture with `levels` mip levels and a w*h*4*2-byte backing. */
uint32_t make_texture(struct vgpu_file *f, uint32_t w, uint32_t h, uint32_t levels);
/* A valid buffer description of `size` bytes. */
struct vgpu_resource_create buffer_desc(uint32_t size);
/* A valid 2D texture description. */
struct vgpu_resource_create texture_desc(uint32_t w, uint32_t h, uint32_t levels);

/* A valid HOST3D blob request: a mappable buffer of `size` bytes named `blob_id`. */
struct vgpu_resource_create_blob blob_desc(uint64_t size, uint64_t blob_id);
/* Create that blob: its handle (0 when the call failed), its device id in *res_id if non-NULL. */
uint32_t make_blob(struct vgpu_file *f, uint64_t size, uint64_t blob_id, uint32_t *res_id);
/* RESOURCE_MAP / RESOURCE_UNMAP / RESOURCE_DESTROY of a handle; the status (and *m if non-NULL). */
int map_handle(struct vgpu_file *f, uint32_t handle, struct vgpu_resource_map *m);
int unmap_handle(struct vgpu_file *f, uint32_t handle);
int destroy_handle(struct vgpu_file *f, uint32_t handle);

int submit(struct vgpu_file *f, const uint32_t *handles, uint32_t nhandles, uint32_t ndwords,
	   uint64_t signal);
int wait_fence(struct vgpu_file *f, uint64_t value, uint64_t timeout_ns, uint64_t *completed);
int transfer_buffer(struct vgpu_file *f, uint32_t code, uint32_t handle, uint32_t x, uint32_t w,
		    uint64_t signal);

uint64_t now_ns(void);

#endif /* VGPU_TESTS_CORE_HARNESS_H */
