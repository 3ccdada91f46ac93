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

static const GUID vgpu_interface = VGPU_DEVICE_INTERFACE_GUID_INIT;

/* The device path as a user string (in the process's heap), with `suffix` appended. */
static WCHAR *device_path(const char *suffix)
{
	const WCHAR *paths[1];
	WCHAR *path;
	size_t n = 0, m = strlen(suffix), i;

	if (user_interfaces(&vgpu_interface, (const uint16_t **)paths, 1) != 1)
		return NULL;
	while (paths[0][n])
		n++;
	path = malloc((n + m + 1) * sizeof(WCHAR));
	if (!path)
		return NULL;
	memcpy(path, paths[0], n * sizeof(WCHAR));
	for (i = 0; i <= m; i++)
		path[n + i] = (WCHAR)(unsigned char)suffix[i];
	return path;
}

static HANDLE open_raw(const char *suffix, ULONG *error)
{
	WCHAR *path = device_path(suffix);
	HANDLE h;

	CHECK(path);
	if (!path)
		return INVALID_HANDLE_VALUE;
	h = user_create_file(path, (uint32_t *)error);
	free(path);
	return h;
}

/* One call; its Win32 error (0: it succeeded). */
static ULONG call(HANDLE h, ULONG code, void *in, ULONG in_len, void *out, ULONG out_len)
{
	uint32_t returned = 0, error = 0;

	if (user_device_control(h, code, in, in_len, out, out_len, &returned, &error))
		return 0;
	return error;
}

static void bad_calls_app(void *arg)
{
	struct vgpu_get_info *info = malloc(sizeof(*info));
	ULONG error = 0;
	HANDLE h;

	h = open_raw("\\below", &error);
	CHECK(h == INVALID_HANDLE_VALUE);
	CHECK_EQ(error, ERROR_FILE_NOT_FOUND_);
	h = open_raw("", &error);
	CHECK(h != INVALID_HANDLE_VALUE);
	if (h == INVALID_HANDLE_VALUE || !info)
		return;
	/* GET_INFO takes the caller's ABI version in and answers with the driver's */
	memset(info, 0, sizeof(*info));
	info->abi_major = VGPU_ABI_VERSION_MAJOR;
	info->abi_minor = VGPU_ABI_VERSION_MINOR;
	CHECK_EQ(call(h, VGPU_IOCTL_GET_INFO, info, sizeof(*info), info, sizeof(*info)), 0);
	CHECK_EQ(info->abi_major, VGPU_ABI_VERSION_MAJOR);
	CHECK_EQ(call(h, VGPU_CTL_CODE(0x900, 3), info, sizeof(*info), info, sizeof(*info)),
		 ERROR_NOT_SUPPORTED_);
	CHECK_EQ(call(h, VGPU_CTL_CODE(0x9FF, VGPU_METHOD_BUFFERED), info, sizeof(*info), info,
		      sizeof(*info)),
		 ERROR_NOT_SUPPORTED_);
	CHECK_EQ(call(h, VGPU_IOCTL_GET_INFO, info, 4, info, 4), ERROR_INVALID_USER_BUFFER_);
	CHECK_EQ(call(h, VGPU_IOCTL_GET_INFO, NULL, 0, NULL, 0), ERROR_INVALID_USER_BUFFER_);
	info->abi_major = VGPU_ABI_VERSION_MAJOR;
	info->abi_minor = VGPU_ABI_VERSION_MINOR;
	CHECK_EQ(call(h, VGPU_IOCTL_GET_INFO, info, sizeof(*info), info, sizeof(*info)), 0);
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
	HANDLE h = open_raw("", &open_error);

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

	dup.owner_handle = open_raw("", &error);
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
		CHECK_EQ(call(dup.other_handle, VGPU_IOCTL_GET_INFO, info, sizeof(*info), info,
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

const struct scenario scenarios_misuse[] = {
	{ "ioctl.bad_calls", bad_calls },
	{ "handle.other_process", other_process },
	{ "irp.unknown_major", unknown_major },
	{ "seh.unhandled_in_driver", unhandled_in_driver, NT_RULE_EXCEPTION_NOT_HANDLED },
};
const unsigned scenarios_misuse_count = sizeof(scenarios_misuse) / sizeof(scenarios_misuse[0]);
