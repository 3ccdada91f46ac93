# SPDX-License-Identifier: MIT
# vgpu's entry points.  Each target installs what it needs first.
#   make        build everything into build/ (programs in build/bin/)
#   make demo   the main job (see README.md)
#   make test   the whole test suite; ends with "N passed, N failed"
#   make package  the Windows driver package: build/package/vgpu-win64/ + .zip
#   make testos the kmd core as a guest kernel against QEMU's virtio-gpu-gl
#   make testos-nt  the shipped vgpu.sys on the NT harness against virtio-gpu-gl
#   make bench  the spine's cost; make bench-gl: glmark2 native/virpipe/vgpu
#   make bench-wgl  a Windows GL program under Wine: vgpu against Wine's own GL
#   make fuzz   each fuzzer for FUZZ_SECONDS (docs/reliability.md)
BUILD := build
WINBUILD := $(BUILD)/win
ASANBUILD := $(BUILD)/asan
FUZZBUILD := $(BUILD)/fuzz
FUZZ_SECONDS ?= 60
PROGRAMS := kmd/sim/vgpu-sim devmodel/vgpu-devmodel tools/vgpu-info tools/vgpu-bench tools/vgpu-demo

.PHONY: all setup native windows sanitized fuzz-build fuzz fuzz-coverage mesa package demo test testos testos-nt bench \
	bench-gl bench-wgl clean

all: native windows

setup:
	@scripts/setup.sh

native: setup
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) . >/dev/null
	@ninja -C $(BUILD) >/dev/null || ninja -C $(BUILD)
	@mkdir -p $(BUILD)/bin
	@for p in $(PROGRAMS); do cp -f $(BUILD)/$$p $(BUILD)/bin/ || exit 1; done

windows: setup
	@[ -f $(WINBUILD)/build.ninja ] || \
		meson setup --cross-file cross/mingw-w64-x86_64.txt $(WINBUILD) . >/dev/null
	@ninja -C $(WINBUILD) >/dev/null || ninja -C $(WINBUILD)

# The native build again under AddressSanitizer and UBSan, for the tests.
sanitized: setup
	@[ -f $(ASANBUILD)/build.ninja ] || \
		meson setup -Db_sanitize=address,undefined $(ASANBUILD) . >/dev/null
	@ninja -C $(ASANBUILD) >/dev/null || ninja -C $(ASANBUILD)

# The libFuzzer harnesses (tests/fuzz): a clang build, everything instrumented for
# coverage and under ASan and UBSan; only the fuzzers are built in it.
fuzz-build: setup
	@[ -f $(FUZZBUILD)/build.ninja ] || CC=clang-14 meson setup -Db_sanitize=address,undefined \
		-Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link $(FUZZBUILD) . >/dev/null
	@ninja -C $(FUZZBUILD) fuzzers >/dev/null || ninja -C $(FUZZBUILD) fuzzers

# Each fuzzer for FUZZ_SECONDS; one line per fuzzer: "fuzz NAME: N execs, C crashes".
fuzz: fuzz-build
	@scripts/fuzz.sh $(FUZZBUILD) $(FUZZ_SECONDS)

# Line coverage of the core's boundary files from the fuzzers' corpora alone.
fuzz-coverage: fuzz-build
	@scripts/fuzz-coverage.sh $(BUILD)

# Mesa with our winsys, both targets (cached outside the checkout).
mesa: setup
	@scripts/build-mesa.sh linux windows

# The package carries Mesa's GL DLLs: their Windows build comes first (cached).
package: native windows
	@scripts/build-mesa.sh windows >/dev/null
	@packaging/make-package.sh $(WINBUILD) $(BUILD)/package

demo: native
	@scripts/demo.sh $(BUILD)

test: setup
	@scripts/run-tests.sh $(BUILD)

# The guest suite, then a capture recorded in the sim replayed in the guest.
testos: native mesa
	@$(MAKE) -s -C testos O=$(abspath $(BUILD))/testos
	@scripts/testos.sh $(BUILD)

# vgpu.sys as shipped, executed: loaded, started and driven as Windows would.
testos-nt: package
	@$(MAKE) -s -C testos-nt O=$(abspath $(BUILD))/testos-nt
	@scripts/newer-qemu.sh --prepare
	@scripts/testos-nt.sh $(BUILD)

bench: native
	@scripts/bench.sh $(BUILD)

# glmark2 three ways in one run: native llvmpipe, Mesa's virpipe, vgpu.
bench-gl: native mesa
	@scripts/bench-gl.sh $(BUILD)

# wgl-bench under Wine, through vgpu and through Wine's own opengl32, with
# the per-frame breakdown (VGPU_WINSYS_STATS); VGPU_BENCH_WGL_ROUNDS/SECONDS.
bench-wgl: native
	@scripts/bench-wgl.sh $(BUILD)

clean:
	rm -rf $(BUILD)
