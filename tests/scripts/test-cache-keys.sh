#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/cache-keys.sh: which cached keys a build removes and which it keeps.
set -uo pipefail
. "$(dirname "$0")/../../scripts/cache-keys.sh"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
n=0
failed=0
check() { # description, then the test command
	local what=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		failed=$((failed + 1))
	fi
}
key() { # name age
	mkdir -p "$root/$1/install-linux"
	touch -d "$2" "$root/$1"
}

key 22.3.6-1+deb12u2-aaaaaaaaaaaa '30 days ago'
key 22.3.6-1+deb12u2-bbbbbbbbbbbb '3 days ago'
key trixie-cccccccccccc '30 days ago'
key not-a-key '30 days ago'
key upper-AAAAAAAAAAAA '30 days ago'
cache_keys_prune "$root" trixie-cccccccccccc 2>"$root.log"
check "a key unused for more than 14 days goes" test ! -e "$root/22.3.6-1+deb12u2-aaaaaaaaaaaa"
check "and is named on stderr" grep -q "removing $root/22.3.6-1+deb12u2-aaaaaaaaaaaa" "$root.log"
check "a key used 3 days ago stays" test -d "$root/22.3.6-1+deb12u2-bbbbbbbbbbbb/install-linux"
check "the key in use stays, however old" test -d "$root/trixie-cccccccccccc/install-linux"
check "and counts as used now" test -z "$(find "$root/trixie-cccccccccccc" -maxdepth 0 -mmin +5)"
check "a directory not shaped like a key stays" test -d "$root/not-a-key"
check "nor one whose hash is not lower-case hex" test -d "$root/upper-AAAAAAAAAAAA"
VGPU_CACHE_KEEP_DAYS=1 cache_keys_prune "$root" trixie-cccccccccccc 2>/dev/null
check "VGPU_CACHE_KEEP_DAYS shortens the wait" test ! -e "$root/22.3.6-1+deb12u2-bbbbbbbbbbbb"
rm -rf "${root:?}"/*
cache_keys_prune "$root" trixie-cccccccccccc 2>/dev/null
check "an empty root, its key not made yet: nothing made" test -z "$(ls -A "$root")"
rm -f "$root.log"
echo "1..$n"
[ "$failed" -eq 0 ]
