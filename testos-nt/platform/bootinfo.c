/* SPDX-License-Identifier: MIT */
/*
 * What the multiboot loader handed over: the command line, the modules
 * (QEMU's -initrd files, each with its own command line) and the memory
 * map.  Everything the loader wrote lies in RAM we must not hand out, so
 * the lowest address the page allocator may use is worked out here too.
 */
#include "internal.h"

#define INFO_CMDLINE 0x004u
#define INFO_MODULES 0x008u
#define INFO_MEMORY_MAP 0x040u
#define MEMORY_AVAILABLE 1u
#define MAX_MODULES 16u
#define MAX_RAM_RANGES 32u
#define FOUR_GIB 0x100000000ull
#define LOW_MEMORY_END 0x100000ull /* BIOS data, the loader's tables, ROMs */

struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
};

struct multiboot_module {
	uint32_t start, end;
	uint32_t string;
	uint32_t reserved;
};

struct multiboot_mmap_entry {
	uint32_t size; /* of the rest of the entry */
	uint64_t base, len;
	uint32_t type;
} __attribute__((packed));

struct module {
	const void *base;
	size_t len;
	const char *cmdline;
};

extern char __end__[]; /* the image's end, .bss included (PE linker script) */

static const char *cmdline = "";
static struct module modules[MAX_MODULES];
static unsigned module_count;
static struct ram_range ram[MAX_RAM_RANGES];
static unsigned ram_count;
static uint64_t reserved_end;

static void reserve_to(uint64_t end)
{
	if (end > reserved_end)
		reserved_end = end;
}

static const char *loader_string(uint32_t pa)
{
	const char *s = (const char *)(uintptr_t)pa;

	if (!pa)
		return "";
	reserve_to(pa + strlen(s) + 1);
	return s;
}

static void take_memory_map(const struct multiboot_info *info)
{
	uint64_t at = info->mmap_addr, end = at + info->mmap_length;

	reserve_to(end);
	while (at + sizeof(struct multiboot_mmap_entry) <= end) {
		const struct multiboot_mmap_entry *e = (const void *)(uintptr_t)at;
		uint64_t top = e->base + e->len;

		if (e->type == MEMORY_AVAILABLE && e->base < FOUR_GIB && e->len) {
			if (ram_count == MAX_RAM_RANGES)
				plat_panic("more memory ranges than %u", MAX_RAM_RANGES);
			ram[ram_count++] =
				(struct ram_range){ e->base, top < FOUR_GIB ? top : FOUR_GIB };
		}
		at += e->size + sizeof(e->size);
	}
}

static void take_modules(const struct multiboot_info *info)
{
	const struct multiboot_module *list = (const void *)(uintptr_t)info->mods_addr;

	if (info->mods_count > MAX_MODULES)
		plat_panic("%u boot modules, more than %u", info->mods_count, MAX_MODULES);
	reserve_to(info->mods_addr + (uint64_t)info->mods_count * sizeof(*list));
	for (unsigned i = 0; i < info->mods_count; i++) {
		if (list[i].end < list[i].start)
			plat_panic("boot module %u ends before it starts", i);
		modules[i] = (struct module){ (const void *)(uintptr_t)list[i].start,
					      list[i].end - list[i].start,
					      loader_string(list[i].string) };
		reserve_to(list[i].end);
	}
	module_count = info->mods_count;
}

void bootinfo_init(uint32_t info_pa)
{
	const struct multiboot_info *info = (const void *)(uintptr_t)info_pa;

	reserve_to(LOW_MEMORY_END);
	reserve_to((uintptr_t)__end__);
	reserve_to(info_pa + sizeof(*info));
	if (!(info->flags & INFO_MEMORY_MAP))
		plat_panic("the loader gave no memory map");
	take_memory_map(info);
	if (info->flags & INFO_MODULES)
		take_modules(info);
	if (info->flags & INFO_CMDLINE) {
		/* QEMU and GRUB put the kernel's own path first: the arguments follow it. */
		const char *s = loader_string(info->cmdline);

		while (*s && *s != ' ')
			s++;
		while (*s == ' ')
			s++;
		cmdline = s;
	}
	reserved_end = (reserved_end + PLAT_PAGE_SIZE - 1) & ~(uint64_t)(PLAT_PAGE_SIZE - 1);
}

bool bootinfo_ram_range(unsigned index, struct ram_range *out)
{
	if (index >= ram_count)
		return false;
	*out = ram[index];
	return true;
}

uint64_t bootinfo_reserved_end(void)
{
	return reserved_end;
}

const char *plat_cmdline(void)
{
	return cmdline;
}

int plat_module(unsigned index, const void **base, size_t *len, const char **module_cmdline)
{
	if (index >= module_count)
		return -1;
	*base = modules[index].base;
	*len = modules[index].len;
	*module_cmdline = modules[index].cmdline;
	return 0;
}
