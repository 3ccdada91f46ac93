/* SPDX-License-Identifier: MIT */
/*
 * The in-process channel (bench_core_channel.h).  Each call is marshalled
 * as vgpu.sys and the sim marshal theirs: a buffered call's struct goes
 * back in place, an IN_DIRECT payload of several pieces is gathered into
 * one buffer (as the Windows channel does), OUT_DIRECT's is written where
 * the caller wants it.
 */
#include "bench_core_channel.h"

#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "libvgpu.h"
#include "sim_device.h"
#include "user_maps.h"
#include "vgpu/vgpu_abi.h"

#define CORE_MEM_BYTES (256ull << 20)

struct core_channel {
	struct vgpu_channel base;
	struct sim_device device;
	struct user_maps maps;
	struct vgpu_file *file;
	int no_client; /* -1: a call in process is never interrupted by its client leaving */
	uint8_t *gather;
	size_t gather_cap;
};

/* The payload of an IN_DIRECT call in one piece: the caller's, or gathered. */
static int in_payload(struct core_channel *c, const struct vgpu_call *call, void **payload,
		      uint32_t *size)
{
	size_t total = 0, at = 0;

	for (uint32_t i = 0; i < call->num_pieces; i++)
		total += call->payload_in[i].len;
	if (total > UINT32_MAX)
		return VGPU_E_INVALID;
	*size = (uint32_t)total;
	if (call->num_pieces <= 1) {
		*payload = call->num_pieces ? (void *)call->payload_in[0].base : NULL;
		return VGPU_OK;
	}
	if (total > c->gather_cap) {
		uint8_t *bigger = realloc(c->gather, total);

		if (!bigger)
			return VGPU_E_NO_MEMORY;
		c->gather = bigger;
		c->gather_cap = total;
	}
	for (uint32_t i = 0; i < call->num_pieces; i++) {
		memcpy(c->gather + at, call->payload_in[i].base, call->payload_in[i].len);
		at += call->payload_in[i].len;
	}
	*payload = c->gather;
	return VGPU_OK;
}

static int core_call(struct vgpu_channel *base, struct vgpu_call *call)
{
	struct core_channel *c = (struct core_channel *)base;
	uint32_t method = VGPU_CTL_METHOD(call->code);
	bool buffered = method == VGPU_METHOD_BUFFERED;
	struct vgpu_ioctl_bufs bufs = {
		.in = call->fixed,
		.in_size = call->fixed_size,
		.out = buffered ? call->fixed : NULL,
		.out_size = buffered ? call->fixed_size : 0,
		.call = &c->no_client,
	};
	int status;

	call->payload_written = 0;
	if (call->code == VGPU_IOCTL_RESOURCE_MAP)
		return VGPU_E_UNSUPPORTED;
	if (method == VGPU_METHOD_IN_DIRECT) {
		status = in_payload(c, call, &bufs.payload, &bufs.payload_size);
		if (status != VGPU_OK)
			return status;
	} else if (method == VGPU_METHOD_OUT_DIRECT) {
		bufs.payload = call->payload_out;
		bufs.payload_size = call->payload_out_cap;
	}
	status = vgpu_file_ioctl(c->file, call->code, &bufs);
	if (method == VGPU_METHOD_OUT_DIRECT && bufs.payload_written <= bufs.payload_size)
		call->payload_written = bufs.payload_written;
	return status;
}

static void core_close(struct vgpu_channel *base)
{
	struct core_channel *c = (struct core_channel *)base;

	if (c->file)
		vgpu_file_close(c->file);
	user_maps_fini(&c->maps);
	sim_device_stop(&c->device);
	free(c->gather);
	free(c);
}

static const struct vgpu_channel_ops core_ops = {
	.call = core_call,
	.close = core_close,
};

int bench_core_channel_open(struct vgpu_channel **out, char *why, size_t why_cap)
{
	const struct backend_device *qemu = backend_device_by_name("qemu");
	struct sim_device_config cfg = {
		.mem_size = CORE_MEM_BYTES,
		.device = qemu,
		.log_level = VGPU_LOG_WARN,
	};
	struct core_channel *c;
	int status;

	if (!qemu)
		return vgpu_fail_why(why, why_cap, VGPU_E_INVALID, "the sim knows no qemu device");
	c = calloc(1, sizeof(*c));
	if (!c)
		return vgpu_fail_why(why, why_cap, VGPU_E_NO_MEMORY, "out of memory");
	*c = (struct core_channel){ .base.ops = &core_ops,
				    .device = SIM_DEVICE_INIT,
				    .no_client = -1 };
	user_maps_init(&c->maps);
	cfg.backend_path = backend_default_path(qemu);
	if (sim_device_start(&c->device, &cfg, "vgpu-bench") != 0) {
		core_close(&c->base);
		return vgpu_fail_why(why, why_cap, VGPU_E_DEVICE,
				     "the in-process device did not start (see above)");
	}
	status = vgpu_file_open(c->device.dev, &c->maps, &c->file);
	if (status != VGPU_OK) {
		c->file = NULL;
		core_close(&c->base);
		return vgpu_fail_why(why, why_cap, status, "vgpu_file_open: %s",
				     vgpu_status_str(status));
	}
	*out = &c->base;
	return VGPU_OK;
}
