/* SPDX-License-Identifier: MIT */
/*
 * IRPs: their memory, IofCallDriver and IofCompleteRequest, and the
 * rules of both as Driver Verifier's I/O verification checks them.
 *
 * Every IRP lives in a page of its own in the system range.  Once its
 * completion ends the page is unmapped and the address kept out of use
 * for a while (the quarantine), so that a driver touching an IRP after
 * completing it faults, and a second IoCompleteRequest or IoCallDriver is
 * recognised from the record the I/O manager keeps beside it.
 *
 * The pending protocol is checked per stack location: whether a dispatch
 * routine returned STATUS_PENDING must match whether the location was
 * marked pending (IoMarkIrpPending, or propagated from below by the
 * completion) when the completion passed it.  Whichever of the two events
 * comes second does the check, so the IRP may be long gone by then.
 */
#include "io_internal.h"

#define HASH_BUCKETS 256u
#define QUARANTINE_MAX 256u

static struct io_irp *buckets[HASH_BUCKETS];
static struct io_irp *in_flight;
static struct io_irp *quarantine_head, *quarantine_tail;
static unsigned quarantined, flying;

static unsigned bucket_of(const void *irp)
{
	return (unsigned)(((uintptr_t)irp >> 12) % HASH_BUCKETS);
}

static void list_remove(struct io_irp **head, struct io_irp *rec)
{
	while (*head && *head != rec)
		head = &(*head)->list_next;
	if (*head)
		*head = rec->list_next;
	rec->list_next = NULL;
}

PIRP io_irp_alloc(CCHAR stack_size, const char *origin, struct io_irp **out)
{
	size_t bytes = IoSizeOfIrp(stack_size);
	struct io_irp *rec;
	PIRP irp;

	if (stack_size < 1 || stack_size > IO_MAX_STACK)
		nt_violation("I/O manager", "an IRP needs 1 to 16 stack locations here", IO_HERE(),
			     "%d asked for by %s", stack_size, origin);
	rec = io_zalloc(sizeof(*rec));
	rec->npages = (bytes + PLAT_PAGE_SIZE - 1) / PLAT_PAGE_SIZE;
	irp = io_pages_map(rec->npages, &rec->pa);
	irp->Type = IO_TYPE_IRP;
	irp->Size = (USHORT)bytes;
	irp->StackCount = stack_size;
	irp->CurrentLocation = (CHAR)(stack_size + 1);
	irp->Tail.Overlay.CurrentStackLocation = (PIO_STACK_LOCATION)(irp + 1) + stack_size;
	InitializeListHead(&irp->ThreadListEntry);
	rec->irp = irp;
	rec->origin = origin;
	rec->state = IO_IRP_NEW;
	rec->hash_next = buckets[bucket_of(irp)];
	buckets[bucket_of(irp)] = rec;
	rec->list_next = in_flight;
	in_flight = rec;
	flying++;
	*out = rec;
	return irp;
}

static void hash_remove(struct io_irp *rec)
{
	struct io_irp **link = &buckets[bucket_of(rec->irp)];

	while (*link != rec)
		link = &(*link)->hash_next;
	*link = rec->hash_next;
}

void io_irp_discard(struct io_irp *rec)
{
	hash_remove(rec);
	list_remove(&in_flight, rec);
	flying--;
	io_pages_unmap(rec->irp, rec->npages, rec->pa);
	io_pages_release_va(rec->irp, rec->npages);
	heap_free(rec);
}

struct io_irp *io_irp_lookup(const void *irp)
{
	for (struct io_irp *rec = buckets[bucket_of(irp)]; rec; rec = rec->hash_next) {
		if (rec->irp == irp)
			return rec;
	}
	return NULL;
}

/* The oldest quarantined record nobody holds: its address may be used again. */
static void evict_one(void)
{
	struct io_irp *prev = NULL, *rec = quarantine_head;

	while (rec && rec->holds) {
		prev = rec;
		rec = rec->list_next;
	}
	if (!rec)
		return;
	if (prev)
		prev->list_next = rec->list_next;
	else
		quarantine_head = rec->list_next;
	if (quarantine_tail == rec)
		quarantine_tail = prev;
	quarantined--;
	hash_remove(rec);
	io_pages_release_va(rec->irp, rec->npages);
	heap_free(rec);
}

void io_irp_hold(struct io_irp *rec)
{
	rec->holds++;
}

void io_irp_release(struct io_irp *rec)
{
	rec->holds--;
}

struct io_irp *io_irp_next_in_flight(struct io_irp *prev)
{
	return prev ? prev->list_next : in_flight;
}

unsigned io_irps_in_flight(void)
{
	return flying;
}

const void *io_irp_sender(PIRP irp)
{
	struct io_irp *rec = io_irp_lookup(irp);

	return rec ? rec->sender[(int)irp->CurrentLocation] : NULL;
}

/* ---- the pending protocol ------------------------------------------------------ */

static struct io_frame *frame_push(struct io_irp *rec, CCHAR location, PDRIVER_DISPATCH dispatch,
				   const void *caller)
{
	for (unsigned i = 0; i < IO_MAX_FRAMES; i++) {
		struct io_frame *f = &rec->frames[i];

		if (f->used)
			continue;
		*f = (struct io_frame){ .used = true, .location = location, .dispatch = dispatch };
		return f;
	}
	nt_violation("IofCallDriver", "an IRP may be inside at most 16 dispatch routines here",
		     caller, "IRP %p from %s", (void *)rec->irp, rec->origin);
}

/* The dispatch routine has returned and the completion has passed its location. */
static void frame_check(struct io_irp *rec, struct io_frame *f)
{
	bool pending = rec->pending_at_walk[(int)f->location];

	f->used = false;
	if (f->status == STATUS_PENDING && !pending)
		nt_violation("IofCallDriver",
			     "a dispatch routine that returns STATUS_PENDING must mark the IRP "
			     "pending (IoMarkIrpPending)",
			     (const void *)f->dispatch, "IRP %p (%s), stack location %d",
			     (void *)rec->irp, rec->origin, f->location);
	if (f->status != STATUS_PENDING && pending)
		nt_violation(
			"IofCallDriver",
			"a dispatch routine that marks the IRP pending must return STATUS_PENDING",
			(const void *)f->dispatch, "IRP %p (%s) returned 0x%08x", (void *)rec->irp,
			rec->origin, (unsigned)f->status);
}

static void frames_check_at(struct io_irp *rec, CCHAR location)
{
	for (unsigned i = 0; i < IO_MAX_FRAMES; i++) {
		struct io_frame *f = &rec->frames[i];

		if (f->used && f->returned && f->location == location)
			frame_check(rec, f);
	}
}

static void frame_returned(struct io_irp *rec, struct io_frame *f, NTSTATUS status)
{
	f->returned = true;
	f->status = status;
	if (rec->walked[(int)f->location])
		frame_check(rec, f);
	else if (status != STATUS_PENDING)
		nt_violation("IofCallDriver",
			     "a dispatch routine must complete the IRP, pass it on, or mark it "
			     "pending and return STATUS_PENDING",
			     (const void *)f->dispatch,
			     "IRP %p (%s) returned 0x%08x but is neither completed nor pending",
			     (void *)rec->irp, rec->origin, (unsigned)status);
}

/* ---- IofCallDriver ------------------------------------------------------------- */

static void require_live(const char *routine, struct io_irp *rec, const void *irp,
			 const void *caller)
{
	if (!rec)
		nt_violation(routine, "the IRP must be one the I/O manager allocated", caller,
			     "%p is no IRP", irp);
	if (rec->state == IO_IRP_DONE)
		nt_violation(routine, "an IRP must not be used once it is completed", caller,
			     "IRP %p (%s) was completed before", irp, rec->origin);
}

/* The IRQL each major function is dispatched at, as the I/O manager and PnP manager send them. */
static void require_dispatch_irql(PDEVICE_OBJECT device, UCHAR major, const void *caller)
{
	switch (major) {
	case IRP_MJ_PNP:
	case IRP_MJ_CREATE:
	case IRP_MJ_CLEANUP:
	case IRP_MJ_CLOSE:
		nt_require_irql("IofCallDriver", PASSIVE_LEVEL, caller);
		break;
	case IRP_MJ_POWER:
		if (device->Flags & DO_POWER_PAGABLE)
			nt_require_irql("IofCallDriver", PASSIVE_LEVEL, caller);
		break;
	default:
		nt_require_irql("IofCallDriver", DISPATCH_LEVEL, caller);
		break;
	}
}

NTSTATUS io_call_driver(PDEVICE_OBJECT device, PIRP irp, const void *caller)
{
	struct io_irp *rec = io_irp_lookup(irp);
	struct io_device *dev = io_device(device);
	PIO_STACK_LOCATION stack;
	PDRIVER_DISPATCH dispatch;
	struct io_frame *frame;
	CCHAR location;
	NTSTATUS status;
	KIRQL irql;

	require_live("IofCallDriver", rec, irp, caller);
	nt_require_irql("IofCallDriver", DISPATCH_LEVEL, caller);
	if (!dev)
		nt_violation("IofCallDriver", "DeviceObject must be a device object", caller,
			     "%p is not one", (void *)device);
	if (dev->deleted)
		nt_violation("IofCallDriver", "no IRP may be sent to a deleted device", caller,
			     "device %p was deleted (IoDeleteDevice); IRP %p (%s)", (void *)device,
			     (void *)irp, rec->origin);
	if (irp->CurrentLocation <= 1)
		nt_violation("IofCallDriver",
			     "the IRP must have a stack location left for the driver", caller,
			     "NO_MORE_IRP_STACK_LOCATIONS: IRP %p (%s) at location %d of %d",
			     (void *)irp, rec->origin, irp->CurrentLocation, irp->StackCount);
	if (device->StackSize > irp->CurrentLocation - 1)
		nt_violation(
			"IofCallDriver",
			"an IRP sent to a device needs as many locations left as its StackSize",
			caller, "device %p needs %d, IRP %p (%s) has %d", (void *)device,
			device->StackSize, (void *)irp, rec->origin, irp->CurrentLocation - 1);
	irp->CurrentLocation--;
	irp->Tail.Overlay.CurrentStackLocation--;
	stack = irp->Tail.Overlay.CurrentStackLocation;
	location = irp->CurrentLocation;
	stack->DeviceObject = device;
	if (stack->MajorFunction > IRP_MJ_MAXIMUM_FUNCTION)
		nt_violation("IofCallDriver", "the stack location must name a major function",
			     caller, "MajorFunction %u", stack->MajorFunction);
	require_dispatch_irql(device, stack->MajorFunction, caller);
	if (rec->driver_built && !rec->sent && stack->MajorFunction == IRP_MJ_PNP &&
	    irp->IoStatus.Status != STATUS_NOT_SUPPORTED)
		nt_violation("IofCallDriver",
			     "a PnP IRP must be sent with IoStatus.Status = STATUS_NOT_SUPPORTED",
			     caller, "IRP %p carries 0x%08x", (void *)irp,
			     (unsigned)irp->IoStatus.Status);
	rec->sent = true;
	rec->state = IO_IRP_DISPATCHED;
	rec->epoch++;
	rec->walked[(int)location] = false;
	rec->pending_at_walk[(int)location] = false;
	rec->power_started[(int)location] = false;
	rec->sender[(int)location] = caller;
	dispatch = device->DriverObject->MajorFunction[stack->MajorFunction];
	frame = frame_push(rec, location, dispatch, caller);
	io_irp_hold(rec);
	irql = nt_irql();
	status = dispatch(device, irp);
	if (nt_irql() != irql)
		nt_violation("IofCallDriver",
			     "a dispatch routine must return at the IRQL it was called at",
			     (const void *)dispatch, "called at %u, returned at %u", irql,
			     nt_irql());
	frame_returned(rec, frame, status);
	io_irp_release(rec);
	return status;
}

/* learn.microsoft.com: wdm/nf-wdm-iofcalldriver */
NTSTATUS FASTCALL IofCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
	return io_call_driver(DeviceObject, Irp, __builtin_return_address(0));
}

/* ---- IofCompleteRequest -------------------------------------------------------- */

/* The I/O manager's part: the IRP's content saved for its issuer, its memory taken back. */
static void finish(struct io_irp *rec)
{
	PIRP irp = rec->irp;

	rec->result.iosb = irp->IoStatus;
	rec->result.system_buffer = irp->AssociatedIrp.SystemBuffer;
	rec->result.mdl = irp->MdlAddress;
	rec->result.flags = irp->Flags;
	rec->result.user_buffer = irp->UserBuffer;
	io_pages_unmap(irp, rec->npages, rec->pa);
	rec->state = IO_IRP_DONE;
	list_remove(&in_flight, rec);
	flying--;
	if (quarantine_tail)
		quarantine_tail->list_next = rec;
	else
		quarantine_head = rec;
	quarantine_tail = rec;
	quarantined++;
	if (quarantined > QUARANTINE_MAX)
		evict_one();
	if (rec->on_done)
		rec->on_done(rec);
}

static bool must_not_fail(const IO_STACK_LOCATION *stack)
{
	if (stack->MajorFunction != IRP_MJ_PNP)
		return false;
	switch (stack->MinorFunction) {
	case IRP_MN_STOP_DEVICE:
	case IRP_MN_CANCEL_STOP_DEVICE:
	case IRP_MN_CANCEL_REMOVE_DEVICE:
	case IRP_MN_REMOVE_DEVICE:
	case IRP_MN_SURPRISE_REMOVAL:
		return true;
	default:
		return false;
	}
}

static bool invoke_routine(const PIRP irp, UCHAR control)
{
	NTSTATUS status = irp->IoStatus.Status;

	if (NT_SUCCESS(status) && (control & SL_INVOKE_ON_SUCCESS))
		return true;
	if (!NT_SUCCESS(status) && (control & SL_INVOKE_ON_ERROR))
		return true;
	return irp->Cancel && (control & SL_INVOKE_ON_CANCEL);
}

/*
 * One stack location done: its completion routine (set by the driver
 * above), or the pending mark carried up.  False when the walk must stop
 * here (the routine took the IRP back, or completed or sent it again).
 */
static bool complete_location(struct io_irp *rec, uint64_t epoch)
{
	PIRP irp = rec->irp;
	PIO_STACK_LOCATION stack = irp->Tail.Overlay.CurrentStackLocation;
	CCHAR location = irp->CurrentLocation;
	bool pending = stack->Control & SL_PENDING_RETURNED;
	PIO_COMPLETION_ROUTINE routine = stack->CompletionRoutine;
	PVOID context = stack->Context;
	UCHAR control = stack->Control;
	PDEVICE_OBJECT above;
	NTSTATUS ret;
	KIRQL irql;

	irp->PendingReturned = pending;
	rec->walked[(int)location] = true;
	rec->pending_at_walk[(int)location] = pending;
	frames_check_at(rec, location);
	stack->Control = 0;
	stack->CompletionRoutine = NULL;
	stack->Context = NULL;
	irp->CurrentLocation++;
	irp->Tail.Overlay.CurrentStackLocation++;
	if (!routine || !invoke_routine(irp, control)) {
		if (pending && irp->CurrentLocation <= irp->StackCount)
			irp->Tail.Overlay.CurrentStackLocation->Control |= SL_PENDING_RETURNED;
		return true;
	}
	above = irp->CurrentLocation <= irp->StackCount
			? irp->Tail.Overlay.CurrentStackLocation->DeviceObject
			: NULL;
	irql = nt_irql();
	ret = routine(above, irp, context);
	if (nt_irql() != irql)
		nt_violation("IofCompleteRequest",
			     "a completion routine must return at the IRQL it was called at",
			     (const void *)routine, "called at %u, returned at %u", irql,
			     nt_irql());
	if (rec->epoch != epoch) {
		if (ret != STATUS_MORE_PROCESSING_REQUIRED)
			nt_violation(
				"IofCompleteRequest",
				"a completion routine that sends or completes the IRP again must "
				"return STATUS_MORE_PROCESSING_REQUIRED",
				(const void *)routine, "IRP %p (%s): it returned 0x%08x",
				(void *)irp, rec->origin, (unsigned)ret);
		return false;
	}
	if (ret == STATUS_MORE_PROCESSING_REQUIRED) {
		rec->state = IO_IRP_HELD;
		return false;
	}
	return true;
}

void io_complete_request(PIRP irp, const void *caller)
{
	struct io_irp *rec = io_irp_lookup(irp);
	PIO_STACK_LOCATION stack;
	uint64_t epoch;

	if (rec && rec->state == IO_IRP_DONE)
		nt_violation("IofCompleteRequest", "an IRP must be completed exactly once", caller,
			     "IRP %p (%s) was completed before", (void *)irp, rec->origin);
	require_live("IofCompleteRequest", rec, irp, caller);
	nt_require_irql("IofCompleteRequest", DISPATCH_LEVEL, caller);
	if (rec->state == IO_IRP_NEW || irp->CurrentLocation > irp->StackCount)
		nt_violation("IofCompleteRequest",
			     "only an IRP a driver was given may be completed", caller,
			     "IRP %p (%s) is with no driver", (void *)irp, rec->origin);
	if (irp->IoStatus.Status == STATUS_PENDING)
		nt_violation("IofCompleteRequest",
			     "an IRP must not be completed with STATUS_PENDING", caller,
			     "IRP %p (%s)", (void *)irp, rec->origin);
	if (irp->CancelRoutine)
		nt_violation("IofCompleteRequest",
			     "an IRP must not be completed with a cancel routine set", caller,
			     "IRP %p (%s) has cancel routine %p", (void *)irp, rec->origin,
			     (void *)irp->CancelRoutine);
	stack = irp->Tail.Overlay.CurrentStackLocation;
	if (must_not_fail(stack) && !NT_SUCCESS(irp->IoStatus.Status))
		nt_violation("IofCompleteRequest",
			     "STOP, CANCEL_STOP, CANCEL_REMOVE, REMOVE and SURPRISE_REMOVAL must "
			     "not fail",
			     caller, "minor 0x%02x completed with 0x%08x", stack->MinorFunction,
			     (unsigned)irp->IoStatus.Status);
	rec->state = IO_IRP_COMPLETING;
	epoch = ++rec->epoch;
	io_irp_hold(rec);
	while (irp->CurrentLocation <= irp->StackCount) {
		if (!complete_location(rec, epoch)) {
			io_irp_release(rec);
			return;
		}
	}
	finish(rec);
	io_irp_release(rec);
}

/* learn.microsoft.com: wdm/nf-wdm-iofcompleterequest */
void FASTCALL IofCompleteRequest(PIRP Irp, CCHAR PriorityBoost)
{
	io_complete_request(Irp, __builtin_return_address(0));
}

/* ---- the harness as an issuer -------------------------------------------------- */

static void wake_issuer(struct io_irp *rec)
{
	KeSetEvent(rec->issuer, IO_NO_INCREMENT, FALSE);
}

NTSTATUS io_send_and_wait(PDEVICE_OBJECT device, PIRP irp, struct io_irp *rec,
			  struct io_irp_result *result)
{
	PDRIVER_DISPATCH top =
		device->DriverObject->MajorFunction[IoGetNextIrpStackLocation(irp)->MajorFunction];
	KEVENT done;
	NTSTATUS status;

	KeInitializeEvent(&done, NotificationEvent, FALSE);
	rec->on_done = wake_issuer;
	rec->issuer = &done;
	io_irp_hold(rec);
	status = io_call_driver(device, irp, IO_HERE());
	if (status == STATUS_PENDING)
		KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, NULL);
	else if (status != rec->result.iosb.Status)
		nt_violation("IofCallDriver",
			     "a dispatch routine that completes the IRP must return the status it "
			     "completed it with",
			     (const void *)top,
			     "IRP %p (%s) completed with 0x%08x, returned 0x%08x", (void *)rec->irp,
			     rec->origin, (unsigned)rec->result.iosb.Status, (unsigned)status);
	*result = rec->result;
	io_irp_release(rec);
	return result->iosb.Status;
}
