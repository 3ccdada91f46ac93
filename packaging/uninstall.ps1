# SPDX-License-Identifier: MIT
#
# Undo install.ps1, from the record it kept in %ProgramData%\vgpu\state.json:
# the original DLLs (and their owner and permissions) back in place, ours
# gone, each device vgpu was put on back on the driver it had, the driver
# package deleted from the driver store, the test certificate removed from
# the stores install.ps1 added it to.
param(
	[string]$App = ""
)
$ErrorActionPreference = "Stop"
. (Join-Path $PSScriptRoot "vgpu-common.ps1")
$StateDir = Join-Path $env:ProgramData "vgpu"
$StateFile = Join-Path $StateDir "state.json"
$System32 = Join-Path $env:SystemRoot "System32"

function Fail([string]$Message) {
	Write-Host "vgpu uninstall: $Message" -ForegroundColor Red
	exit 1
}

function Save-State($State) {
	$State | ConvertTo-Json -Depth 5 | Set-Content -Path $StateFile -Encoding UTF8
}

function Restore-App($Entry) {
	foreach ($f in $Entry.Files) {
		$target = Join-Path $Entry.Dir $f.Name
		if ($f.Replaced) {
			Replace-File (Join-Path $Entry.Backup $f.Name) $target
		} else {
			Remove-Item $target -Force -ErrorAction SilentlyContinue
		}
	}
	Remove-Item $Entry.Backup -Recurse -Force -ErrorAction SilentlyContinue
}

function Restore-SystemGl($State) {
	$backup = Join-Path $StateDir "system32-backup"
	foreach ($f in $State.SystemDlls) {
		$target = Join-Path $System32 $f.Name
		if ($f.Replaced) {
			Replace-File (Join-Path $backup $f.Name) $target
			& icacls $target /setowner "NT SERVICE\TrustedInstaller" | Out-Null
			& icacls $System32 /restore (Join-Path $backup "$($f.Name).acl") | Out-Null
		} else {
			Remove-Item $target -Force -ErrorAction SilentlyContinue
		}
	}
}

# Each device instance install.ps1 took gets the driver it had back, by
# force as vgpu was put there; one that had none is left to Windows once
# vgpu's package is gone.  A driver package deleted since cannot come back:
# said, and the uninstall goes on.
function Restore-Devices($State) {
	foreach ($d in @($State.Devices)) {
		if (-not $d.PreviousInf) { continue }
		$inf = Join-Path $env:SystemRoot "INF\$($d.PreviousInf)"
		try {
			if (Install-DriverOnDevice $d.InstanceId $inf) {
				Write-Host "vgpu: reboot to finish giving $($d.InstanceId) back its driver."
			}
			Write-Host "vgpu: $($d.InstanceId) has $($d.PreviousInf) again."
		} catch {
			Write-Host "vgpu: could not give $($d.InstanceId) back $($d.PreviousInf):" `
				$_.Exception.Message -ForegroundColor Yellow
		}
	}
}

function Remove-Driver {
	$ours = @(Get-WindowsDriver -Online | Where-Object { $_.OriginalFileName -like "*\vgpu.inf" })
	foreach ($d in $ours) {
		& pnputil /delete-driver $d.Driver /uninstall /force
		if ($LASTEXITCODE -ne 0 -and $LASTEXITCODE -ne 3010) {
			Fail "pnputil could not delete $($d.Driver) ($LASTEXITCODE)."
		}
	}
}

function Remove-Certificate($State) {
	foreach ($store in $State.CertStoresAdded) {
		Remove-Item "Cert:\LocalMachine\$store\$($State.CertThumbprint)" -ErrorAction SilentlyContinue
	}
}

$me = [Security.Principal.WindowsIdentity]::GetCurrent()
$principal = New-Object Security.Principal.WindowsPrincipal($me)
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
	Fail "run uninstall.cmd as administrator."
}
if (-not (Test-Path $StateFile)) { Fail "nothing to undo: $StateFile does not exist." }
$state = Get-Content $StateFile -Raw | ConvertFrom-Json

if ($App -ne "") {
	$dir = (Resolve-Path $App).Path
	$entry = @($state.Apps | Where-Object { $_.Dir -eq $dir })
	if ($entry.Count -eq 0) { Fail "install.cmd placed nothing in $dir." }
	Restore-App $entry[0]
	$state.Apps = @($state.Apps | Where-Object { $_.Dir -ne $dir })
	Save-State $state
	Write-Host "vgpu: $dir restored."
	exit 0
}

foreach ($entry in $state.Apps) { Restore-App $entry }
Restore-SystemGl $state
if ($state.PSObject.Properties.Name -contains "Devices") { Restore-Devices $state }
Remove-Driver
Remove-Certificate $state
Remove-Item $StateDir -Recurse -Force
Write-Host "vgpu: uninstalled.  If test-signing mode was turned on only for vgpu:"
Write-Host "  bcdedit /set testsigning off   (then reboot)"
