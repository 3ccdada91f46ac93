/* SPDX-License-Identifier: MIT */
#include "harness.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* The fake GPU's interrupt line, connected to the core's interrupt entry. */
static void deliver_interrupt(void *arg)
{
	vgpu_device_interrupt(arg);
}

int harness_fakes(struct harness *h, const struct fake_gpu_config *cfg)
{
	memset(h, 0, sizeof(*h));
	if (fake_os_init(&h->os) != 0 || fake_gpu_init(&h->gpu, &h->os, cfg) != 0) {
		fprintf(stderr, "harness: cannot set up the fakes\n");
		return VGPU_E_NO_MEMORY;
	}
	return VGPU_OK;
}

int harness_create(struct harness *h)
{
	enum vgpu_personality personality =
		h->gpu.cfg.mvisor ? VGPU_PERSONALITY_MVISOR : VGPU_PERSONALITY_STANDARD;
	int ret = vgpu_device_create(&h->os.os, &h->gpu.transport, personality, &h->dev);

	if (ret != VGPU_OK) {
		h->dev = NULL;
		return ret;
	}
	fake_gpu_set_irq(&h->gpu, deliver_interrupt, h->dev);
	vgpu_device_set_command_timeout(h->dev, HARNESS_COMMAND_TIMEOUT_NS);
	ret = vgpu_device_start(h->dev);
	if (ret != VGPU_OK) {
		vgpu_device_destroy(h->dev);
		fake_gpu_set_irq(&h->gpu, NULL, NULL);
		h->dev = NULL;
	}
	return ret;
}

int harness_up(struct harness *h, const struct fake_gpu_config *cfg)
{
	int ret = harness_fakes(h, cfg);

	return ret == VGPU_OK ? harness_create(h) : ret;
}

bool harness_down(struct harness *h)
{
	struct fake_gpu_stats gs;
	bool ok = true;

	if (h->dev) {
		vgpu_device_destroy(h->dev);
		h->dev = NULL;
	}
	fake_gpu_set_irq(&h->gpu, NULL, NULL);
	gs = fake_gpu_stats(&h->gpu);
	if (gs.violations) {
		fprintf(stderr, "harness: %llu device protocol violations, last: %s\n",
			(unsigned long long)gs.violations, h->gpu.last_violation);
		ok = false;
	}
	if (fake_os_live(&h->os)) {
		fprintf(stderr,
			"harness: leaked %lld allocs, %lld dma, %lld backings, %lld maps, "
			"%lld locks, %lld events\n",
			(long long)h->os.live_allocs, (long long)h->os.live_dma,
			(long long)h->os.live_backings, (long long)h->os.live_maps,
			(long long)h->os.live_locks, (long long)h->os.live_events);
		ok = false;
	}
	if (h->os.violations) {
		fprintf(stderr, "harness: %llu misuses of the OS table\n",
			(unsigned long long)h->os.violations);
		ok = false;
	}
	fake_gpu_fini(&h->gpu);
	fake_os_fini(&h->os);
	return ok;
}

struct vgpu_file *harness_open(struct harness *h, void *cookie)
{
	struct vgpu_file *f = NULL;

	if (vgpu_file_open(h->dev, cookie, &f) != VGPU_OK)
		return NULL;
	return f;
}

int harness_session_up(struct harness *h, bool with_context, struct vgpu_file **f)
{
	int ret = harness_up(h, NULL);

	*f = NULL;
	if (ret != VGPU_OK)
		return ret;
	ret = vgpu_file_open(h->dev, h, f);
	if (ret != VGPU_OK) {
		*f = NULL;
		return ret;
	}
	return with_context ? make_context(*f) : VGPU_OK;
}

bool harness_session_down(struct harness *h, struct vgpu_file **f)
{
	if (*f)
		vgpu_file_close(*f);
	*f = NULL;
	return harness_down(h);
}

int call(struct vgpu_file *f, uint32_t code, void *arg, uint32_t size)
{
	struct vgpu_ioctl_bufs b = {
		.in = arg,
		.in_size = size,
		.out = arg,
		.out_size = size,
	};

	return vgpu_file_ioctl(f, code, &b);
}

int call_payload(struct vgpu_file *f, uint32_t code, const void *arg, uint32_t size, void *payload,
		 uint32_t payload_size, uint32_t *written)
{
	struct vgpu_ioctl_bufs b = {
		.in = arg,
		.in_size = size,
		.payload = payload,
		.payload_size = payload_size,
	};
	int ret = vgpu_file_ioctl(f, code, &b);

	if (written)
		*written = b.payload_written;
	return ret;
}

int make_context(struct vgpu_file *f)
{
	struct vgpu_context_create c = { .capset_id = VGPU_CAPSET_VIRGL2 };

	strcpy(c.debug_name, "unit-test");
	return call(f, VGPU_IOCTL_CONTEXT_CREATE, &c, sizeof(c));
}

struct vgpu_resource_create buffer_desc(uint32_t size)
{
	return (struct vgpu_resource_create){
		.target = 0,
		.format = 64 /* R8_UNORM */,
		.bind = 1u << 4,
		.width = size,
		.height = 1,
		.depth = 1,
		.array_size = 1,
		.size = size,
	};
}

struct vgpu_resource_create texture_desc(uint32_t w, uint32_t h, uint32_t levels)
{
	return (struct vgpu_resource_create){
		.target = 2,
		.format = 1 /* B8G8R8A8_UNORM */,
		.bind = 1u << 3,
		.width = w,
		.height = h,
		.depth = 1,
		.array_size = 1,
		.last_level = levels - 1,
		.size = (uint64_t)w * h * 4 * 2,
	};
}

static uint32_t make_resource(struct vgpu_file *f, struct vgpu_resource_create *c, uint32_t *res_id)
{
	if (call(f, VGPU_IOCTL_RESOURCE_CREATE, c, sizeof(*c)) != VGPU_OK)
		return 0;
	if (res_id)
		*res_id = c->res_id;
	return c->handle;
}

uint32_t make_buffer(struct vgpu_file *f, uint32_t size, uint32_t *res_id)
{
	struct vgpu_resource_create c = buffer_desc(size);

	return make_resource(f, &c, res_id);
}

uint32_t make_texture(struct vgpu_file *f, uint32_t w, uint32_t h, uint32_t levels)
{
	struct vgpu_resource_create c = texture_desc(w, h, levels);

	return make_resource(f, &c, NULL);
}

struct vgpu_resource_create_blob blob_desc(uint64_t size, uint64_t blob_id)
{
	struct vgpu_resource_create_blob b = {
		.blob_mem = VGPU_BLOB_MEM_HOST3D,
		.blob_flags = VGPU_BLOB_FLAG_MAPPABLE,
		.blob_id = blob_id,
		.size = size,
		.desc = buffer_desc((uint32_t)size),
	};

	b.desc.size = 0;
	return b;
}

uint32_t make_blob(struct vgpu_file *f, uint64_t size, uint64_t blob_id, uint32_t *res_id)
{
	struct vgpu_resource_create_blob b = blob_desc(size, blob_id);

	if (call(f, VGPU_IOCTL_RESOURCE_CREATE_BLOB, &b, sizeof(b)) != VGPU_OK)
		return 0;
	if (res_id)
		*res_id = b.res_id;
	return b.handle;
}

int map_handle(struct vgpu_file *f, uint32_t handle, struct vgpu_resource_map *m)
{
	struct vgpu_resource_map local = { .handle = handle };
	int ret = call(f, VGPU_IOCTL_RESOURCE_MAP, &local, sizeof(local));

	if (m)
		*m = local;
	return ret;
}

int unmap_handle(struct vgpu_file *f, uint32_t handle)
{
	struct vgpu_resource_map m = { .handle = handle };

	return call(f, VGPU_IOCTL_RESOURCE_UNMAP, &m, sizeof(m));
}

int destroy_handle(struct vgpu_file *f, uint32_t handle)
{
	struct vgpu_resource_destroy d = { .handle = handle };

	return call(f, VGPU_IOCTL_RESOURCE_DESTROY, &d, sizeof(d));
}

/* A command stream of `ndwords` recognisable dwords after the handle list. */
int submit(struct vgpu_file *f, const uint32_t *handles, uint32_t nhandles, uint32_t ndwords,
	   uint64_t signal)
{
	struct vgpu_submit s = { .size = ndwords * 4, .num_handles = nhandles, .signal = signal };
	uint32_t payload[64];

	if (nhandles + ndwords > 64)
		return VGPU_E_INVALID;
	if (nhandles)
		memcpy(payload, handles, nhandles * sizeof(uint32_t));
	for (uint32_t i = 0; i < ndwords; i++)
		payload[nhandles + i] = 0xc0de0000u + i;
	return call_payload(f, VGPU_IOCTL_SUBMIT, &s, sizeof(s), payload, (nhandles + ndwords) * 4,
			    NULL);
}

int wait_fence(struct vgpu_file *f, uint64_t value, uint64_t timeout_ns, uint64_t *completed)
{
	struct vgpu_wait w = { .kind = VGPU_WAIT_FENCE, .value = value, .timeout_ns = timeout_ns };
	int ret = call(f, VGPU_IOCTL_WAIT, &w, sizeof(w));

	if (completed)
		*completed = w.completed;
	return ret;
}

int transfer_buffer(struct vgpu_file *f, uint32_t code, uint32_t handle, uint32_t x, uint32_t w,
		    uint64_t signal)
{
	struct vgpu_transfer t = {
		.handle = handle,
		.box = { .x = x, .w = w, .h = 1, .d = 1 },
		.offset = x,
		.signal = signal,
	};

	return call(f, code, &t, sizeof(t));
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
