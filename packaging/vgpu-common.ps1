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
