#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Line coverage of the kmd core's boundary files, and of the sim's socket
# server (the way in of any client), reached by the fuzzers alone: the fuzzers rebuilt with clang's source-based coverage (no
# sanitizers) in BUILD/fuzz-cov, each run once over its saved inputs and
# the corpus make fuzz grew (BUILD/fuzz/fuzz-runs), then llvm-cov's report.
#   scripts/fuzz-coverage.sh BUILD
set -euo pipefail
cd "$(dirname "$0")/.."
build=$1
cov=$build/fuzz-cov
files=(kmd/core/dispatch.c kmd/core/validate.c kmd/core/ctrlq.c
	kmd/core/virtio/virtqueue.c kmd/core/virtio/virtio_pci.c
	kmd/sim/conn.c kmd/sim/file_share.c)
flags='-fsanitize=fuzzer-no-link -fprofile-instr-generate -fcoverage-mapping'
# Configuring and building run instrumented programs of their own too:
# their profiles go in the build tree, not the working directory.
export LLVM_PROFILE_FILE=$cov/build-%p.profile

[ -f "$cov/build.ninja" ] || CC=clang-14 meson setup -Dc_args="$flags" \
	-Dc_link_args=-fprofile-instr-generate "$cov" . >/dev/null
ninja -C "$cov" fuzzers >/dev/null
rm -f "$cov"/*.profraw
objects=()
for exe in "$cov"/tests/fuzz/fuzz_*; do
	[ -f "$exe" ] && [ -x "$exe" ] || continue
	name=${exe##*/fuzz_}
	mapfile -t inputs < <(find "tests/fuzz/$name" "$build/fuzz/fuzz-runs/$name/corpus" \
		-type f 2>/dev/null)
	[ ${#inputs[@]} -gt 0 ] || continue
	# Inputs go by file list in chunks: a whole corpus overruns the command line.
	printf '%s\n' "${inputs[@]}" | LLVM_PROFILE_FILE="$cov/$name-%p.profraw" \
		xargs -n 500 "$exe" >/dev/null 2>&1
	objects+=(-object "$exe")
done
llvm-profdata-14 merge -sparse "$cov"/*.profraw -o "$cov/fuzz.profdata"
# The first object is llvm-cov's positional argument, the others follow -object.
# Its file arguments would have to match the build's relative paths: filter instead.
pattern=$(printf '|%s' "${files[@]}")
llvm-cov-14 report --instr-profile="$cov/fuzz.profdata" "${objects[@]:1}" |
	awk -v re="^(${pattern#|})\$" 'BEGIN { print "file lines missed cover" }
		$1 ~ re { print $1, $8, $9, $10 }' | column -t
