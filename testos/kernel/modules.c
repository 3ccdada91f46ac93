/* SPDX-License-Identifier: MIT */
#include "modules.h"

#include <stdbool.h>
#include <string.h>

#include "machine.h"
#include "pages.h"
#include "replay.h"

#define MULTIBOOT_INFO_MODULES 0x8u

/* The loader's information block, up to the module list. */
struct multiboot_modules_info {
	uint32_t flags;
	uint32_t mem_lower;
	uint32_t mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count;
	uint32_t mods_addr;
};

struct multiboot_module {
	uint32_t start;
	uint32_t end;
	uint32_t string; /* the loader's text for it: here the file's path */
	uint32_t reserved;
};

static struct boot_module modules[MODULES_MAX];
static uint32_t count;

static uint32_t page_end(uint32_t end)
{
	return (end + PAGE_SIZE - 1u) & ~(PAGE_SIZE - 1u);
}

uint32_t modules_init(const void *info_addr, uintptr_t kernel_end, uint32_t ram_end)
{
	const struct multiboot_modules_info *info = info_addr;
	const struct multiboot_module *list;
	uint32_t first_free = page_end((uint32_t)kernel_end), i;

	if (!info || !(info->flags & MULTIBOOT_INFO_MODULES) || info->mods_count == 0)
		return first_free;
	if (info->mods_count > MODULES_MAX)
		machine_panic("more boot modules than the guest takes");
	if (info->mods_addr >= ram_end ||
	    info->mods_count * sizeof(*list) > ram_end - info->mods_addr)
		machine_panic("the module list lies outside RAM");
	list = (const struct multiboot_module *)(uintptr_t)info->mods_addr;
	if (page_end(info->mods_addr + info->mods_count * sizeof(*list)) > first_free)
		first_free = page_end(info->mods_addr + info->mods_count * sizeof(*list));
	for (i = 0; i < info->mods_count; i++) {
		const struct multiboot_module *m = &list[i];

		if (m->end < m->start || m->end > ram_end || m->start < (uint32_t)kernel_end)
			machine_panic("a boot module lies outside RAM or over the kernel");
		modules[i].bytes = (const void *)(uintptr_t)m->start;
		modules[i].len = m->end - m->start;
		replay_label(modules[i].label, sizeof(modules[i].label),
			     m->string && m->string < ram_end ? (const char *)(uintptr_t)m->string
							      : NULL,
			     i);
		if (page_end(m->end) > first_free)
			first_free = page_end(m->end);
	}
	count = info->mods_count;
	return first_free;
}

uint32_t modules_count(void)
{
	return count;
}

const struct boot_module *module_at(uint32_t index)
{
	return index < count ? &modules[index] : NULL;
}
