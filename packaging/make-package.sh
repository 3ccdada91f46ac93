#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Assemble the Windows driver package:
#   make-package.sh [--no-gl] WINBUILD OUTDIR
# writes OUTDIR/vgpu-win64/ (vgpu.inf, test-signed vgpu.sys, its test
# certificate, the signed catalog vgpu.cat, vgpu-info.exe, the GL DLLs,
# install/uninstall scripts, README.md) and OUTDIR/vgpu-win64.zip.  The
# binaries ship without debug sections; OUTDIR/symbols/ keeps them as built,
# for a debugger, outside the package and the zip.
#
# The catalog comes from tools/makecat of the native build, by default the
# one the Windows build sits in (build/ for build/win, as make lays them
# out), else $VGPU_MAKECAT.
#
# The GL DLLs (opengl32.dll, vgpu_wgl.dll and any other DLL beside them)
# come from $VGPU_GL_DIR, by default the bin/ of the Mesa Windows build
# (scripts/build-mesa.sh --prefix windows).  Without them the folder is
# still assembled, but no zip is written and the script fails, saying so;
# --no-gl assembles the folder without them on purpose (tests).
#
# The test certificate and its key (also as vgpu-test.pfx for signtool)
# live in OUTDIR/../package-signing/, made on first use and kept, so that a
# VM that trusts it once keeps trusting later builds.  The key never
# enters the package.
set -euo pipefail

GL_DLLS=(opengl32.dll vgpu_wgl.dll)
# What vgpu.cat lists: the INF and every file it copies (tests/windows
# checks this against the INF's CopyFiles).
CATALOG_FILES=(vgpu.inf vgpu.sys)
# Windows 10 and 11, any build: what pnputil compares with the running OS.
CATALOG_OSATTR=2:10.0
GL_BUILD_HINT="build them with 'make mesa' (scripts/build-mesa.sh windows),"
GL_BUILD_HINT+=" or set VGPU_GL_DIR to a folder holding ${GL_DLLS[*]}"

die() {
	echo "make-package: $*" >&2
	exit 1
}

with_gl=1
if [ "${1:-}" = "--no-gl" ]; then
	with_gl=0
	shift
fi
[ $# -eq 2 ] || die "usage: make-package.sh [--no-gl] WINBUILD OUTDIR"
winbuild=$1
outdir=$2
src=$(cd "$(dirname "$0")/.." && pwd)
pkg=$outdir/vgpu-win64
symbols=$outdir/symbols
signing=$(dirname "$outdir")/package-signing
makecat=${VGPU_MAKECAT:-$(dirname "$winbuild")/tools/makecat/vgpu-makecat}
gl_dir=${VGPU_GL_DIR:-}
if [ -z "$gl_dir" ] && [ "$with_gl" -eq 1 ]; then
	gl_dir=$("$src/scripts/build-mesa.sh" --prefix windows)/bin ||
		die "cannot locate the Mesa Windows build; set VGPU_GL_DIR"
fi

for tool in x86_64-w64-mingw32-strip osslsigncode openssl python3; do
	command -v "$tool" >/dev/null || die "$tool is missing (run scripts/setup.sh)"
done
sys=$winbuild/kmd/windows/vgpu.sys
info=$winbuild/tools/vgpu-info.exe
for f in "$sys" "$info"; do
	[ -f "$f" ] || die "$f is missing: build the Windows targets first (make windows)"
done
[ -x "$makecat" ] || die "$makecat is missing: build the native tools first (make native)"

# A self-signed code-signing certificate: what test-signing mode accepts.
make_test_certificate() {
	[ -f "$signing/vgpu-test.key" ] && [ -f "$signing/vgpu-test.crt" ] && return
	mkdir -p "$signing"
	openssl req -x509 -newkey rsa:3072 -sha256 -nodes -days 3650 \
		-subj "/CN=vgpu test signing (not trusted outside test-signing mode)" \
		-addext "keyUsage=critical,digitalSignature" \
		-addext "extendedKeyUsage=codeSigning" \
		-keyout "$signing/vgpu-test.key.tmp" -out "$signing/vgpu-test.crt" 2>/dev/null
	mv "$signing/vgpu-test.key.tmp" "$signing/vgpu-test.key"
	chmod 600 "$signing/vgpu-test.key"
	# For signtool, to re-sign on Windows; password "vgpu-test".
	openssl pkcs12 -export -inkey "$signing/vgpu-test.key" -in "$signing/vgpu-test.crt" \
		-passout pass:vgpu-test -out "$signing/vgpu-test.pfx"
}

sign() {
	osslsigncode sign -certs "$signing/vgpu-test.crt" -key "$signing/vgpu-test.key" \
		-h sha256 "$@" >/dev/null
}

# The link timestamp in $1's PE header.
pe_timestamp() {
	local pe_at
	pe_at=$(od -An -t u4 -j 60 -N 4 "$1" | tr -d ' ')
	od -An -t u4 -j $((pe_at + 8)) -N 4 "$1" | tr -d ' '
}

# strip_pe IN OUT [OPTIONS...]: strip writes the time of packaging into the
# header unless told a time; it keeps the image's own, which debuggers match
# symbols by, and the same build then packages to the same bytes.
strip_pe() {
	local in=$1 out=$2 stamp
	shift 2
	stamp=$(pe_timestamp "$in" 2>/dev/null)
	[[ $stamp =~ ^[0-9]+$ ]] || { echo "make-package: $in is not a PE image" >&2; return 1; }
	SOURCE_DATE_EPOCH=$stamp x86_64-w64-mingw32-strip "$@" -o "$out" "$in"
}

sign_driver() {
	local unsigned=$pkg/vgpu.unsigned.sys

	strip_pe "$sys" "$unsigned" --strip-debug
	sign -n "vgpu virtio-gpu OpenGL driver" -in "$unsigned" -out "$pkg/vgpu.sys"
	rm -f "$unsigned"
}

# From the files' final bytes: nothing may change them after this.
make_catalog() {
	local unsigned=$pkg/vgpu.unsigned.cat

	"$makecat" --osattr "$CATALOG_OSATTR" -o "$unsigned" "${CATALOG_FILES[@]/#/$pkg/}"
	sign -in "$unsigned" -out "$pkg/vgpu.cat"
	rm -f "$unsigned"
}

have_gl_dlls() {
	local dll
	for dll in "${GL_DLLS[@]}"; do
		[ -f "$gl_dir/$dll" ] || return 1
	done
}

# Every DLL beside the named ones goes along (libglapi...), stripped of its
# debug sections and symbol table (a third of vgpu_wgl.dll; a DLL's exports
# are in its export table, which stays), the unstripped one kept in
# symbols/gl/.  Before anything hashes or signs the package's files: those
# must be the final bytes.
copy_gl_dlls() {
	local dll
	mkdir -p "$pkg/gl" "$symbols/gl"
	for dll in "$gl_dir"/*.dll; do
		cp -f "$dll" "$symbols/gl/"
		strip_pe "$dll" "$pkg/gl/$(basename "$dll")" --strip-all
	done
}

rm -rf "$pkg" "$symbols" "$outdir/vgpu-win64.zip"
mkdir -p "$pkg" "$symbols"
gl_copied=0
if [ "$with_gl" -eq 1 ] && have_gl_dlls; then
	copy_gl_dlls
	gl_copied=1
fi
cp -f "$sys" "$info" "$symbols/"
make_test_certificate
sign_driver
openssl x509 -in "$signing/vgpu-test.crt" -outform der -out "$pkg/vgpu-test.cer"
strip_pe "$info" "$pkg/vgpu-info.exe"
# Windows text files: CRLF line ends.
for f in kmd/windows/vgpu.inf packaging/install.cmd packaging/uninstall.cmd \
	packaging/install.ps1 packaging/uninstall.ps1 packaging/vgpu-common.ps1; do
	sed 's/\r*$/\r/' "$src/$f" >"$pkg/$(basename "$f")"
done
sed 's/\r*$/\r/' "$src/docs/windows.md" >"$pkg/README.md"

make_catalog

if [ "$with_gl" -eq 0 ]; then
	echo "make-package: $pkg assembled without the GL DLLs (--no-gl); no zip written"
	exit 0
fi
if [ "$gl_copied" -eq 0 ]; then
	echo "make-package: $pkg assembled, but GL DLLs missing: $GL_BUILD_HINT" \
		"(looked in $gl_dir); no zip written" >&2
	exit 1
fi
(cd "$outdir" && python3 -m zipfile -c vgpu-win64.zip vgpu-win64/)
echo "make-package: wrote $pkg and $outdir/vgpu-win64.zip"
