/* SPDX-License-Identifier: MIT */
/*
 * What any process may send the device without libvgpu: calls the ABI
 * does not have, buffers of the wrong size, a name below the device, and
 * a handle used from a process that did not open it.  Each gets its error;
 * none disturbs the device.
 */
#include "libvgpu.h"
#include "scenario.h"
#include "../user/user.h"
#include "vgpu/vgpu_windows.h"

#define ERROR_INVALID_FUNCTION_ 1u
#define ERROR_FILE_NOT_FOUND_ 2u
#define ERROR_INVALID_HANDLE_ 6u
#define ERROR_NOT_SUPPORTED_ 50u
#define ERROR_INVALID_USER_BUFFER_ 1784u

static void bad_calls_app(void *arg)
{
	struct vgpu_get_info *info = malloc(sizeof(*info));
	ULONG error = 0;
	HANDLE h;

	h = app_open_raw("\\below", &error);
	CHECK(h == INVALID_HANDLE_VALUE);
	CHECK_EQ(error, ERROR_FILE_NOT_FOUND_);
	h = app_open_raw("", &error);
	CHECK(h != INVALID_HANDLE_VALUE);
	if (h == INVALID_HANDLE_VALUE || !info)
		return;
	/* GET_INFO takes the caller's ABI version in and answers with the driver's */
	memset(info, 0, sizeof(*info));
	info->abi_major = VGPU_ABI_VERSION_MAJOR;
	info->abi_minor = VGPU_ABI_VERSION_MINOR;
	CHECK_EQ(app_call(h, VGPU_IOCTL_GET_INFO, info, sizeof(*info), info, sizeof(*info)), 0);
	CHECK_EQ(info->abi_major, VGPU_ABI_VERSION_MAJOR);
	CHECK_EQ(app_call(h, VGPU_CTL_CODE(0x900, 3), info, sizeof(*info), info, sizeof(*info)),
		 ERROR_NOT_SUPPORTED_);
	CHECK_EQ(app_call(h, VGPU_CTL_CODE(0x9FF, VGPU_METHOD_BUFFERED), info, sizeof(*info), info,
			  sizeof(*info)),
		 ERROR_NOT_SUPPORTED_);
	CHECK_EQ(app_call(h, VGPU_IOCTL_GET_INFO, info, 4, info, 4), ERROR_INVALID_USER_BUFFER_);
	CHECK_EQ(app_call(h, VGPU_IOCTL_GET_INFO, NULL, 0, NULL, 0), ERROR_INVALID_USER_BUFFER_);
	info->abi_major = VGPU_ABI_VERSION_MAJOR;
	info->abi_minor = VGPU_ABI_VERSION_MINOR;
	CHECK_EQ(app_call(h, VGPU_IOCTL_GET_INFO, info, sizeof(*info), info, sizeof(*info)), 0);
	CHECK(user_close_handle(h, (uint32_t *)&error));
	free(info);
}

/*
 * A major function vgpu.sys does not implement (ReadFile) is refused by
 * vgpu.sys itself; passing it down would hand pci.sys an IRP with vgpu's
 * file object (issue 10, defect 6).
 */
static void unknown_major_app(void *arg)
{
	uint8_t *buf = malloc(64);
	uint32_t error = 0, got = 0;
	ULONG open_error = 0;
	HANDLE h = app_open_raw("", &open_error);

	CHECK(h != INVALID_HANDLE_VALUE);
	if (h == INVALID_HANDLE_VALUE || !buf)
		return;
	CHECK(!user_read_file(h, buf, 64, &got, &error));
	CHECK_EQ(error, ERROR_INVALID_FUNCTION_);
	CHECK_EQ(got, 0);
	CHECK(user_close_handle(h, &error));
	free(buf);
}

static void unknown_major(void)
{
	if (need_started_gpu())
		run_app("read-file", unknown_major_app, NULL);
}

/*
 * A lower driver raises while vgpu.sys waits for it: the PCI bus driver's
 * PnP dispatch raises on QUERY_CAPABILITIES, which vgpu.sys sends down
 * from a function with no __except.  The exception passes the driver's
 * frames unhandled, a bugcheck on Windows (KMODE_EXCEPTION_NOT_HANDLED):
 * the scenario expects that violation, which ends the boot.
 */
#define UNMAPPED_USER_VA (USER_VA_BASE + 0x20000u)

static PDRIVER_DISPATCH bus_pnp;
static PMDL unmapped_mdl;

static NTSTATUS raising_bus_pnp(PDEVICE_OBJECT pdo, PIRP irp)
{
	if (IoGetCurrentIrpStackLocation(irp)->MinorFunction == IRP_MN_QUERY_CAPABILITIES)
		MmProbeAndLockPages(unmapped_mdl, UserMode, IoWriteAccess);
	return bus_pnp(pdo, irp);
}

static void unhandled_in_driver(void)
{
	PDRIVER_OBJECT bus;

	if (!need_started_gpu())
		return;
	unmapped_mdl = IoAllocateMdl((PVOID)(uintptr_t)UNMAPPED_USER_VA, 64, FALSE, FALSE, NULL);
	CHECK(unmapped_mdl != NULL);
	if (!unmapped_mdl)
		return;
	bus = pnp_pdo(world.gpu)->DriverObject;
	bus_pnp = bus->MajorFunction[IRP_MJ_PNP];
	bus->MajorFunction[IRP_MJ_PNP] = raising_bus_pnp;
	pnp_send(world.gpu, IRP_MN_QUERY_CAPABILITIES);
	bus->MajorFunction[IRP_MJ_PNP] = bus_pnp;
	IoFreeMdl(unmapped_mdl);
}

static void bad_calls(void)
{
	if (need_started_gpu())
		run_app("bad-calls", bad_calls_app, NULL);
}

/* A handle opened by one process and duplicated into another. */
static struct {
	struct nt_process *owner, *other;
	HANDLE owner_handle, other_handle;
	bool owner_opened, other_done;
} dup;

static void owner_app(void *arg)
{
	ULONG error = 0;

	dup.owner_handle = app_open_raw("", &error);
	CHECK(dup.owner_handle != INVALID_HANDLE_VALUE);
	dup.owner_opened = true;
	while (!dup.other_done)
		user_yield();
	if (dup.owner_handle != INVALID_HANDLE_VALUE)
		CHECK(user_close_handle(dup.owner_handle, (uint32_t *)&error));
}

static void other_app(void *arg)
{
	struct vgpu_get_info *info = malloc(sizeof(*info));
	ULONG error = 0;

	while (!dup.owner_opened)
		user_yield();
	if (dup.owner_handle != INVALID_HANDLE_VALUE && info) {
		memset(info, 0, sizeof(*info));
		info->abi_major = VGPU_ABI_VERSION_MAJOR;
		dup.other_handle = user_duplicate_handle(dup.owner, dup.owner_handle, dup.other);
		CHECK(dup.other_handle != INVALID_HANDLE_VALUE && dup.other_handle != NULL);
		CHECK_EQ(app_call(dup.other_handle, VGPU_IOCTL_GET_INFO, info, sizeof(*info), info,
				  sizeof(*info)),
			 ERROR_INVALID_HANDLE_);
		CHECK(user_close_handle(dup.other_handle, (uint32_t *)&error));
	}
	free(info);
	dup.other_done = true;
}

static void other_process(void)
{
	struct nt_thread *a, *b;

	if (!need_started_gpu())
		return;
	memset(&dup, 0, sizeof(dup));
	dup.owner = nt_process_create("owner");
	dup.other = nt_process_create("other");
	a = nt_thread_start(dup.owner, "owner", owner_app, NULL);
	b = nt_thread_start(dup.other, "other", other_app, NULL);
	nt_join(a);
	nt_join(b);
	nt_process_terminate(dup.owner);
	nt_process_terminate(dup.other);
	nt_join(NULL);
}

/*
 * SUBMIT's handle array lies in the caller's locked pages, which another of
 * its threads may rewrite while the driver works (issue 10, defect 1).  The
 * other CPU turns the one handle into a bad one after the driver's k-th
 * kernel call, for every k a submit spans: the driver must see either the
 * handle it checked or the error, never use a value it did not check.
 */
#define REWRITE_POINTS 64u

static struct {
	volatile uint32_t *handle; /* the payload's first word, in the process */
	uint32_t bad;
	unsigned calls_left;
	bool armed;
} rewrite;

static void rewrite_handle(void *arg)
{
	if (!rewrite.armed)
		return;
	if (rewrite.calls_left) {
		rewrite.calls_left--;
		return;
	}
	*rewrite.handle = rewrite.bad;
	rewrite.armed = false;
}

static void submit_rewritten_app(void *arg)
{
	struct vgpu_context_create *ctx = malloc(sizeof(*ctx));
	struct vgpu_resource_create *res = malloc(sizeof(*res));
	struct vgpu_submit *submit = malloc(sizeof(*submit));
	uint32_t *payload = malloc(sizeof(uint32_t));
	ULONG error = 0, ok = 0, refused = 0;
	HANDLE h = app_open_raw("", &error);
	unsigned k;

	CHECK(h != INVALID_HANDLE_VALUE);
	if (h == INVALID_HANDLE_VALUE || !ctx || !res || !submit || !payload)
		return;
	memset(ctx, 0, sizeof(*ctx));
	ctx->capset_id = VGPU_CAPSET_VIRGL2;
	CHECK_EQ(app_call(h, VGPU_IOCTL_CONTEXT_CREATE, ctx, sizeof(*ctx), ctx, sizeof(*ctx)), 0);
	*res = app_render_target(16, 16);
	CHECK_EQ(app_call(h, VGPU_IOCTL_RESOURCE_CREATE, res, sizeof(*res), res, sizeof(*res)), 0);
	rewrite.handle = payload;
	rewrite.bad = res->handle ^ 0x5a5a0000u;
	for (k = 0; k < REWRITE_POINTS; k++) {
		*payload = res->handle;
		memset(submit, 0, sizeof(*submit));
		submit->num_handles = 1;
		submit->signal = k + 1;
		rewrite.calls_left = k;
		rewrite.armed = true;
		error = app_call(h, VGPU_IOCTL_SUBMIT, submit, sizeof(*submit), payload,
				 sizeof(*payload));
		rewrite.armed = false;
		CHECK(error == 0 || error == ERROR_INVALID_HANDLE_);
		if (error)
			refused++;
		else
			ok++;
	}
	con_printf("# %lu submits went out, %lu were refused\n", (unsigned long)ok,
		   (unsigned long)refused);
	/* Some rewrites came before the check, some after: both sides of the window were hit. */
	CHECK(ok && refused);
	CHECK(user_close_handle(h, (uint32_t *)&error));
	free(payload);
	free(submit);
	free(res);
	free(ctx);
}

static void submit_rewritten(void)
{
	struct nt_process *proc;
	struct nt_thread *t;

	if (!need_started_gpu())
		return;
	memset(&rewrite, 0, sizeof(rewrite));
	proc = nt_process_create("rewriter");
	nt_set_other_cpu(proc, rewrite_handle, NULL);
	t = nt_thread_start(proc, "rewriter", submit_rewritten_app, NULL);
	nt_join(t);
	nt_set_other_cpu(NULL, NULL, NULL);
	nt_process_terminate(proc);
	nt_join(NULL);
}

/*
 * Seeded random calls from a program that does not use libvgpu: each a
 * valid template of one of the ABI's calls (or another code in its range)
 * with, at random, one 32-bit word of it replaced, its lengths changed,
 * a NULL or a separate buffer for either side.  SUBMIT is left to the
 * cases above: its random streams would go to the host's renderer.  Each
 * call ends with some answer; then the handle closes, the device holds
 * nothing more than before, and renders as before.
 */
#define RANDOM_CALLS 1000u
/* A program each: each closes its handle on whatever the calls left. */
static const uint64_t random_seeds[] = { 0x7a11u, 0x7a12u, 0x7a13u, 0x7a14u };
#define CALL_BYTES 256u

static uint32_t next_random(uint64_t *state)
{
	*state = *state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*state >> 33);
}

/* A valid request for `code` in `buf` (CALL_BYTES, zeroed); its length. */
static ULONG call_template(uint32_t code, uint8_t *buf, uint32_t handle, uint64_t *signal)
{
	switch (code) {
	case VGPU_IOCTL_GET_INFO:
		((struct vgpu_get_info *)buf)->abi_major = VGPU_ABI_VERSION_MAJOR;
		return sizeof(struct vgpu_get_info);
	case VGPU_IOCTL_GET_CAPSET:
		((struct vgpu_get_capset *)buf)->capset_id = VGPU_CAPSET_VIRGL2;
		return sizeof(struct vgpu_get_capset);
	case VGPU_IOCTL_CONTEXT_CREATE:
		((struct vgpu_context_create *)buf)->capset_id = VGPU_CAPSET_VIRGL2;
		return sizeof(struct vgpu_context_create);
	case VGPU_IOCTL_RESOURCE_CREATE:
		*(struct vgpu_resource_create *)buf = app_render_target(16, 16);
		return sizeof(struct vgpu_resource_create);
	case VGPU_IOCTL_RESOURCE_DESTROY:
		((struct vgpu_resource_destroy *)buf)->handle = handle;
		return sizeof(struct vgpu_resource_destroy);
	case VGPU_IOCTL_RESOURCE_MAP:
	case VGPU_IOCTL_RESOURCE_UNMAP:
		((struct vgpu_resource_map *)buf)->handle = handle;
		return sizeof(struct vgpu_resource_map);
	case VGPU_IOCTL_TRANSFER_TO_HOST:
	case VGPU_IOCTL_TRANSFER_FROM_HOST:
		*(struct vgpu_transfer *)buf =
			(struct vgpu_transfer){ .handle = handle,
						.box = { .w = 16, .h = 16, .d = 1 },
						.stride = 64,
						.signal = ++*signal };
		return sizeof(struct vgpu_transfer);
	case VGPU_IOCTL_WAIT:
		*(struct vgpu_wait *)buf = (struct vgpu_wait){ .kind = VGPU_WAIT_FENCE,
							       .value = *signal,
							       .timeout_ns = 1000000u };
		return sizeof(struct vgpu_wait);
	default:
		return 64;
	}
}

static const uint32_t random_codes[] = {
	VGPU_IOCTL_GET_INFO,           VGPU_IOCTL_GET_CAPSET,
	VGPU_IOCTL_CONTEXT_CREATE,     VGPU_IOCTL_RESOURCE_CREATE,
	VGPU_IOCTL_RESOURCE_DESTROY,   VGPU_IOCTL_RESOURCE_MAP,
	VGPU_IOCTL_RESOURCE_UNMAP,     VGPU_IOCTL_TRANSFER_TO_HOST,
	VGPU_IOCTL_TRANSFER_FROM_HOST, VGPU_IOCTL_WAIT,
	VGPU_IOCTL_GET_STATS,          VGPU_IOCTL_GET_LIMITS,
};

struct random_run {
	uint64_t seed;
	unsigned answered, refused;
};

static void random_calls_app(void *arg)
{
	struct random_run *run = arg;
	uint8_t *in = malloc(CALL_BYTES), *out = malloc(CALL_BYTES);
	uint64_t state = run->seed, signal = 0;
	uint32_t handle = 0;
	ULONG error = 0;
	HANDLE h = app_open_raw("", &error);

	CHECK(h != INVALID_HANDLE_VALUE);
	if (h == INVALID_HANDLE_VALUE || !in || !out)
		return;
	/* with a context from the start, most calls get past the first check */
	memset(in, 0, CALL_BYTES);
	call_template(VGPU_IOCTL_CONTEXT_CREATE, in, 0, &signal);
	CHECK_EQ(app_call(h, VGPU_IOCTL_CONTEXT_CREATE, in, sizeof(struct vgpu_context_create), in,
			  sizeof(struct vgpu_context_create)),
		 0);
	for (unsigned i = 0; i < RANDOM_CALLS && !scenario_failing(); i++) {
		uint32_t pick = next_random(&state), code;
		ULONG in_len, out_len;
		void *in_p = in, *out_p = in;

		code = pick % 10u ? random_codes[pick %
						 (sizeof(random_codes) / sizeof(random_codes[0]))]
				  : VGPU_CTL_CODE(0x900u + (pick >> 8) % 0x20u, (pick >> 16) % 4u);
		memset(in, 0, CALL_BYTES);
		in_len = out_len = call_template(code, in, handle, &signal);
		if (next_random(&state) % 10u < 3u)
			((uint32_t *)in)[next_random(&state) % (in_len / 4u)] = next_random(&state);
		if (next_random(&state) % 10u < 4u)
			in_len = next_random(&state) % (in_len + 17u);
		if (next_random(&state) % 10u < 4u)
			out_len = next_random(&state) % (out_len + 17u);
		pick = next_random(&state) % 10u;
		if (pick == 0)
			in_p = NULL;
		else if (pick == 1)
			out_p = NULL;
		else if (pick < 4)
			out_p = out;
		error = app_call(h, code, in_p, in_len, out_p, out_len);
		if (error) {
			run->refused++;
			continue;
		}
		run->answered++;
		/* a created resource's handle is what the next calls name */
		if (code == VGPU_IOCTL_RESOURCE_CREATE && out_p == in)
			handle = ((struct vgpu_resource_create *)in)->handle;
	}
	CHECK(user_close_handle(h, (uint32_t *)&error));
	free(out);
	free(in);
}

static void random_calls(void)
{
	struct vgpu_get_stats before = { 0 }, after = { 0 };
	struct random_run run = { 0 };

	if (!need_started_gpu())
		return;
	run_app("stats", app_read_stats, &before);
	for (unsigned i = 0; i < sizeof(random_seeds) / sizeof(random_seeds[0]); i++) {
		run.seed = random_seeds[i];
		run_app("random", random_calls_app, &run);
	}
	run_app("stats", app_read_stats, &after);
	con_printf("# %u programs of %u random calls: %u answered, %u refused\n",
		   (unsigned)(sizeof(random_seeds) / sizeof(random_seeds[0])), RANDOM_CALLS,
		   run.answered, run.refused);
	CHECK(run.answered > 0 && run.refused > 0);
	CHECK_EQ(after.contexts, before.contexts);
	CHECK_EQ(after.resources, before.resources);
	CHECK_EQ(after.backing_bytes, before.backing_bytes);
	CHECK_EQ(after.open_files, before.open_files);
	run_app("after-random", app_render_triangle, NULL);
}

const struct scenario scenarios_misuse[] = {
	{ "ioctl.bad_calls", bad_calls },
	{ "handle.other_process", other_process },
	{ "irp.unknown_major", unknown_major },
	{ "ioctl.submit_rewritten", submit_rewritten },
	{ "ioctl.random_calls", random_calls },
	{ "seh.unhandled_in_driver", unhandled_in_driver, NT_RULE_EXCEPTION_NOT_HANDLED },
};
const unsigned scenarios_misuse_count = sizeof(scenarios_misuse) / sizeof(scenarios_misuse[0]);
