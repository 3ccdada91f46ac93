/* SPDX-License-Identifier: MIT */
/*
 * struct vgpu_os for Windows: non-paged pool, contiguous DMA memory,
 * spin locks, synchronization events, a high-resolution timer, the
 * interrupt-time clock, DbgPrintEx and register access.  Levels as os.h
 * states them.
 */
#include "vgpu_win.h"

#include "vgpu/vgpu_abi.h"

/* Waits longer than this are cut (the core never asks for more than a minute). */
#define MAX_WAIT_100NS (3600ll * 10000000ll)

struct win_lock {
	KSPIN_LOCK spin;
	KIRQL saved; /* written by the holder only */
};

static void *win_alloc(void *ctx, size_t size)
{
	void *p = ExAllocatePoolWithTag(NonPagedPoolNx, size ? size : 1, VGPU_POOL_TAG);

	if (p)
		RtlZeroMemory(p, size ? size : 1);
	return p;
}

static void win_free(void *ctx, void *ptr)
{
	if (ptr)
		ExFreePoolWithTag(ptr, VGPU_POOL_TAG);
}

static int win_dma_alloc(void *ctx, size_t size, struct vgpu_dma *out)
{
	PHYSICAL_ADDRESS low, high, boundary;
	void *va;

	if (!out || size == 0)
		return VGPU_E_INVALID;
	low.QuadPart = 0;
	high.QuadPart = -1;
	boundary.QuadPart = 0;
	va = win_routines.alloc_contiguous_node(size, low, high, boundary, PAGE_READWRITE,
						MM_ANY_NODE_OK);
	if (!va)
		return VGPU_E_NO_MEMORY;
	RtlZeroMemory(va, size);
	out->va = va;
	out->pa = (uint64_t)MmGetPhysicalAddress(va).QuadPart;
	out->size = size;
	out->os_priv = NULL;
	return VGPU_OK;
}

static void win_dma_free(void *ctx, struct vgpu_dma *dma)
{
	if (!dma || !dma->va)
		return;
	MmFreeContiguousMemory(dma->va);
	dma->va = NULL;
}

static void *win_lock_create(void *ctx)
{
	struct win_lock *lock = win_alloc(ctx, sizeof(*lock));

	if (lock)
		KeInitializeSpinLock(&lock->spin);
	return lock;
}

static void win_lock_destroy(void *ctx, void *lock)
{
	win_free(ctx, lock);
}

static void win_lock(void *ctx, void *lock)
{
	struct win_lock *l = lock;
	KIRQL old;

	KeAcquireSpinLock(&l->spin, &old);
	l->saved = old;
}

static void win_unlock(void *ctx, void *lock)
{
	struct win_lock *l = lock;

	KeReleaseSpinLock(&l->spin, l->saved);
}

static void *win_event_create(void *ctx)
{
	KEVENT *event = win_alloc(ctx, sizeof(*event));

	if (event)
		KeInitializeEvent(event, SynchronizationEvent, FALSE);
	return event;
}

static void win_event_destroy(void *ctx, void *event)
{
	win_free(ctx, event);
}

static void win_event_signal(void *ctx, void *event)
{
	KeSetEvent(event, IO_NO_INCREMENT, FALSE);
}

/*
 * Not alertable and in kernel mode: neither a user APC nor a thread
 * suspension ends the wait early; the caller's deadline bounds it.
 */
static int win_event_wait(void *ctx, void *event, uint64_t timeout_ns)
{
	LARGE_INTEGER timeout;
	uint64_t ticks = timeout_ns / 100u;
	NTSTATUS status;

	if (ticks > (uint64_t)MAX_WAIT_100NS)
		ticks = (uint64_t)MAX_WAIT_100NS;
	timeout.QuadPart = -(LONGLONG)ticks; /* negative: relative */
	status = KeWaitForSingleObject(event, Executive, KernelMode, FALSE, &timeout);
	return status == STATUS_SUCCESS ? VGPU_OK : VGPU_E_TIMEOUT;
}

/*
 * A call ends early when its IRP was cancelled (CancelIoEx; the driver sets
 * no cancel routine, it polls Irp->Cancel) or its thread is being
 * terminated: Windows would otherwise keep a killed process alive until
 * the wait's deadline, up to a minute.
 */
static bool win_call_interrupted(void *ctx, void *call)
{
	PIRP irp = call;

	return irp->Cancel ||
	       (irp->Tail.Overlay.Thread && PsIsThreadTerminating(irp->Tail.Overlay.Thread));
}

/*
 * A high-resolution timer for the core's fence nudge: a timed wait ends
 * only at the clock's tick, 15.6 ms unless some program asked for a finer
 * clock, where the nudge needs 0.5 ms.  Windows raises the clock's rate
 * only while the timer is set, that is while a thread waits for a fence.
 * The callback runs at DISPATCH_LEVEL.
 */
struct win_timer {
	PEX_TIMER timer;
	void (*fn)(void *arg);
	void *arg;
};

static VOID NTAPI win_timer_expired(PEX_TIMER timer, PVOID context)
{
	struct win_timer *t = context;

	t->fn(t->arg);
}

static void *win_timer_create(void *ctx, void (*fn)(void *arg), void *arg)
{
	struct win_timer *t = win_alloc(ctx, sizeof(*t));

	if (!t)
		return NULL;
	t->fn = fn;
	t->arg = arg;
	t->timer = win_routines.allocate_timer(win_timer_expired, t, EX_TIMER_HIGH_RESOLUTION);
	if (!t->timer) {
		win_free(ctx, t);
		return NULL;
	}
	return t;
}

static void win_timer_start(void *ctx, void *timer, uint64_t period_ns)
{
	struct win_timer *t = timer;
	LONGLONG period = (LONGLONG)(period_ns / 100u);
	EXT_SET_PARAMETERS params;

	ExInitializeSetTimerParameters(&params);
	/* Relative (negative) due time: a high-resolution timer takes no other. */
	win_routines.set_timer(t->timer, -period, period, &params);
}

static void win_timer_stop(void *ctx, void *timer)
{
	struct win_timer *t = timer;

	win_routines.cancel_timer(t->timer, NULL);
}

static void win_timer_destroy(void *ctx, void *timer)
{
	struct win_timer *t = timer;

	/* Cancels it and waits for a callback in progress: then nothing calls t->fn. */
	win_routines.delete_timer(t->timer, TRUE, TRUE, NULL);
	win_free(ctx, t);
}

static uint64_t win_now_ns(void *ctx)
{
	return (uint64_t)KeQueryInterruptTime() * 100u;
}

static void win_log(void *ctx, enum vgpu_log_level level, const char *msg, uint64_t a, uint64_t b)
{
	static const ULONG levels[] = { DPFLTR_ERROR_LEVEL, DPFLTR_WARNING_LEVEL, DPFLTR_INFO_LEVEL,
					DPFLTR_TRACE_LEVEL };

	if ((unsigned)level >= sizeof(levels) / sizeof(levels[0]))
		return;
	DbgPrintEx(DPFLTR_IHVVIDEO_ID, levels[level], "vgpu: %s (%I64u, %I64u)\n", msg ? msg : "",
		   a, b);
}

static uint32_t win_mmio_read(void *ctx, volatile void *addr, uint32_t width)
{
	switch (width) {
	case 1:
		return READ_REGISTER_UCHAR((volatile UCHAR *)addr);
	case 2:
		return READ_REGISTER_USHORT((volatile USHORT *)addr);
	case 4:
		return READ_REGISTER_ULONG((volatile ULONG *)addr);
	default:
		return 0xFFFFFFFFu;
	}
}

static void win_mmio_write(void *ctx, volatile void *addr, uint32_t width, uint32_t value)
{
	switch (width) {
	case 1:
		WRITE_REGISTER_UCHAR((volatile UCHAR *)addr, (UCHAR)value);
		break;
	case 2:
		WRITE_REGISTER_USHORT((volatile USHORT *)addr, (USHORT)value);
		break;
	case 4:
		WRITE_REGISTER_ULONG((volatile ULONG *)addr, value);
		break;
	default:
		break;
	}
}

void win_os_init(struct win_device *dev)
{
	dev->os = (struct vgpu_os){
		.ctx = dev,
		.alloc = win_alloc,
		.free = win_free,
		.dma_alloc = win_dma_alloc,
		.dma_free = win_dma_free,
		.backing_alloc = win_backing_alloc,
		.backing_free = win_backing_free,
		.backing_alloc_contig = win_backing_alloc_contig,
		.map_user = win_map_user,
		.unmap_user = win_unmap_user,
		.map_device_user = win_map_device_user,
		.lock_create = win_lock_create,
		.lock_destroy = win_lock_destroy,
		.lock = win_lock,
		.unlock = win_unlock,
		.event_create = win_event_create,
		.event_destroy = win_event_destroy,
		.event_signal = win_event_signal,
		.event_wait = win_event_wait,
		.call_interrupted = win_call_interrupted,
		.now_ns = win_now_ns,
		.log = win_log,
		.pci_cfg_read = win_pci_cfg_read,
		.bar_map = win_bar_map,
		.mmio_read = win_mmio_read,
		.mmio_write = win_mmio_write,
	};
	if (win_routines.allocate_timer) {
		dev->os.timer_create = win_timer_create;
		dev->os.timer_destroy = win_timer_destroy;
		dev->os.timer_start = win_timer_start;
		dev->os.timer_stop = win_timer_stop;
	}
}
