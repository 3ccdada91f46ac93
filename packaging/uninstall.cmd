@echo off
setlocal
rem SPDX-License-Identifier: MIT
rem Undo install.cmd: run as administrator.
rem   uninstall.cmd               everything install.cmd did, in reverse
rem   uninstall.cmd -App C:\dir   only the OpenGL DLLs placed next to that application
set ps="%SystemRoot%\System32\WindowsPowerShell\v1.0\powershell.exe"
%ps% -NoProfile -ExecutionPolicy Bypass -File "%~dp0uninstall.ps1" %*
exit /b %ERRORLEVEL%
