# SPDX-License-Identifier: MIT
#
# What install.ps1 and uninstall.ps1 share (dot-sourced by both).

# Put $Source in place of $Target.  A DLL that a running process has loaded
# cannot be overwritten, but it can be renamed: it is moved aside (left for
# the user to delete after a reboot) and the copy tried again.
function Replace-File([string]$Source, [string]$Target) {
	try {
		Copy-Item $Source $Target -Force
	} catch {
		$aside = "$Target.vgpu-old-" + [guid]::NewGuid().ToString("N")
		Move-Item $Target $aside -Force
		Copy-Item $Source $Target -Force
		Write-Host "vgpu: $Target was in use; the old file is now $aside (reboot, then delete it)."
	}
}

# The device ids vgpu goes on (vgpu.inf's models) and those it never goes
# on: the VGA virtio-gpu carries the desktop, and QEMU's virtio-pmem-pci
# (class ff00) shares Mvisor's ids.  Windows lists the class ids
# (...&CC_0380) among a PCI device's own ids, so they tell instances apart.
$VgpuTargetIds = @(
	"PCI\VEN_1AF4&DEV_1050&CC_0380",
	"PCI\VEN_1AF4&DEV_105B&SUBSYS_11001AF4&REV_01"
)
$VgpuNeverIds = @(
	"PCI\VEN_1AF4&DEV_1050&CC_0300",
	"PCI\VEN_1AF4&DEV_105B&CC_FF00"
)

# The device instances to put vgpu on, from objects with InstanceId and Ids
# (hardware and compatible ids).  No system calls: the choice alone.
function Select-VgpuDevices($Devices) {
	foreach ($d in @($Devices)) {
		$ids = @($d.Ids | ForEach-Object { "$_".ToUpperInvariant() })
		$wanted = @($VgpuTargetIds | Where-Object { $ids -contains $_ }).Count -gt 0
		$never = @($VgpuNeverIds | Where-Object { $ids -contains $_ }).Count -gt 0
		if ($wanted -and -not $never) { $d }
	}
}

# The present virtio-gpu-like PCI functions, with their ids and the INF of
# the driver they have now ("" for none).
function Get-VirtioGpuDevices {
	Get-PnpDevice -PresentOnly | Where-Object { $_.InstanceId -like "PCI\VEN_1AF4&DEV_105*" } |
		ForEach-Object {
			$inf = Get-PnpDeviceProperty -InstanceId $_.InstanceId `
				-KeyName "DEVPKEY_Device_DriverInfPath" -ErrorAction SilentlyContinue
			[pscustomobject]@{
				InstanceId = $_.InstanceId
				Ids = @($_.HardwareID) + @($_.CompatibleID)
				DriverInf = "$($inf.Data)"
				Service = "$($_.Service)"
			}
		}
}

# pnputil /add-driver /install puts a driver only where it outranks the
# one there (a hardware-id match with a WHQL signature, like virtio-win's
# viogpudo on virtio-gpu, wins over ours).  DiInstallDevice installs a
# driver from the driver store on one device instance, whatever the
# ranking: Stage puts the package in the store (SetupCopyOEMInf) and
# answers its published INF (%SystemRoot%\INF\oemNN.inf, the same one if
# already there); InstallOn builds that INF's driver list for the device
# (DI_ENUMSINGLEINF), installs its first entry and says whether a reboot
# is needed.
$VgpuSetupApi = @'
using System;
using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Text;

public static class VgpuSetupApi {
	[StructLayout(LayoutKind.Sequential)]
	struct DevInfoData {
		public uint cbSize; public Guid ClassGuid; public uint DevInst; public IntPtr Reserved;
	}
	[StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
	struct DevInstallParams {
		public uint cbSize; public uint Flags; public uint FlagsEx; public IntPtr hwndParent;
		public IntPtr InstallMsgHandler; public IntPtr InstallMsgHandlerContext;
		public IntPtr FileQueue; public UIntPtr ClassInstallReserved; public uint Reserved;
		[MarshalAs(UnmanagedType.ByValTStr, SizeConst = 260)] public string DriverPath;
	}
	[StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
	struct DrvInfoData {
		public uint cbSize; public uint DriverType; public UIntPtr Reserved;
		[MarshalAs(UnmanagedType.ByValTStr, SizeConst = 256)] public string Description;
		[MarshalAs(UnmanagedType.ByValTStr, SizeConst = 256)] public string MfgName;
		[MarshalAs(UnmanagedType.ByValTStr, SizeConst = 256)] public string ProviderName;
		public long DriverDate; public ulong DriverVersion;
	}
	const uint DI_ENUMSINGLEINF = 0x00010000;
	const uint SPDIT_COMPATDRIVER = 2;
	const uint SPOST_PATH = 1;
	const int MAX_PATH = 260;

	[DllImport("setupapi.dll", SetLastError = true, CharSet = CharSet.Unicode)]
	static extern bool SetupCopyOEMInf(string source, string mediaLocation, uint mediaType,
		uint style, StringBuilder destination, int destinationSize, out int required,
		IntPtr destinationFilePart);

	[DllImport("setupapi.dll", SetLastError = true)]
	static extern IntPtr SetupDiCreateDeviceInfoList(IntPtr classGuid, IntPtr hwnd);
	[DllImport("setupapi.dll", SetLastError = true)]
	static extern bool SetupDiDestroyDeviceInfoList(IntPtr set);
	[DllImport("setupapi.dll", SetLastError = true, CharSet = CharSet.Unicode)]
	static extern bool SetupDiOpenDeviceInfo(IntPtr set, string instanceId, IntPtr hwnd,
		uint flags, ref DevInfoData data);
	[DllImport("setupapi.dll", SetLastError = true, CharSet = CharSet.Unicode)]
	static extern bool SetupDiGetDeviceInstallParams(IntPtr set, ref DevInfoData data,
		ref DevInstallParams p);
	[DllImport("setupapi.dll", SetLastError = true, CharSet = CharSet.Unicode)]
	static extern bool SetupDiSetDeviceInstallParams(IntPtr set, ref DevInfoData data,
		ref DevInstallParams p);
	[DllImport("setupapi.dll", SetLastError = true)]
	static extern bool SetupDiBuildDriverInfoList(IntPtr set, ref DevInfoData data, uint type);
	[DllImport("setupapi.dll", SetLastError = true, CharSet = CharSet.Unicode)]
	static extern bool SetupDiEnumDriverInfo(IntPtr set, ref DevInfoData data, uint type,
		uint index, ref DrvInfoData drv);
	[DllImport("newdev.dll", SetLastError = true, CharSet = CharSet.Unicode)]
	static extern bool DiInstallDevice(IntPtr hwnd, IntPtr set, ref DevInfoData data,
		ref DrvInfoData drv, uint flags, out bool reboot);

	static void Check(bool ok, string what) {
		if (!ok) throw new Win32Exception(Marshal.GetLastWin32Error(), what);
	}

	public static string Stage(string infPath) {
		StringBuilder published = new StringBuilder(MAX_PATH);
		int required;
		Check(SetupCopyOEMInf(infPath, null, SPOST_PATH, 0, published, MAX_PATH, out required,
			IntPtr.Zero), "SetupCopyOEMInf " + infPath);
		return published.ToString();
	}

	public static bool InstallOn(string instanceId, string infPath) {
		IntPtr set = SetupDiCreateDeviceInfoList(IntPtr.Zero, IntPtr.Zero);
		Check(set != new IntPtr(-1), "SetupDiCreateDeviceInfoList");
		try {
			DevInfoData dev = new DevInfoData();
			dev.cbSize = (uint)Marshal.SizeOf(typeof(DevInfoData));
			Check(SetupDiOpenDeviceInfo(set, instanceId, IntPtr.Zero, 0, ref dev),
				"SetupDiOpenDeviceInfo " + instanceId);
			DevInstallParams p = new DevInstallParams();
			p.cbSize = (uint)Marshal.SizeOf(typeof(DevInstallParams));
			Check(SetupDiGetDeviceInstallParams(set, ref dev, ref p), "SetupDiGetDeviceInstallParams");
			p.Flags |= DI_ENUMSINGLEINF;
			p.DriverPath = infPath;
			Check(SetupDiSetDeviceInstallParams(set, ref dev, ref p), "SetupDiSetDeviceInstallParams");
			Check(SetupDiBuildDriverInfoList(set, ref dev, SPDIT_COMPATDRIVER),
				"SetupDiBuildDriverInfoList");
			DrvInfoData drv = new DrvInfoData();
			drv.cbSize = (uint)Marshal.SizeOf(typeof(DrvInfoData));
			Check(SetupDiEnumDriverInfo(set, ref dev, SPDIT_COMPATDRIVER, 0, ref drv),
				infPath + " has no driver for " + instanceId);
			bool reboot;
			Check(DiInstallDevice(IntPtr.Zero, set, ref dev, ref drv, 0, out reboot),
				"DiInstallDevice " + instanceId);
			return reboot;
		} finally {
			SetupDiDestroyDeviceInfoList(set);
		}
	}
}
'@

function Use-SetupApi {
	if (-not ("VgpuSetupApi" -as [type])) { Add-Type -TypeDefinition $VgpuSetupApi }
}

# Put a driver package in the driver store; its published INF's full path.
function Add-DriverToStore([string]$Inf) {
	Use-SetupApi
	return [VgpuSetupApi]::Stage($Inf)
}

# Install a driver store INF's driver on one device instance; true if a reboot is needed.
function Install-DriverOnDevice([string]$InstanceId, [string]$StoreInf) {
	Use-SetupApi
	return [VgpuSetupApi]::InstallOn($InstanceId, $StoreInf)
}
