/* SPDX-License-Identifier: MIT */
/*
 * The device answering with errors.  The ABI validates everything before
 * the device sees it, so these cases speak to the device through the
 * core's internal command functions, as a buggy or hostile path would.
 * Each checks that the answer is reported as VGPU_E_DEVICE (counted in
 * GET_STATS.device_errors) and that the device keeps working afterwards.
 *
 * QEMU 7.2 answers with an error only where QEMU itself checks (unknown
 * capset, malformed memory entry list, size mismatch of a SUBMIT_3D);
 * virglrenderer's own complaints (a SUBMIT_3D to an unknown context, a
 * transfer naming an unknown resource) are logged by the host and answered
 * OK.  Those cases therefore check only that the request completes and
 * does no harm, and print what the device said.
 */
#include <string.h>

#include "check.h"
#include "client.h"
#include "device.h"
#include "gpu/commands.h"
#include "gpu/wire.h"
#include "../kernel/clock.h"
#include "../kernel/cpu.h"
#include "heap.h"
#include "../kernel/kprint.h"
#include "../shell/gpu.h"

#define PROBE_TIMEOUT_NS (5ull * 1000000000ull)
/* Ids far above anything the core hands out in one run. */
#define UNKNOWN_ID 0x7FFFFFF0u
/* QEMU refuses longer memory entry lists. */
#define DEVICE_MAX_ENTRIES 16384u

/* What a fenced request sent behind the ABI's back heard from the device. */
struct probe {
	bool done;
	int status;
	uint32_t resp_type;
};

static void probe_done(struct vgpu_device *dev, struct vgpu_request *req)
{
	struct probe *p = req->owner;

	p->done = true;
	p->status = req->status;
	p->resp_type = req->resp_type;
	vgpu_req_free_locked(dev, req);
}

static struct vgpu_fence_target probe_target(struct probe *p)
{
	*p = (struct probe){ .status = 1 };
	return (struct vgpu_fence_target){ .done = probe_done, .owner = p };
}

/* Poll the used ring, as the shell's waits do, until the probe has its answer. */
static bool probe_wait(struct testos_gpu *gpu, struct probe *p)
{
	uint64_t start = clock_now_ns();

	while (!p->done && clock_now_ns() - start < PROBE_TIMEOUT_NS) {
		vgpu_device_interrupt(gpu->dev);
		cpu_relax();
	}
	return p->done;
}

static uint64_t device_errors(struct client *c)
{
	struct vgpu_get_stats st;

	CHECK_EQ(client_stats(c, &st), VGPU_OK);
	return st.device_errors;
}

/* A fresh handle still gets a context, a resource and a fenced submit through. */
static void check_device_still_works(struct testos_gpu *gpu)
{
	static const uint32_t create_sub_ctx[2] = { 29u | (1u << 16), 1 };
	struct vgpu_resource_create buf = { .target = 0,
					    .format = 64,
					    .bind = 1u << 4,
					    .width = 4096,
					    .height = 1,
					    .depth = 1,
					    .array_size = 1,
					    .size = 4096 };
	struct client c;
	uint64_t errors;

	CHECK_EQ(client_open(&c, gpu), VGPU_OK);
	errors = device_errors(&c);
	CHECK_EQ(client_context(&c, VGPU_CAPSET_VIRGL2, "testos-after-error"), VGPU_OK);
	CHECK_EQ(client_resource(&c, &buf), VGPU_OK);
	CHECK_EQ(client_submit(&c, create_sub_ctx, sizeof(create_sub_ctx), &buf.handle, 1),
		 VGPU_OK);
	CHECK_EQ(client_finish(&c), VGPU_OK);
	CHECK_EQ(device_errors(&c), errors);
	client_close(&c);
}

static void capset_unknown_id(struct testos_gpu *gpu)
{
	static uint8_t bytes[512];
	struct client watcher;
	uint64_t errors;

	CHECK_EQ(client_open(&watcher, gpu), VGPU_OK);
	errors = device_errors(&watcher);
	CHECK_EQ(vgpu_cmd_get_capset(gpu->dev, 9, 1, bytes, 16), VGPU_E_DEVICE);
	CHECK_EQ(device_errors(&watcher), errors + 1);
	/* The next command on the queue is answered normally. */
	CHECK_EQ(vgpu_cmd_get_capset(gpu->dev, VGPU_CAPSET_VIRGL, 1, bytes, 308), VGPU_OK);
	CHECK_EQ(*(const uint32_t *)(const void *)bytes, 1); /* max_version of capset VIRGL */
	client_close(&watcher);
	check_device_still_works(gpu);
}

/* ATTACH_BACKING with more memory entries than the device takes. */
static void attach_too_many_entries(struct testos_gpu *gpu)
{
	const struct vgpu_resource_create desc = { .target = 0,
						   .format = 64,
						   .bind = 1u << 4,
						   .width = 4096,
						   .height = 1,
						   .depth = 1,
						   .array_size = 1,
						   .size = 4096 };
	struct vgpu_backing backing = { .nents = DEVICE_MAX_ENTRIES + 1 };
	struct vgpu_dma page = { 0 };
	struct client watcher;
	uint32_t res_id = vgpu_dev_new_res_id(gpu->dev), i;
	uint64_t errors;

	CHECK_EQ(client_open(&watcher, gpu), VGPU_OK);
	backing.ents = heap_alloc(backing.nents * sizeof(*backing.ents));
	CHECK(backing.ents != NULL);
	CHECK_EQ(gpu->env.os.dma_alloc(gpu->env.os.ctx, 4096, &page), VGPU_OK);
	if (case_failing())
		goto out;
	/* Every entry names one real page: only the count is wrong. */
	for (i = 0; i < backing.nents; i++)
		backing.ents[i] = (struct vgpu_extent){ .pa = page.pa, .len = 4096 };
	backing.size = (uint64_t)backing.nents * 4096u;
	errors = device_errors(&watcher);
	CHECK_EQ(vgpu_cmd_resource_create_3d(gpu->dev, res_id, &desc, NULL), VGPU_OK);
	CHECK_EQ(vgpu_cmd_attach_backing(gpu->dev, res_id, &backing, NULL), VGPU_E_DEVICE);
	CHECK_EQ(device_errors(&watcher), errors + 1);
	CHECK_EQ(vgpu_cmd_resource_unref(gpu->dev, res_id, NULL), VGPU_OK);
out:
	if (page.va)
		gpu->env.os.dma_free(gpu->env.os.ctx, &page);
	heap_free(backing.ents);
	client_close(&watcher);
	check_device_still_works(gpu);
}

/* A fenced SUBMIT_3D announcing more bytes than it carries: the error takes the fence path. */
static void submit_size_mismatch(struct testos_gpu *gpu)
{
	static const uint32_t nops[4];
	struct vgpu_request *req;
	struct wire_submit_3d *cmd;
	struct vgpu_fence_target target;
	struct client c;
	struct probe p;
	uint64_t errors;

	CHECK_EQ(client_open(&c, gpu), VGPU_OK);
	CHECK_EQ(client_context(&c, VGPU_CAPSET_VIRGL2, "testos-errors"), VGPU_OK);
	errors = device_errors(&c);
	CHECK_EQ(vgpu_req_alloc(gpu->dev, sizeof(*cmd), sizeof(struct wire_hdr), &req), VGPU_OK);
	if (case_failing())
		goto out;
	cmd = vgpu_req_cmd(req);
	cmd->hdr.type = WIRE_CMD_SUBMIT_3D;
	cmd->hdr.ctx_id = c.ctx_id;
	cmd->size = 4u * sizeof(nops);
	CHECK_EQ(vgpu_req_append(gpu->dev, req, nops, sizeof(nops)), VGPU_OK);
	target = probe_target(&p);
	CHECK_EQ(vgpu_req_send_fenced(gpu->dev, req, &target), VGPU_OK);
	CHECK(probe_wait(gpu, &p));
	CHECK_EQ(p.status, VGPU_E_DEVICE);
	CHECK_EQ(p.resp_type, WIRE_RESP_ERR_INVALID_PARAMETER);
	CHECK_EQ(device_errors(&c), errors + 1);
out:
	client_close(&c);
	check_device_still_works(gpu);
}

static void report_answer(const char *what, const struct probe *p)
{
	kprintf("# %s: the device answered %x (%s)\n", what, p->resp_type,
		p->status == VGPU_OK ? "ok" : "error");
}

static void submit_unknown_context(struct testos_gpu *gpu)
{
	static const uint32_t create_sub_ctx[2] = { 29u | (1u << 16), 1 };
	struct vgpu_fence_target target;
	struct probe p;

	target = probe_target(&p);
	CHECK_EQ(vgpu_cmd_submit_3d(gpu->dev, UNKNOWN_ID, create_sub_ctx, sizeof(create_sub_ctx),
				    &target),
		 VGPU_OK);
	CHECK(probe_wait(gpu, &p));
	CHECK(p.status == VGPU_OK || p.status == VGPU_E_DEVICE);
	report_answer("SUBMIT_3D to an unknown context", &p);
	check_device_still_works(gpu);
}

static void transfer_unknown_resource(struct testos_gpu *gpu)
{
	const struct vgpu_transfer xfer = { .box = { .w = 16, .h = 1, .d = 1 } };
	struct vgpu_fence_target target;
	struct client c;
	struct probe p;

	CHECK_EQ(client_open(&c, gpu), VGPU_OK);
	CHECK_EQ(client_context(&c, VGPU_CAPSET_VIRGL2, "testos-errors"), VGPU_OK);
	target = probe_target(&p);
	CHECK_EQ(vgpu_cmd_transfer_3d(gpu->dev, c.ctx_id, UNKNOWN_ID, &xfer, false, &target),
		 VGPU_OK);
	CHECK(probe_wait(gpu, &p));
	CHECK(p.status == VGPU_OK || p.status == VGPU_E_DEVICE);
	report_answer("TRANSFER_FROM_HOST_3D of an unknown resource", &p);
	client_close(&c);
	check_device_still_works(gpu);
}

static const struct test_case cases[] = {
	{ "capset_unknown_id", capset_unknown_id },
	{ "attach_too_many_entries", attach_too_many_entries },
	{ "submit_size_mismatch", submit_size_mismatch },
	{ "submit_unknown_context", submit_unknown_context },
	{ "transfer_unknown_resource", transfer_unknown_resource },
};

TEST_SUITE(errors, cases);
