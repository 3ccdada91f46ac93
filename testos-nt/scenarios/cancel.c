/* SPDX-License-Identifier: MIT */
/*
 * A call blocked in vgpu.sys ends when the program cancels it (CancelIoEx)
 * or its process is killed, not when the driver's deadline passes (issue
 * 10, defect 3).  The device's interrupts are held meanwhile, so the fence
 * the call waits for cannot signal: the GPU seems busy with a long job.
 */
#include "scenario.h"
#include "../user/user.h"

#define ERROR_OPERATION_ABORTED_ 995u
#define WAIT_NS (30ull * 1000000000ull)
/* What "promptly" means here: a few of the driver's polls, far below WAIT_NS. */
#define PROMPTLY_NS 1000000000ull

static struct {
	HANDLE h;
	bool ready;    /* the waiter has its context: its interrupts may be held */
	bool held;     /* they are: the waiter submits and waits */
	bool waiting;  /* the waiter is about to block */
	bool returned; /* its WAIT returned */
	bool released; /* the interrupts flow again */
	ULONG wait_error;
	uint64_t waited_ns;
} blocked;

/* A context and a render target mapped into the program and written: a frame under way. */
static bool open_with_objects(void)
{
	struct vgpu_context_create *ctx = malloc(sizeof(*ctx));
	struct vgpu_resource_create *rt = malloc(sizeof(*rt));
	struct vgpu_resource_map *map = malloc(sizeof(*map));
	ULONG error = 0;
	bool ok = false;

	blocked.h = app_open_raw("", &error);
	CHECK(blocked.h != INVALID_HANDLE_VALUE);
	if (blocked.h != INVALID_HANDLE_VALUE && ctx && rt && map) {
		memset(ctx, 0, sizeof(*ctx));
		ctx->capset_id = VGPU_CAPSET_VIRGL2;
		*rt = app_render_target(64, 64);
		ok = app_call(blocked.h, VGPU_IOCTL_CONTEXT_CREATE, ctx, sizeof(*ctx), ctx,
			      sizeof(*ctx)) == 0 &&
		     app_call(blocked.h, VGPU_IOCTL_RESOURCE_CREATE, rt, sizeof(*rt), rt,
			      sizeof(*rt)) == 0;
		memset(map, 0, sizeof(*map));
		map->handle = rt->handle;
		ok = ok && app_call(blocked.h, VGPU_IOCTL_RESOURCE_MAP, map, sizeof(*map), map,
				    sizeof(*map)) == 0;
		CHECK(ok);
		if (ok)
			memset((void *)(uintptr_t)map->address, 0x5a, (size_t)rt->size);
	}
	free(map);
	free(rt);
	free(ctx);
	return ok;
}

/* An empty stream with fence 1: it cannot signal while the interrupts are held. */
static bool submit_fence(void)
{
	struct vgpu_submit *submit = malloc(sizeof(*submit));
	bool ok;

	if (!submit)
		return false;
	memset(submit, 0, sizeof(*submit));
	submit->signal = 1;
	ok = app_call(blocked.h, VGPU_IOCTL_SUBMIT, submit, sizeof(*submit), NULL, 0) == 0;
	CHECK(ok);
	free(submit);
	return ok;
}

static ULONG wait_fence(uint64_t timeout_ns)
{
	struct vgpu_wait *w = malloc(sizeof(*w));
	ULONG error;

	if (!w)
		return ~0u;
	memset(w, 0, sizeof(*w));
	w->kind = VGPU_WAIT_FENCE;
	w->value = 1;
	w->timeout_ns = timeout_ns;
	error = app_call(blocked.h, VGPU_IOCTL_WAIT, w, sizeof(*w), w, sizeof(*w));
	free(w);
	return error;
}

static void waiter_app(void *arg)
{
	uint64_t start;
	bool ok = open_with_objects();

	blocked.ready = true;
	while (ok && !blocked.held)
		user_yield();
	ok = ok && submit_fence();
	blocked.waiting = true;
	if (!ok)
		return;
	start = user_now_ns();
	blocked.wait_error = wait_fence(WAIT_NS);
	blocked.waited_ns = user_now_ns() - start;
	/* a killed process never gets here: its thread ends on the way out of the driver */
	blocked.returned = true;
	while (!blocked.released)
		user_yield();
	/* the work itself was not cancelled: once the GPU answers, the fence signals */
	CHECK_EQ(wait_fence(WAIT_NS), 0);
	CHECK(user_close_handle(blocked.h, &(uint32_t){ 0 }));
}

static void canceller_app(void *arg)
{
	while (!blocked.waiting)
		user_yield();
	/* the waiter blocks in the driver, and only then does this thread run again */
	user_yield();
	CHECK(user_cancel_io(blocked.h));
}

/* Hold the interrupts once the waiter has its context, and let it block in its WAIT. */
static void block_waiter(struct nt_thread *waiter)
{
	while (!blocked.ready && !nt_thread_finished(waiter))
		nt_yield();
	pnp_hold_interrupts(world.gpu, true);
	blocked.held = true;
	while (!blocked.waiting && !nt_thread_finished(waiter))
		nt_yield();
	nt_yield();
}

static void release_interrupts(void)
{
	pnp_hold_interrupts(world.gpu, false);
	blocked.released = true;
}

static uint64_t ms(uint64_t ns)
{
	return ns / 1000000u;
}

static void cancel_io(void)
{
	struct nt_process *proc;
	struct nt_thread *waiter, *canceller;

	if (!need_started_gpu())
		return;
	memset(&blocked, 0, sizeof(blocked));
	proc = nt_process_create("cancelled");
	waiter = nt_thread_start(proc, "waiter", waiter_app, NULL);
	block_waiter(waiter);
	canceller = nt_thread_start(proc, "canceller", canceller_app, NULL);
	nt_join(canceller);
	while (!blocked.returned && !nt_thread_finished(waiter))
		nt_yield();
	release_interrupts();
	CHECK_EQ(blocked.wait_error, ERROR_OPERATION_ABORTED_);
	con_printf("# the cancelled WAIT returned after %llu ms\n",
		   (unsigned long long)ms(blocked.waited_ns));
	CHECK(blocked.waited_ns < PROMPTLY_NS);
	nt_join(waiter);
	nt_process_terminate(proc);
}

/*
 * The process is killed mid-frame, a render target mapped, while its thread
 * waits in the driver: the thread leaves the driver at once; closing its
 * handle then waits for the GPU's answer, which comes once the interrupts
 * flow again, and takes everything the process had with it.
 */
static void killed_in_wait(void)
{
	struct nt_process *proc;
	struct nt_thread *waiter;
	struct vgpu_get_stats stats;
	uint64_t start, left;

	if (!need_started_gpu())
		return;
	memset(&blocked, 0, sizeof(blocked));
	proc = nt_process_create("killed");
	waiter = nt_thread_start(proc, "waiter", waiter_app, NULL);
	block_waiter(waiter);
	ObfReferenceObject(proc);
	start = user_now_ns();
	nt_process_terminate(proc);
	while (proc->live_threads && user_now_ns() - start < WAIT_NS)
		nt_yield();
	left = user_now_ns() - start;
	release_interrupts();
	nt_join(waiter);
	ObfDereferenceObject(proc);
	con_printf("# the killed process's thread left the driver after %llu ms\n",
		   (unsigned long long)ms(left));
	CHECK(left < PROMPTLY_NS);
	CHECK(!blocked.returned);
	/* its mapping, its objects and its pinned memory went with it */
	CHECK_EQ(nt_mm_mapped_views(), 0);
	memset(&stats, 0xff, sizeof(stats));
	run_app("stats", app_read_stats, &stats);
	CHECK_EQ(stats.contexts, 0);
	CHECK_EQ(stats.resources, 0);
	CHECK_EQ(stats.backing_bytes, 0);
	run_app("after-kill", app_render_triangle, NULL);
}

const struct scenario scenarios_cancel[] = {
	{ "cancel.wait_cancel_io", cancel_io },
	{ "process.killed_in_wait", killed_in_wait },
};
const unsigned scenarios_cancel_count = sizeof(scenarios_cancel) / sizeof(scenarios_cancel[0]);
