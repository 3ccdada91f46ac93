/* SPDX-License-Identifier: MIT */
/*
 * The test guest: bring the machine up, start the GPU through the kmd
 * core, run every scenario suite, tear the device down, prove nothing
 * leaked, and leave through isa-debug-exit with the verdict.  Booted with
 * captures as modules, it replays those instead, each on a device of its
 * own.
 */
#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "cpu.h"
#include "heap.h"
#include "idt.h"
#include "kprint.h"
#include "machine.h"
#include "modules.h"
#include "pages.h"
#include "paging.h"
#include "com1.h"
#include "../scenarios/replay_client.h"
#include "../scenarios/suites.h"
#include "../shell/gpu.h"

#define MULTIBOOT_LOADER_MAGIC 0x2BADB002u
#define MULTIBOOT_INFO_MEMORY 0x1u
#define ONE_MIB 0x100000u

/* The start of the loader's information block: what the guest needs of it. */
struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower; /* KiB below 1 MiB */
	uint32_t mem_upper; /* KiB above 1 MiB, up to the first hole */
};

extern char kernel_end[];

static const struct test_suite *const suites[] = {
	&suite_caps,   &suite_render,  &suite_inflight,
	&suite_errors, &suite_release, &suite_validation,
};

static struct testos_gpu gpu;

static uint32_t ram_end_from(const struct multiboot_info *info)
{
	uint64_t end;

	if (!(info->flags & MULTIBOOT_INFO_MEMORY))
		machine_panic("the loader gave no memory size");
	end = ONE_MIB + (uint64_t)info->mem_upper * 1024u;
	if (end > PAGES_MAX_RAM)
		end = PAGES_MAX_RAM;
	return (uint32_t)end & ~(PAGE_SIZE - 1u);
}

static void fpu_init(void)
{
	/* CR0: clear EM (emulate), set MP and NE, so that x87 code just runs. */
	write_cr0((read_cr0() & ~0x4u) | 0x22u);
	__asm__ volatile("fninit");
}

static void machine_init(uint32_t magic, const struct multiboot_info *info)
{
	uint32_t start, ram_end;

	serial_init();
	kprintf("# testos: booting\n");
	if (magic != MULTIBOOT_LOADER_MAGIC)
		machine_panic("not started by a multiboot loader");
	idt_init();
	fpu_init();
	ram_end = ram_end_from(info);
	start = modules_init(info, (uintptr_t)kernel_end, ram_end);
	pages_init(start, ram_end);
	paging_init(ram_end);
	clock_init();
	kprintf("# testos: %u MiB managed, TSC %llu kHz\n", (ram_end - start) / ONE_MIB,
		(unsigned long long)clock_tsc_per_ms());
}

/* After the device is gone, every allocation the core made must have come back. */
static bool nothing_leaked(uint32_t heap_before)
{
	const struct testos_env *env = &gpu.env;
	bool ok = heap_live_allocations() == heap_before && env->dma_pages == 0 &&
		  env->backing_pages == 0 && env->backings == 0 && env->mappings == 0 &&
		  env->locks_live == 0 && env->events_live == 0 && window_pages_in_use() == 0;

	if (!ok)
		kprintf("# leaked: heap %u (of %u before), dma pages %u, backing pages %u, "
			"mappings %u, locks %u, events %u\n",
			heap_live_allocations(), heap_before, env->dma_pages, env->backing_pages,
			env->mappings, env->locks_live, env->events_live);
	return ok;
}

static void run_suites(uint32_t heap_before)
{
	uint64_t start = clock_now_ns();
	uint32_t i;
	int ret;

	ret = gpu_start(&gpu);
	kprintf("# device start took %llu us\n",
		(unsigned long long)((clock_now_ns() - start) / 1000u));
	report_case("boot.device_start", ret == VGPU_OK);
	if (ret != VGPU_OK)
		return;
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		run_suite(suites[i], &gpu);
	gpu_stop(&gpu);
	report_case("teardown.nothing_leaked", nothing_leaked(heap_before));
}

/* Resource ids must start from 1 again: each capture gets a device of its own. */
static void run_replays(uint32_t heap_before)
{
	uint32_t i;

	for (i = 0; i < modules_count(); i++) {
		const struct boot_module *m = module_at(i);
		int ret = gpu_start(&gpu);

		report_casef(ret == VGPU_OK, "replay.%s.device_start", m->label);
		if (ret != VGPU_OK)
			continue;
		replay_client_capture(&gpu, m->label, m->bytes, m->len);
		gpu_stop(&gpu);
		report_casef(nothing_leaked(heap_before), "replay.%s.nothing_leaked", m->label);
	}
}

void kmain(uint32_t magic, const struct multiboot_info *info);

void kmain(uint32_t magic, const struct multiboot_info *info)
{
	uint32_t heap_before;

	machine_init(magic, info);
	heap_before = heap_live_allocations();
	if (modules_count())
		run_replays(heap_before);
	else
		run_suites(heap_before);
	kprintf("testos: %u passed, %u failed\n", cases_passed(), cases_failed());
	machine_exit(cases_failed() == 0);
}
