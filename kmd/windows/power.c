/* SPDX-License-Identifier: MIT */
/*
 * Power.  vgpu.sys is the power policy owner of its stack: a system power
 * IRP, on its way back up, becomes a device power IRP for the D state the
 * bus reported for that S state.  Leaving D0 quiesces the device first
 * (calls fail with DEVICE_LOST, the device is reset and stops DMA); the
 * host's contexts are gone then, so the core is rebuilt once every handle
 * that knew them is closed (file_io.c).  Power IRPs arrive at PASSIVE
 * (DO_POWER_PAGABLE).
 */
#include "vgpu_win.h"

static IO_COMPLETION_ROUTINE system_irp_done;
static REQUEST_POWER_COMPLETE device_irp_done;

static DEVICE_POWER_STATE d_state_for(struct win_device *dev, SYSTEM_POWER_STATE s)
{
	DEVICE_POWER_STATE d;

	if (s == PowerSystemWorking)
		return PowerDeviceD0;
	d = (s > PowerSystemUnspecified && s < PowerSystemMaximum) ? dev->d_for_s[s]
								   : PowerDeviceUnspecified;
	return d == PowerDeviceUnspecified ? PowerDeviceD3 : d;
}

/*
 * The D IRP we asked for is done: so is the S IRP that caused it.  `device`
 * is the PDO the request went to; our device rides in the S IRP, which we
 * own until we complete it.
 */
static void device_irp_done(PDEVICE_OBJECT device, UCHAR minor, POWER_STATE state, PVOID context,
			    PIO_STATUS_BLOCK iosb)
{
	PIRP s_irp = context;
	struct win_device *dev = s_irp->Tail.Overlay.DriverContext[0];

	s_irp->IoStatus.Status = iosb->Status;
	PoStartNextPowerIrp(s_irp);
	IoCompleteRequest(s_irp, IO_NO_INCREMENT);
	IoReleaseRemoveLock(&dev->remove_lock, s_irp);
}

static NTSTATUS system_irp_done(PDEVICE_OBJECT device, PIRP irp, PVOID context)
{
	struct win_device *dev = context;
	PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(irp);
	POWER_STATE d;
	NTSTATUS status;

	if (!NT_SUCCESS(irp->IoStatus.Status))
		goto done;
	d.DeviceState = d_state_for(dev, stack->Parameters.Power.State.SystemState);
	irp->Tail.Overlay.DriverContext[0] = dev;
	status = PoRequestPowerIrp(dev->pdo, IRP_MN_SET_POWER, d, device_irp_done, irp, NULL);
	if (NT_SUCCESS(status))
		return STATUS_MORE_PROCESSING_REQUIRED;
	irp->IoStatus.Status = status;
done:
	PoStartNextPowerIrp(irp);
	IoReleaseRemoveLock(&dev->remove_lock, irp);
	return STATUS_CONTINUE_COMPLETION;
}

static NTSTATUS set_system_power(struct win_device *dev, PIRP irp)
{
	IoMarkIrpPending(irp);
	IoCopyCurrentIrpStackLocationToNext(irp);
	IoSetCompletionRoutine(irp, system_irp_done, dev, TRUE, TRUE, TRUE);
	PoCallDriver(dev->lower, irp);
	return STATUS_PENDING;
}

static void record_power(struct win_device *dev, PIO_STACK_LOCATION stack)
{
	dev->power = stack->Parameters.Power.State.DeviceState;
	PoSetPowerState(dev->self, DevicePowerState, stack->Parameters.Power.State);
}

static NTSTATUS pass_down(struct win_device *dev, PIRP irp)
{
	NTSTATUS status;

	PoStartNextPowerIrp(irp);
	IoSkipCurrentIrpStackLocation(irp);
	status = PoCallDriver(dev->lower, irp);
	IoReleaseRemoveLock(&dev->remove_lock, irp);
	return status;
}

/*
 * Leaving D0: quiet the device while it still has power, then let the bus
 * cut it.  Its host-visible memory goes with its state: after the wake a
 * new core hands the same ranges to other programs.
 */
static NTSTATUS leave_d0(struct win_device *dev, PIRP irp, PIO_STACK_LOCATION stack)
{
	win_user_map_revoke_device(dev);
	win_state_lock(dev);
	win_core_quiesce(dev);
	record_power(dev, stack);
	win_state_unlock(dev);
	return pass_down(dev, irp);
}

/* Entering D0: the bus powers the device first. */
static NTSTATUS enter_d0(struct win_device *dev, PIRP irp, PIO_STACK_LOCATION stack)
{
	NTSTATUS status = win_forward_sync(dev, irp);

	if (NT_SUCCESS(status)) {
		win_state_lock(dev);
		record_power(dev, stack);
		win_state_unlock(dev);
	}
	PoStartNextPowerIrp(irp);
	win_complete(irp, status, 0);
	IoReleaseRemoveLock(&dev->remove_lock, irp);
	return status;
}

NTSTATUS win_dispatch_power(PDEVICE_OBJECT device, PIRP irp)
{
	struct win_device *dev = device->DeviceExtension;
	PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(irp);
	NTSTATUS status = IoAcquireRemoveLock(&dev->remove_lock, irp);

	if (!NT_SUCCESS(status)) {
		PoStartNextPowerIrp(irp);
		return win_complete(irp, status, 0);
	}
	if (stack->MinorFunction != IRP_MN_SET_POWER)
		return pass_down(dev, irp);
	if (stack->Parameters.Power.Type == SystemPowerState)
		return set_system_power(dev, irp);
	if (stack->Parameters.Power.State.DeviceState != PowerDeviceD0 &&
	    dev->power == PowerDeviceD0)
		return leave_d0(dev, irp, stack);
	if (stack->Parameters.Power.State.DeviceState == PowerDeviceD0 &&
	    dev->power != PowerDeviceD0)
		return enter_d0(dev, irp, stack);
	return pass_down(dev, irp);
}
