#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build Mesa with vgpu's winsys (umd/winsys, umd/libvgpu) compiled in.
#
#   scripts/build-mesa.sh linux|windows...   build (or bring up to date) each target
#   scripts/build-mesa.sh --prefix TARGET    only print where TARGET's install is
#
# Mesa comes from Debian's source package (apt-get source; deb-src is
# derived from the machine's own apt sources when missing) and gets
# umd/mesa/vgpu.patch.  Everything is cached outside the checkout in
# $VGPU_MESA_CACHE (default ~/.cache/vgpu/mesa)/<mesa version>-<patch hash>/:
# src/ (patched tree), build-TARGET/ and install-TARGET/ (the prefix); keys
# unused for two weeks go (scripts/cache-keys.sh).  Our
# sources are compiled from this checkout through Mesa's -Dvgpu-source
# option, so a warm build only re-runs ninja.  Builds hold a lock so that
# two Mesa builds never run at once on this small machine.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/cache-keys.sh"
patch_file=$repo/umd/mesa/vgpu.patch
cache_root=${VGPU_MESA_CACHE:-$HOME/.cache/vgpu/mesa}
jobs=${VGPU_MESA_JOBS:-2}
# Mesa's meson needs Debian's python3 (with mako), not another one on PATH.
export PATH=/usr/bin:$PATH

log() { echo "build-mesa: $*" >&2; }
die() { log "$*"; exit 1; }

# Meson options shared by every target: only what vgpu needs.
common_options=(
	-Dbuildtype=release -Dgallium-drivers=swrast,virgl -Dvulkan-drivers=[] -Dllvm=disabled
	-Dgles1=disabled -Dgles2=enabled -Dshared-glapi=enabled -Dopengl=true
	-Dgallium-vdpau=disabled -Dgallium-va=disabled -Dgallium-xa=disabled
	-Dgallium-omx=disabled -Dgallium-nine=false -Dgallium-opencl=disabled
	-Dvideo-codecs=[] -Dvalgrind=disabled -Dlibunwind=disabled -Dlmsensors=disabled
	-Dbuild-tests=false -Dosmesa=false -Dzstd=disabled
)

# Each target sets target_options (and may set cross_file).
target_linux() {
	target_options=(
		-Dlibdir=lib/x86_64-linux-gnu -Dplatforms=x11 -Dglx=dri -Degl=enabled
		-Dgbm=disabled -Dglvnd=false
	)
	cross_file=
}

# Windows: opengl32.dll + vgpu_wgl.dll (the WGL driver), with the C/C++
# runtime, winpthread and zlib linked in (-static), so that nothing else
# has to be shipped beside them.
target_windows() {
	target_options=(
		-Dplatforms=windows -Dglx=disabled -Degl=disabled -Dgbm=disabled
		-Dgallium-windows-dll-name=vgpu_wgl -Dzlib=enabled
		-Dshader-cache=disabled -Dmicrosoft-clc=disabled -Dspirv-to-dxil=false
		-Dc_link_args=-static -Dcpp_link_args=-static
	)
	cross_file=$dir/mingw-w64-x86_64.txt
	windows_cross_file "$cross_file"
}

# Our cross file, plus the C++ compiler Mesa needs (g++-mingw-w64-x86-64-win32)
# and a pkg-config that finds mingw-w64's libraries (zlib from
# libz-mingw-w64-dev): Debian has no x86_64-w64-mingw32-pkg-config.
windows_cross_file() {
	local out=$1 wrapper=$dir/x86_64-w64-mingw32-pkg-config
	mkdir -p "$dir"
	printf '#!/bin/sh\nPKG_CONFIG_LIBDIR=/usr/x86_64-w64-mingw32/lib/pkgconfig exec pkg-config "$@"\n' \
		>"$wrapper"
	chmod +x "$wrapper"
	sed -e "s|^pkg-config = .*|pkg-config = '$wrapper'|" \
		-e "s|^c = .*|&\ncpp = 'x86_64-w64-mingw32-g++'|" "$repo/cross/mingw-w64-x86_64.txt" >"$out"
}

# deb-src entries derived from the deb entries this machine already uses.
ensure_deb_src() {
	local list=/etc/apt/sources.list.d/vgpu-deb-src.sources
	if apt-cache showsrc mesa >/dev/null 2>&1 && [ -n "$(apt-cache showsrc mesa)" ]; then
		return
	fi
	[ "$(id -u)" -eq 0 ] || die "need root to enable deb-src (or enable it yourself)"
	log "enabling deb-src in $list"
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$list"
	elif [ -f /etc/apt/sources.list ]; then
		grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' >"${list%.sources}.list"
	else
		die "no apt sources to derive deb-src from"
	fi
	apt-get update -q >&2
}

# The source package version apt-get source would fetch, e.g. 22.3.6-1+deb12u2.
mesa_version() {
	apt-get source --print-uris mesa 2>/dev/null |
		sed -n "s/^'[^']*' mesa_\([^ ]*\)\.dsc .*/\1/p" | head -n 1 || true
}

# Unpack Debian's source with Debian's own patches, then ours, into $1/src.
fetch_source() {
	local dir=$1 work=$1/fetch
	[ -f "$dir/src/.vgpu-patched" ] && return
	rm -rf "$work" "$dir/src"
	mkdir -p "$work"
	log "fetching mesa $version"
	# apt-get may stumble over unrelated files; what matters is the .dsc and its tarballs.
	(cd "$work" && apt-get source --download-only mesa >fetch.log 2>&1) ||
		log "apt-get source reported errors (see $work/fetch.log); unpacking what arrived"
	dpkg-source --no-check -x "$work"/mesa_*.dsc "$dir/src" >"$work/unpack.log" 2>&1 ||
		die "cannot unpack mesa (see $work/unpack.log, $work/fetch.log)"
	apply_debian_patches "$dir/src"
	patch -d "$dir/src" -p1 --forward --quiet <"$patch_file" ||
		die "umd/mesa/vgpu.patch does not apply to mesa $version"
	touch "$dir/src/.vgpu-patched"
	rm -rf "$work"
}

# Source format 1.0 leaves debian/patches for the package build to apply.
apply_debian_patches() {
	local src=$1 p
	[ -f "$src/debian/patches/series" ] || return 0
	[ -f "$src/.pc/applied-patches" ] && return 0
	while read -r p; do
		case $p in '' | '#'*) continue ;; esac
		patch -d "$src" -p1 --forward --quiet <"$src/debian/patches/${p%% *}" ||
			die "Debian patch $p does not apply"
	done <"$src/debian/patches/series"
}

# meson setup once; later only re-point -Dvgpu-source when the checkout moved.
configure() {
	local src=$1 build=$2 prefix=$3
	local cross=()
	[ -z "$cross_file" ] || cross=(--cross-file "$cross_file")
	if [ ! -f "$build/build.ninja" ]; then
		rm -rf "$build"
		log "configuring $target in $build"
		meson setup "${cross[@]}" "${common_options[@]}" "${target_options[@]}" \
			--prefix "$prefix" -Dvgpu-source="$repo" "$build" "$src" \
			>"$build.configure.log" 2>&1 ||
			die "meson setup failed (see $build.configure.log)"
	elif [ "$(cat "$build/.vgpu-source" 2>/dev/null)" != "$repo" ]; then
		log "pointing $target's build at $repo"
		meson configure -Dvgpu-source="$repo" "$build" >"$build.configure.log" 2>&1 ||
			die "meson configure failed (see $build.configure.log)"
	fi
	echo "$repo" >"$build/.vgpu-source"
}

build_target() {
	local dir=$1 start=$SECONDS
	local build=$dir/build-$target prefix=$dir/install-$target
	"target_$target"
	fetch_source "$dir"
	configure "$dir/src" "$build" "$prefix"
	ninja -C "$build" -j "$jobs" install >"$build.ninja.log" 2>&1 || {
		grep -A20 -m3 'FAILED' "$build.ninja.log" >&2 || tail -n 30 "$build.ninja.log" >&2
		die "ninja failed for $target (see $build.ninja.log)"
	}
	log "$target ready in $prefix ($((SECONDS - start)) s)"
}

usage() { die "usage: $0 [--prefix] linux|windows..."; }

print_only=0
if [ "${1:-}" = --prefix ]; then
	print_only=1
	shift
fi
[ $# -ge 1 ] || usage
for target in "$@"; do
	declare -F "target_$target" >/dev/null || usage
done
[ -f "$patch_file" ] || die "missing $patch_file"

mkdir -p "$cache_root"
version=$(mesa_version)
if [ -z "$version" ]; then
	[ "$print_only" -eq 0 ] || die "mesa's source package is unknown (deb-src not enabled)"
	ensure_deb_src
	version=$(mesa_version)
	[ -n "$version" ] || die "apt does not know mesa's source package"
fi
patch_hash=$(sha256sum "$patch_file" | cut -c1-12)
dir=$cache_root/$version-$patch_hash

for target in "$@"; do
	if [ "$print_only" -eq 1 ]; then
		echo "$dir/install-$target"
		continue
	fi
	(
		flock 9
		build_target "$dir"
		cache_keys_prune "$cache_root" "${dir##*/}"
	) 9>"$cache_root/.build.lock"
done
