# SPDX-License-Identifier: MIT
#
# vgpu installer (install.cmd runs it).  Everything it changes is recorded
# in %ProgramData%\vgpu\state.json, with backups beside it, so that
# uninstall.ps1 can put the machine back as it found it.
param(
	[string]$App = "",
	[switch]$DriverOnly
)
$ErrorActionPreference = "Stop"
. (Join-Path $PSScriptRoot "vgpu-common.ps1")
$Package = $PSScriptRoot
$StateDir = Join-Path $env:ProgramData "vgpu"
$StateFile = Join-Path $StateDir "state.json"
$System32 = Join-Path $env:SystemRoot "System32"

function Fail([string]$Message) {
	Write-Host "vgpu install: $Message" -ForegroundColor Red
	exit 1
}

function Load-State {
	$state = [pscustomobject]@{
		CertThumbprint = ""; CertStoresAdded = @(); SystemDlls = @(); Apps = @(); Devices = @()
	}
	if (Test-Path $StateFile) {
		$state = Get-Content $StateFile -Raw | ConvertFrom-Json
	}
	# A record from an older install.ps1 has no Devices.
	if ($state.PSObject.Properties.Name -notcontains "Devices") {
		$state | Add-Member -NotePropertyName Devices -NotePropertyValue @()
	}
	return $state
}

function Save-State($State) {
	New-Item -ItemType Directory -Force -Path $StateDir | Out-Null
	$State | ConvertTo-Json -Depth 5 | Set-Content -Path $StateFile -Encoding UTF8
}

function Check-Prerequisites {
	$me = [Security.Principal.WindowsIdentity]::GetCurrent()
	$principal = New-Object Security.Principal.WindowsPrincipal($me)
	if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
		Fail "run install.cmd as administrator (right click, Run as administrator)."
	}
	if (-not [Environment]::Is64BitProcess) {
		Fail "run from a 64-bit command prompt (vgpu is 64-bit only)."
	}
	$bcd = (& bcdedit /enum "{current}") -join "`n"
	if ($bcd -notmatch "(?im)^testsigning\s+Yes") {
		$secure = $false
		try { $secure = Confirm-SecureBootUEFI } catch { }
		Write-Host "vgpu.sys is test-signed: Windows must be in test-signing mode first."
		if ($secure) {
			Write-Host "  Secure Boot is on: turn it off in the VM's firmware settings (UEFI) first."
		}
		Write-Host "  1. bcdedit /set testsigning on"
		Write-Host "  2. reboot, then run install.cmd again"
		exit 1
	}
	foreach ($f in @("vgpu.inf", "vgpu.sys", "vgpu.cat", "vgpu-test.cer")) {
		if (-not (Test-Path (Join-Path $Package $f))) {
			Fail "$f is missing from the package folder: copy the whole vgpu-win64 folder."
		}
	}
	Check-Catalog
}

function Package-Certificate {
	$cer = Join-Path $Package "vgpu-test.cer"
	return New-Object System.Security.Cryptography.X509Certificates.X509Certificate2($cer)
}

# pnputil would refuse a catalog that another certificate signed, with a
# vaguer message and after the certificate was trusted: say it first.
function Check-Catalog {
	$signature = Get-AuthenticodeSignature -FilePath (Join-Path $Package "vgpu.cat")
	if ($signature.Status -eq "HashMismatch") {
		Fail "vgpu.cat was changed after it was signed: use the package as make package wrote it."
	}
	$signer = $signature.SignerCertificate
	if (-not $signer -or $signer.Thumbprint -ne (Package-Certificate).Thumbprint) {
		Fail ("vgpu.cat is not signed with vgpu-test.cer: re-signed without replacing the " +
			"certificate? (README.md, 'Re-signing')")
	}
}

# The package's test certificate, trusted machine-wide for the driver catalog.
function Trust-Certificate($State) {
	$cer = Join-Path $Package "vgpu-test.cer"
	$cert = Package-Certificate
	$State.CertThumbprint = $cert.Thumbprint
	foreach ($store in @("Root", "TrustedPublisher")) {
		$path = "Cert:\LocalMachine\$store\$($cert.Thumbprint)"
		if (Test-Path $path) { continue }
		Import-Certificate -FilePath $cer -CertStoreLocation "Cert:\LocalMachine\$store" | Out-Null
		$State.CertStoresAdded = @($State.CertStoresAdded) + $store
	}
}

# The driver goes into the driver store, then onto each of our device
# instances (Select-VgpuDevices) by force, since another driver may outrank
# it there; what each instance had is recorded first, once, for uninstall.
function Install-Driver($State) {
	try {
		$inf = Add-DriverToStore (Join-Path $Package "vgpu.inf")
	} catch {
		Fail "cannot add vgpu.inf to the driver store: $($_.Exception.Message)"
	}
	$targets = @(Select-VgpuDevices (Get-VirtioGpuDevices))
	if ($targets.Count -eq 0) {
		Write-Host "vgpu: driver staged, but no vgpu device is present:"
		Write-Host "  add a virtio-gpu-gl-pci device to the VM (README.md)."
		return
	}
	$reboot = $false
	foreach ($d in $targets) {
		if (-not @($State.Devices | Where-Object { $_.InstanceId -eq $d.InstanceId })) {
			$before = if ($d.Service -eq "vgpu") { "" } else { $d.DriverInf }
			$record = [pscustomobject]@{ InstanceId = $d.InstanceId; PreviousInf = $before }
			$State.Devices = @($State.Devices) + $record
			Save-State $State
		}
		try {
			$reboot = (Install-DriverOnDevice $d.InstanceId $inf) -or $reboot
		} catch {
			Fail "cannot install vgpu on $($d.InstanceId): $($_.Exception.Message)"
		}
		Write-Host "vgpu: installed on $($d.InstanceId) (before: $($d.DriverInf), $($d.Service))."
	}
	if ($reboot) {
		Write-Host "vgpu: reboot to finish the driver installation." -ForegroundColor Yellow
	}
}

function Gl-Dlls {
	$dir = Join-Path $Package "gl"
	$dlls = @(Get-ChildItem -Path $dir -Filter *.dll -ErrorAction SilentlyContinue)
	if (-not ($dlls | Where-Object { $_.Name -eq "opengl32.dll" })) {
		Fail "the package has no gl\opengl32.dll: it was built without the GL DLLs."
	}
	return $dlls
}

# System32's opengl32.dll belongs to TrustedInstaller: keep the original
# and its security descriptor, then take it over and replace it.
function Install-SystemGl($State) {
	$backup = Join-Path $StateDir "system32-backup"
	New-Item -ItemType Directory -Force -Path $backup | Out-Null
	foreach ($dll in (Gl-Dlls)) {
		$target = Join-Path $System32 $dll.Name
		$known = @($State.SystemDlls | Where-Object { $_.Name -eq $dll.Name })
		if ($known.Count -eq 0) {
			$existed = Test-Path $target
			if ($existed) {
				Copy-Item $target (Join-Path $backup $dll.Name) -Force
				& icacls $target /save (Join-Path $backup "$($dll.Name).acl") | Out-Null
				& takeown /f $target /a | Out-Null
				& icacls $target /grant "*S-1-5-32-544:F" | Out-Null
			}
			$record = [pscustomobject]@{ Name = $dll.Name; Replaced = $existed }
			$State.SystemDlls = @($State.SystemDlls) + $record
			Save-State $State
		}
		Replace-File $dll.FullName $target
	}
}

function Install-AppGl($State, [string]$Dir) {
	if (-not (Test-Path $Dir -PathType Container)) { Fail "$Dir is not a folder." }
	$Dir = (Resolve-Path $Dir).Path
	$entry = @($State.Apps | Where-Object { $_.Dir -eq $Dir })
	if ($entry.Count -eq 0) {
		$backup = Join-Path $StateDir ("app-backup\" + [guid]::NewGuid().ToString())
		$files = @()
		foreach ($dll in (Gl-Dlls)) {
			$target = Join-Path $Dir $dll.Name
			$existed = Test-Path $target
			if ($existed) {
				New-Item -ItemType Directory -Force -Path $backup | Out-Null
				Copy-Item $target (Join-Path $backup $dll.Name) -Force
			}
			$files += [pscustomobject]@{ Name = $dll.Name; Replaced = $existed }
		}
		$State.Apps = @($State.Apps) + [pscustomobject]@{ Dir = $Dir; Backup = $backup; Files = $files }
		Save-State $State
	}
	foreach ($dll in (Gl-Dlls)) { Replace-File $dll.FullName (Join-Path $Dir $dll.Name) }
}

Check-Prerequisites
$state = Load-State
Trust-Certificate $state
Save-State $state
Install-Driver $state
if ($App -ne "") {
	Install-AppGl $state $App
	Write-Host "vgpu: OpenGL DLLs placed in $App."
} elseif (-not $DriverOnly) {
	Install-SystemGl $state
	Write-Host "vgpu: OpenGL DLLs placed in $System32 (64-bit applications)."
}
Save-State $state
& (Join-Path $Package "vgpu-info.exe")
Write-Host "vgpu: installed.  uninstall.cmd undoes everything."
