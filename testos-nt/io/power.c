/* SPDX-License-Identifier: MIT */
/*
 * The power manager: power IRPs to the top of a device stack (system
 * sleep S3/S4 as QUERY_POWER then SET_POWER, wake as SET_POWER S0),
 * device power IRPs a power policy owner asks for (PoRequestPowerIrp), and
 * the routines drivers call on power IRPs.  Every stack here has
 * DO_POWER_PAGABLE at its bottom, so power IRPs are sent at PASSIVE_LEVEL;
 * one requested at DISPATCH_LEVEL goes to a system thread, as Windows
 * queues it to a worker.
 */
#include "io_internal.h"

static bool power_irp(const IO_STACK_LOCATION *stack)
{
	return stack->MajorFunction == IRP_MJ_POWER;
}

/* learn.microsoft.com: wdm/nf-wdm-pocalldriver */
NTSTATUS PoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
	const void *caller = __builtin_return_address(0);
	struct io_irp *rec = io_irp_lookup(Irp);

	if (rec && rec->state != IO_IRP_DONE && Irp->CurrentLocation > 1 &&
	    !power_irp(IoGetNextIrpStackLocation(Irp)))
		nt_violation("PoCallDriver", "PoCallDriver passes power IRPs only", caller,
			     "IRP %p (%s) is major 0x%02x", (void *)Irp, rec->origin,
			     IoGetNextIrpStackLocation(Irp)->MajorFunction);
	return io_call_driver(DeviceObject, Irp, caller);
}

/* learn.microsoft.com: wdm/nf-wdm-postartnextpowerirp */
VOID PoStartNextPowerIrp(PIRP Irp)
{
	const void *caller = __builtin_return_address(0);
	struct io_irp *rec = io_irp_lookup(Irp);
	int location;

	nt_require_irql("PoStartNextPowerIrp", DISPATCH_LEVEL, caller);
	if (!rec || rec->state == IO_IRP_DONE)
		nt_violation("PoStartNextPowerIrp",
			     "the IRP must be a power IRP the caller has not completed yet", caller,
			     "%p %s", (void *)Irp, rec ? "was completed before" : "is no IRP");
	location = Irp->CurrentLocation;
	if (location > Irp->StackCount || !power_irp(IoGetCurrentIrpStackLocation(Irp)))
		nt_violation("PoStartNextPowerIrp",
			     "PoStartNextPowerIrp is called on a power IRP the driver holds",
			     caller, "IRP %p (%s)", (void *)Irp, rec->origin);
	if (rec->power_started[location])
		nt_violation("PoStartNextPowerIrp",
			     "a driver calls PoStartNextPowerIrp once per power IRP", caller,
			     "IRP %p (%s), stack location %d: called again", (void *)Irp,
			     rec->origin, location);
	rec->power_started[location] = true;
}

/* learn.microsoft.com: wdm/nf-wdm-posetpowerstate */
POWER_STATE PoSetPowerState(PDEVICE_OBJECT DeviceObject, POWER_STATE_TYPE Type, POWER_STATE State)
{
	const void *caller = __builtin_return_address(0);
	struct io_device *dev = io_device(DeviceObject);
	POWER_STATE previous;

	nt_require_irql("PoSetPowerState", DISPATCH_LEVEL, caller);
	if (!dev || dev->deleted)
		nt_violation("PoSetPowerState", "DeviceObject must be the caller's device object",
			     caller, "%p", (void *)DeviceObject);
	previous.DeviceState = PowerDeviceUnspecified;
	if (Type == SystemPowerState)
		return previous;
	if (Type != DevicePowerState || State.DeviceState < PowerDeviceD0 ||
	    State.DeviceState > PowerDeviceD3)
		nt_violation("PoSetPowerState", "the state must be a device power state D0..D3",
			     caller, "type %d, state %d", Type, State.DeviceState);
	previous.DeviceState = dev->power;
	dev->power = State.DeviceState;
	return previous;
}

/* ---- power IRPs the power manager sends ---------------------------------------- */

struct power_request {
	PDEVICE_OBJECT target; /* what the requester named; the IRP goes to its stack's top */
	UCHAR minor;
	POWER_STATE state;
	PREQUEST_POWER_COMPLETE done;
	PVOID context;
	PIRP irp;
	struct io_irp *rec;
};

static PIRP power_irp_new(PDEVICE_OBJECT top, UCHAR minor, POWER_STATE_TYPE type, POWER_STATE state,
			  const char *origin, struct io_irp **rec)
{
	PIRP irp = io_irp_alloc(top->StackSize, origin, rec);
	PIO_STACK_LOCATION stack = IoGetNextIrpStackLocation(irp);

	irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
	irp->RequestorMode = KernelMode;
	irp->Tail.Overlay.Thread = (PETHREAD)nt_current_thread();
	stack->MajorFunction = IRP_MJ_POWER;
	stack->MinorFunction = minor;
	if (minor == IRP_MN_WAIT_WAKE) {
		stack->Parameters.WaitWake.PowerState = state.SystemState;
	} else {
		stack->Parameters.Power.Type = type;
		stack->Parameters.Power.State = state;
		if (type == SystemPowerState)
			stack->Parameters.Power.ShutdownType =
				state.SystemState == PowerSystemHibernate ? PowerActionHibernate
				: state.SystemState == PowerSystemWorking ? PowerActionNone
									  : PowerActionSleep;
	}
	return irp;
}

/* The requester's completion function, with the final status block. */
static void request_done(struct io_irp *rec)
{
	struct power_request *req = rec->issuer;

	if (req->done)
		req->done(req->target, req->minor, req->state, req->context, &rec->result.iosb);
	heap_free(req);
}

static void send_request(void *arg)
{
	struct power_request *req = arg;
	struct io_irp *rec = req->rec;

	io_irp_hold(rec);
	io_call_driver(io_stack_top(req->target), req->irp, IO_HERE());
	io_irp_release(rec);
}

/* learn.microsoft.com: wdm/nf-wdm-porequestpowerirp */
NTSTATUS PoRequestPowerIrp(PDEVICE_OBJECT DeviceObject, UCHAR MinorFunction, POWER_STATE PowerState,
			   PREQUEST_POWER_COMPLETE CompletionFunction, PVOID Context, PIRP *Irp)
{
	const void *caller = __builtin_return_address(0);
	struct io_device *dev = io_device(DeviceObject);
	struct power_request *req;
	PDEVICE_OBJECT top;

	nt_require_irql("PoRequestPowerIrp", DISPATCH_LEVEL, caller);
	if (!dev || dev->deleted)
		nt_violation("PoRequestPowerIrp", "DeviceObject must be a device object", caller,
			     "%p", (void *)DeviceObject);
	if (MinorFunction != IRP_MN_SET_POWER && MinorFunction != IRP_MN_QUERY_POWER &&
	    MinorFunction != IRP_MN_WAIT_WAKE)
		return STATUS_INVALID_PARAMETER_2;
	if (MinorFunction != IRP_MN_WAIT_WAKE &&
	    (PowerState.DeviceState < PowerDeviceD0 || PowerState.DeviceState > PowerDeviceD3))
		nt_violation("PoRequestPowerIrp", "a device power IRP asks for a state D0..D3",
			     caller, "state %d", PowerState.DeviceState);
	top = io_stack_top(DeviceObject);
	req = io_zalloc(sizeof(*req));
	*req = (struct power_request){ DeviceObject, MinorFunction, PowerState, CompletionFunction,
				       Context };
	req->irp = power_irp_new(top, MinorFunction, DevicePowerState, PowerState,
				 "PoRequestPowerIrp", &req->rec);
	req->rec->driver_built = true;
	req->rec->on_done = request_done;
	req->rec->issuer = req;
	if (Irp)
		*Irp = req->irp;
	if (nt_irql() > PASSIVE_LEVEL && (top->Flags & DO_POWER_PAGABLE))
		nt_thread_start(nt_system_process(), "power worker", send_request, req);
	else
		send_request(req);
	return STATUS_PENDING;
}

NTSTATUS power_send(struct pnp_device *dev, UCHAR minor, POWER_STATE_TYPE type, POWER_STATE state)
{
	PDEVICE_OBJECT top = io_stack_top(dev->pdo);
	struct io_irp_result result;
	struct io_irp *rec;
	PIRP irp = power_irp_new(top, minor, type, state, "power manager", &rec);

	return io_send_and_wait(top, irp, rec, &result);
}

/* ---- sleep and wake ------------------------------------------------------------ */

struct power_transition {
	struct pnp_device *dev;
	SYSTEM_POWER_STATE state;
	NTSTATUS status;
};

static POWER_STATE system_state(SYSTEM_POWER_STATE s)
{
	POWER_STATE state;

	state.SystemState = s;
	return state;
}

static bool can_sleep(const struct pnp_device *dev)
{
	if (dev->fdo && dev->state != PNP_SURPRISE_REMOVED && dev->state != PNP_REMOVED)
		return true;
	con_printf("power: no device stack to send power IRPs to\n");
	return false;
}

static void system_sleep(void *arg)
{
	struct power_transition *t = arg;
	struct pnp_device *dev = t->dev;
	PDRIVER_DISPATCH fdo_power;

	if (!can_sleep(dev)) {
		t->status = STATUS_INVALID_DEVICE_STATE;
		return;
	}
	fdo_power = dev->fdo->DriverObject->MajorFunction[IRP_MJ_POWER];
	t->status = power_send(dev, IRP_MN_QUERY_POWER, SystemPowerState, system_state(t->state));
	if (!NT_SUCCESS(t->status)) {
		/* A refused sleep: the system stays in (and tells the stack it stays in) S0. */
		power_send(dev, IRP_MN_SET_POWER, SystemPowerState,
			   system_state(PowerSystemWorking));
		return;
	}
	t->status = power_send(dev, IRP_MN_SET_POWER, SystemPowerState, system_state(t->state));
	if (NT_SUCCESS(t->status) && dev->state == PNP_STARTED && dev->dstate == PowerDeviceD0)
		nt_violation("IRP_MJ_POWER",
			     "the power policy owner powers the device down (PoRequestPowerIrp) "
			     "before it completes a system sleep IRP",
			     (const void *)fdo_power, "S%d completed with the device still in D0",
			     t->state - PowerSystemWorking);
}

NTSTATUS power_sleep(struct pnp_device *dev, SYSTEM_POWER_STATE state)
{
	struct power_transition t = { dev, state, STATUS_SUCCESS };

	if (state != PowerSystemSleeping3 && state != PowerSystemHibernate) {
		con_printf("power: only S3 and S4 are simulated\n");
		return STATUS_INVALID_PARAMETER;
	}
	io_in_system_context(system_sleep, &t);
	return t.status;
}

static void system_wake(void *arg)
{
	struct power_transition *t = arg;

	if (!can_sleep(t->dev)) {
		t->status = STATUS_INVALID_DEVICE_STATE;
		return;
	}
	t->status = power_send(t->dev, IRP_MN_SET_POWER, SystemPowerState,
			       system_state(PowerSystemWorking));
}

NTSTATUS power_wake(struct pnp_device *dev)
{
	struct power_transition t = { dev, PowerSystemWorking, STATUS_SUCCESS };

	io_in_system_context(system_wake, &t);
	return t.status;
}
