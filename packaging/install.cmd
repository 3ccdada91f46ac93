@echo off
setlocal
rem SPDX-License-Identifier: MIT
rem Install vgpu: run as administrator from the package folder.
rem   install.cmd                 driver + OpenGL DLLs for every 64-bit application
rem   install.cmd -App C:\dir     driver + OpenGL DLLs next to one application's .exe only
rem   install.cmd -DriverOnly     driver only
set ps="%SystemRoot%\System32\WindowsPowerShell\v1.0\powershell.exe"
%ps% -NoProfile -ExecutionPolicy Bypass -File "%~dp0install.ps1" %*
exit /b %ERRORLEVEL%
