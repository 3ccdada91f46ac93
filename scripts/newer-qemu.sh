#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# QEMU with virgl blob resources and host-visible memory, used like the
# qemu-system-x86_64 binary:  scripts/newer-qemu.sh QEMU-ARGS...
#
# Debian 12's QEMU 7.2 (and its virglrenderer 0.10) cannot offer blobs
# with virgl (`virtio-gpu-gl-pci,blob=true,hostmem=SIZE` needs QEMU 9.2 and
# virglrenderer 1.0).  Debian 13 has both.  `--prepare` installs its QEMU,
# virglrenderer and Mesa into a root of their own with debootstrap, cached
# outside the checkout in $VGPU_QEMU_CACHE (default ~/.cache/vgpu/qemu)/<key>/
# (key: the suite and a hash of the package list; keys unused for two weeks
# are removed, scripts/cache-keys.sh), and checks that the
# device accepts blobs.  A run then executes that QEMU in a private mount
# namespace whose /usr is the root's: every path of the caller (the guest,
# its logs, /dev/kvm) stays as it is.  Needs root (debootstrap, unshare).
# Environment: VGPU_DEBIAN_MIRROR (debootstrap's default mirror otherwise).
set -euo pipefail
. "$(dirname "$0")/cache-keys.sh"

suite=trixie
packages=qemu-system-x86,qemu-system-modules-opengl,libvirglrenderer1,libegl1,libegl-mesa0,libgl1,libgl1-mesa-dri,libgbm1,libopengl0
cache_root=${VGPU_QEMU_CACHE:-$HOME/.cache/vgpu/qemu}
key=$suite-$(printf '%s\n' "$packages" | sha256sum | cut -c1-12)
root=$cache_root/$key/root
stamp=$cache_root/$key/complete

# Status 2: never one of the statuses a guest's verdict gives QEMU (1, 3).
die() {
	echo "newer-qemu: $*" >&2
	exit 2
}

# QEMU of the root, in this process (after `unshare --mount`).
run_inside() {
	mount --bind "$root/etc/ld.so.cache" /etc/ld.so.cache
	mount --bind "$root/usr" /usr
	exec /usr/bin/qemu-system-x86_64 "$@"
}

run() {
	[ -f "$stamp" ] || die "no QEMU in $cache_root/$key (scripts/newer-qemu.sh --prepare makes it)"
	[ "$(id -u)" -eq 0 ] || die "needs root (a private mount namespace)"
	touch "$cache_root/$key" # in use: see scripts/cache-keys.sh
	exec unshare --mount --propagation private "$0" --inside "$@"
}

# The device must accept blobs with virgl: QEMU refuses at start otherwise.
smoke_test() {
	echo quit | timeout 60 "$0" -machine q35 -accel tcg -nodefaults -vga none \
		-device virtio-gpu-gl-pci,blob=true,hostmem=64M \
		-display egl-headless,rendernode=/dev/null -monitor stdio -S >"$1" 2>&1
}

prepare() {
	local dir=$cache_root/$key log
	[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap)"
	command -v debootstrap >/dev/null || die "debootstrap is missing (scripts/setup.sh installs it)"
	mkdir -p "$cache_root"
	exec {lock}>"$cache_root/.lock"
	flock "$lock"
	cache_keys_prune "$cache_root" "$key"
	[ -f "$stamp" ] && return 0
	rm -rf "$dir"
	mkdir -p "$dir"
	log=$dir/debootstrap.log
	echo "newer-qemu: installing Debian $suite's QEMU into $dir (once)"
	# shellcheck disable=SC2086 # the mirror is one optional word
	if ! debootstrap --variant=minbase --include="$packages" "$suite" "$root" \
		${VGPU_DEBIAN_MIRROR:-} >"$log" 2>&1; then
		tail -n 20 "$log" >&2
		die "debootstrap failed (log: $log)"
	fi
	touch "$stamp"
	if ! smoke_test "$dir/smoke.log"; then
		rm -f "$stamp"
		tail -n 20 "$dir/smoke.log" >&2
		die "its QEMU does not offer blobs with virgl (log: $dir/smoke.log)"
	fi
	echo "newer-qemu: $("$0" --version | head -n 1)"
}

case ${1:-} in
--prepare) prepare ;;
--inside)
	shift
	run_inside "$@"
	;;
*) run "$@" ;;
esac
