/* SPDX-License-Identifier: MIT */
/*
 * The scenarios: each runs vgpu.sys through what Windows would do (PnP,
 * power, processes calling the device) and checks the outcome.  They run
 * in order in one boot; the bring-up ones first, the destructive ones
 * (surprise removal, unload) last.  A scenario that needs something an
 * earlier one failed to provide fails with that reason.
 */
#ifndef NTH_SCENARIO_H
#define NTH_SCENARIO_H

#include "check.h"
#include "iomgr.h"
#include "vgpu/vgpu_abi.h"

struct scenario {
	const char *name;
	void (*run)(void);
	/* the violation that must end it (its rule), NULL: none may */
	const char *expected_violation;
};

/* The user heap of the calling process (testos-nt/user/heap.c). */
void *malloc(size_t size);
void free(void *p);

#define CAPTURES_MAX 8u
#define CAPTURE_LABEL_MAX 32u

/* A capture the sim recorded (docs/replay.md), a boot module with role=capture. */
struct capture_module {
	const uint8_t *bytes;
	size_t len;
	char label[CAPTURE_LABEL_MAX]; /* the file's base name without extension */
};

/* The loaded driver's world, shared by the scenarios of one boot. */
struct world {
	const uint8_t *sys;
	size_t sys_len;
	const uint8_t *symbols;
	size_t symbols_len;
	bool loaded;
	struct pnp_device *gpu; /* the started virtio-gpu function, NULL before */
	struct capture_module captures[CAPTURES_MAX];
	unsigned ncaptures;
	/* the device's host-visible memory as the pass set it up ("host-visible=MIB"), 0: none */
	unsigned host_visible_mib;
};
extern struct world world;

/* Fails the running scenario (and says why) unless the device is started. */
bool need_started_gpu(void);

/*
 * Run fn(arg) as the only thread of a new user process named `name` and
 * wait for it, and every other thread, to end; the process then exits (its
 * handles closed by the I/O manager).
 */
void run_app(const char *name, void (*fn)(void *arg), void *arg);
/* The same while other programs go on: waits for this program's thread only. */
void run_app_beside(const char *name, void (*fn)(void *arg), void *arg);

/* vgpu_open in a program, with the reason printed when it fails (a failed check). */
struct vgpu_dev;
struct vgpu_dev *app_open_device(void);

/*
 * Under the low-resources simulation: a handle in *dev (opened unless it
 * is) with a context named `name`; false, with *failures counted, when an
 * allocation failed on the way (then only NO_MEMORY or DEVICE may come).
 */
bool app_lowres_ready(struct vgpu_dev **dev, const char *name, unsigned *failures);
/* A round's create answered `ret`: true if it made the object, else counted (NO_MEMORY or DEVICE). */
bool app_lowres_created(int ret, unsigned *failures);
/*
 * The rest of round `round`: map `handle` (only NO_MEMORY may fail; `fill`
 * bytes written through the mapping), destroy it, and close *dev every
 * eighth round, so that handles are opened under failures too.
 */
void app_lowres_finish(struct vgpu_dev **dev, unsigned round, uint32_t handle, size_t fill,
		       unsigned *failures);

/* The description of a vertex buffer of `bytes`. */
struct vgpu_resource_create app_vertex_buffer(uint32_t bytes);

/* A program that renders the reference triangle and checks its pixels (run_app's fn). */
void app_render_triangle(void *arg);
/* The same with its vertices written into a mapped HOST3D blob (host-visible memory). */
void app_render_triangle_from_blob(void *arg);

/* CreateFileW on the device's interface path + `suffix`, without libvgpu; *error: Win32's. */
HANDLE app_open_raw(const char *suffix, ULONG *error);
/* One DeviceIoControl; its Win32 error (0: it succeeded). */
ULONG app_call(HANDLE h, ULONG code, void *in, ULONG in_len, void *out, ULONG out_len);

/* GET_STATS into the struct vgpu_get_stats at `arg`, from a program of its own (run_app's fn). */
void app_read_stats(void *arg);

/*
 * Replay one capture through vgpu.sys (scenarios/replay.c): the device
 * stopped and started for a fresh core, the capture run by a new program
 * through libvgpu, then the device's counts back where they were.  Reports
 * its own cases, replay.LABEL.*.
 */
void replay_module(const struct capture_module *capture);

/* The description of a B8G8R8A8 render target of w x h, with its backing size. */
struct vgpu_resource_create app_render_target(uint32_t w, uint32_t h);

extern const struct scenario scenarios_bringup[];
extern const unsigned scenarios_bringup_count;
extern const struct scenario scenarios_device[];
extern const unsigned scenarios_device_count;
extern const struct scenario scenarios_misuse[];
extern const unsigned scenarios_misuse_count;
extern const struct scenario scenarios_validation[];
extern const unsigned scenarios_validation_count;
extern const struct scenario scenarios_memory[];
extern const unsigned scenarios_memory_count;
extern const struct scenario scenarios_cancel[];
extern const unsigned scenarios_cancel_count;
extern const struct scenario scenarios_blob[];
extern const unsigned scenarios_blob_count;
/* Only where the device has host-visible memory. */
extern const struct scenario scenarios_host_visible[];
extern const unsigned scenarios_host_visible_count;
extern const struct scenario scenarios_lifecycle[];
extern const unsigned scenarios_lifecycle_count;

#endif /* NTH_SCENARIO_H */
