# SPDX-License-Identifier: MIT
# Sourced by the scripts that cache slow builds under a root of their own,
# one directory per key (<what>-<12 hex digits of a hash>):
# scripts/build-mesa.sh, scripts/newer-qemu.sh.  A key in use is touched;
# one unused for VGPU_CACHE_KEEP_DAYS days (default 14) is removed, so that
# a machine that sees many patch or package versions does not fill its disk
# (each key holds 0.4 to 0.7 GB).  Call with the cache's lock held.

cache_keys_prune() { # root key-in-use
	local root=$1 keep=$2 days=${VGPU_CACHE_KEEP_DAYS:-14} dir name
	if [ -d "$root/$keep" ]; then
		touch "$root/$keep"
	fi
	for dir in "$root"/*/; do
		dir=${dir%/}
		name=${dir##*/}
		# Only what has the shape of a key: never anything else a root may hold.
		[[ $name =~ ^[A-Za-z0-9.+~_-]+-[0-9a-f]{12}$ ]] || continue
		[ "$name" = "$keep" ] && continue
		if [ -n "$(find "$dir" -maxdepth 0 -mtime +"$days")" ]; then
			echo "${0##*/}: removing $dir (unused for over $days days)" >&2
			rm -rf "$dir"
		fi
	done
}
