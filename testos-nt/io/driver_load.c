/* SPDX-License-Identifier: MIT */
/*
 * Loading vgpu.sys as Windows loads a driver: the image mapped at a
 * system address (never its preferred base, so every relocation is
 * applied), imports bound to the harness, a fresh /GS cookie, each
 * section protected as its characteristics say (code read-execute, data
 * non-executable, read-only data read-only: W^X is real), a DRIVER_OBJECT,
 * and DriverEntry with the service's registry path in the system process
 * at PASSIVE_LEVEL.  Unloading calls DriverUnload once every device is
 * gone, then looks for what the driver left behind.
 */
#include "io_internal.h"

#include "pe_loader.h"

#define SCN_MEM_EXECUTE 0x20000000u
#define SCN_MEM_WRITE 0x80000000u
/* The /GS cookie's value in an image nobody initialized (MSVC's and mingw's default). */
#define DEFAULT_COOKIE 0x00002B992DDFA232ull
#define COOKIE_MASK 0x0000FFFFFFFFFFFFull

static struct {
	bool loaded;
	struct pe_image image;
	struct pe_symbols symbols;
	uint64_t pages;
	size_t npages;
	PDRIVER_OBJECT driver;
	UNICODE_STRING registry_path;
	UNICODE_STRING hardware_database;
} drv;

PDRIVER_OBJECT io_driver_object(void)
{
	return drv.loaded ? drv.driver : NULL;
}

bool io_in_driver_image(const void *address)
{
	uint64_t a = (uint64_t)(uintptr_t)address, base = (uint64_t)(uintptr_t)drv.image.base;

	return drv.loaded && a >= base && a - base < drv.image.size;
}

static uint64_t fresh_cookie(void)
{
	uint64_t x = __builtin_ia32_rdtsc() ^ plat_now_ns() * 0x9E3779B97F4A7C15ull;

	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ull;
	x = (x ^ x >> 32) & COOKIE_MASK;
	return x == 0 || x == DEFAULT_COOKIE ? x + 0x10001 : x;
}

/* The flags each page of the image gets: headers and gaps read-only, sections as marked. */
static bool page_flags(const struct pe_image *img, uint64_t rva, unsigned *flags)
{
	*flags = VM_NX;
	for (uint32_t i = 0; i < img->nsections; i++) {
		const struct pe_section_map *s = &img->sections[i];
		uint32_t c = s->characteristics;

		if (rva < s->rva || rva - s->rva >= s->size)
			continue;
		if ((c & SCN_MEM_EXECUTE) && (c & SCN_MEM_WRITE)) {
			con_printf("driver: section %s is writable and executable\n", s->name);
			return false;
		}
		*flags = c & SCN_MEM_EXECUTE ? 0 : VM_NX | (c & SCN_MEM_WRITE ? VM_WRITE : 0);
	}
	return true;
}

static bool protect_image(uint64_t va)
{
	vm_unmap(va, drv.npages);
	for (size_t i = 0; i < drv.npages; i++) {
		unsigned flags;

		if (!page_flags(&drv.image, i * PLAT_PAGE_SIZE, &flags) ||
		    vm_map(va + i * PLAT_PAGE_SIZE, drv.pages + i * PLAT_PAGE_SIZE, 1, flags))
			return false;
	}
	return true;
}

static void unmap_image(void)
{
	uint64_t va = (uint64_t)(uintptr_t)drv.image.base;

	vm_unmap(va, drv.npages);
	sysva_free(va, drv.npages);
	page_free((void *)(uintptr_t)drv.pages, drv.npages);
}

/* The image at a fresh system address, relocated, bound and protected. */
static NTSTATUS map_image(const uint8_t *file, size_t len)
{
	uint64_t size = pe_image_size(file, len), va;
	void *pages;
	char err[160];

	if (!size) {
		con_printf("driver: not a PE32+ image\n");
		return STATUS_INVALID_IMAGE_FORMAT;
	}
	drv.npages = (size + PLAT_PAGE_SIZE - 1) / PLAT_PAGE_SIZE;
	pages = page_alloc(drv.npages);
	va = sysva_alloc(drv.npages);
	if (!pages || !va || vm_map(va, (uint64_t)(uintptr_t)pages, drv.npages, VM_WRITE | VM_NX))
		nt_violation("I/O manager", "the harness must not run out of its own memory",
			     IO_HERE(), "%zu pages for the driver image", drv.npages);
	drv.pages = (uint64_t)(uintptr_t)pages;
	if (pe_load(file, len, (uint8_t *)(uintptr_t)va, drv.npages * PLAT_PAGE_SIZE,
		    nt_resolve_import, NULL, fresh_cookie(), &drv.image, err, sizeof(err))) {
		con_printf("driver: %s\n", err);
		drv.image.base = (uint8_t *)(uintptr_t)va;
		unmap_image();
		return STATUS_INVALID_IMAGE_FORMAT;
	}
	if (!protect_image(va)) {
		unmap_image();
		return STATUS_INVALID_IMAGE_FORMAT;
	}
	return STATUS_SUCCESS;
}

static void name_functions(const uint8_t *symbols, size_t len)
{
	char err[160];
	bool named = symbols &&
		     !pe_symbols_load(symbols, len, heap_alloc, &drv.symbols, err, sizeof(err));

	if (symbols && !named)
		con_printf("driver: no function names: %s\n", err);
	nt_set_driver_image((uint64_t)(uintptr_t)drv.image.base, drv.image.size,
			    named ? &drv.symbols : NULL);
	nt_set_driver_unwind(drv.image.pdata, drv.image.npdata);
}

static void make_driver_object(void)
{
	drv.driver = io_driver_create("\\Driver\\vgpu", NULL);
	drv.driver->DriverStart = drv.image.base;
	drv.driver->DriverSize = (ULONG)drv.image.size;
	drv.driver->DriverInit = (PDRIVER_INITIALIZE)(uintptr_t)drv.image.entry;
	io_ustring_from_ascii(&drv.driver->DriverExtension->ServiceKeyName, "vgpu");
	io_ustring_from_ascii(&drv.hardware_database,
			      "\\Registry\\Machine\\Hardware\\Description\\System");
	drv.driver->HardwareDatabase = &drv.hardware_database;
	io_ustring_from_ascii(&drv.registry_path,
			      "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\vgpu");
}

/* What the driver still holds; the count of kinds of leftovers, each printed. */
static unsigned leftovers(void)
{
	const void *who = NULL;
	unsigned kinds = 0, n;

	kinds += nt_pool_report() != 0;
	if (nt_mm_locked_pages() || nt_mm_mapped_views() || nt_mm_contiguous_bytes() ||
	    nt_mm_mdls() || nt_mm_io_mappings()) {
		con_printf("driver: left %llu locked pages, %llu mapped views, %llu contiguous "
			   "bytes, %llu MDLs, %llu device memory mappings\n",
			   (unsigned long long)nt_mm_locked_pages(),
			   (unsigned long long)nt_mm_mapped_views(),
			   (unsigned long long)nt_mm_contiguous_bytes(),
			   (unsigned long long)nt_mm_mdls(),
			   (unsigned long long)nt_mm_io_mappings());
		kinds++;
	}
	if ((n = io_irps_in_flight()) != 0) {
		con_printf("driver: left %u IRPs uncompleted\n", n);
		kinds++;
	}
	if ((n = nt_timers_live()) != 0) {
		con_printf("driver: left %u timers not deleted\n", n);
		kinds++;
	}
	if ((n = io_error_log_outstanding(&who)) != 0) {
		con_printf("driver: left %u error log entries neither written nor freed\n", n);
		kinds++;
	}
	return kinds;
}

struct load_args {
	const uint8_t *image, *symbols;
	size_t len, symbols_len;
	NTSTATUS status;
};

static void load(void *arg)
{
	struct load_args *a = arg;
	PDRIVER_INITIALIZE entry;

	a->status = map_image(a->image, a->len);
	if (!NT_SUCCESS(a->status))
		return;
	name_functions(a->symbols, a->symbols_len);
	make_driver_object();
	drv.loaded = true;
	con_printf("loaded vgpu.sys at 0x%llx (preferred 0x%llx, %u relocations, %u imports "
		   "bound)\n",
		   (unsigned long long)(uintptr_t)drv.image.base,
		   (unsigned long long)drv.image.preferred, drv.image.nrelocs, drv.image.nimports);
	entry = drv.driver->DriverInit;
	a->status = entry(drv.driver, &drv.registry_path);
	if (nt_irql() != PASSIVE_LEVEL)
		nt_violation("DriverEntry", "DriverEntry returns at PASSIVE_LEVEL",
			     (const void *)entry, "IRQL %u", nt_irql());
	if (!NT_SUCCESS(a->status)) {
		/* A driver whose DriverEntry fails is unloaded without DriverUnload. */
		con_printf("driver: DriverEntry failed: 0x%08x\n", (unsigned)a->status);
		leftovers();
		drv.loaded = false;
		unmap_image();
		return;
	}
	for (unsigned i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++) {
		if (!drv.driver->MajorFunction[i])
			nt_violation("DriverEntry", "every MajorFunction entry points to a routine",
				     (const void *)entry, "MajorFunction[%u] is NULL", i);
	}
}

NTSTATUS io_driver_load(const uint8_t *image, size_t len, const uint8_t *symbols,
			size_t symbols_len)
{
	struct load_args a = { image, symbols, len, symbols_len, STATUS_SUCCESS };

	if (drv.loaded)
		return STATUS_IMAGE_ALREADY_LOADED;
	io_in_system_context(load, &a);
	return a.status;
}

static void unload(void *arg)
{
	NTSTATUS *status = arg;
	PDRIVER_UNLOAD routine = drv.driver->DriverUnload;
	const void *creator = NULL;
	struct pnp_device *dev;
	unsigned n;

	for (unsigned i = 0; (dev = pnp_device(i)) != NULL; i++) {
		if (dev->fdo) {
			con_printf("driver: not unloaded: device %u is not removed\n", i);
			*status = STATUS_DEVICE_BUSY;
			return;
		}
	}
	if ((n = io_driver_devices(drv.driver, &creator)) != 0)
		nt_violation("DriverUnload", "a driver deletes every device object it creates",
			     creator, "%u device objects left when the last device was removed", n);
	if (!routine)
		nt_violation("DriverEntry", "a WDM driver has an Unload routine",
			     (const void *)drv.driver->DriverInit, "DriverUnload is NULL");
	routine(drv.driver);
	if (nt_irql() != PASSIVE_LEVEL)
		nt_violation("DriverUnload", "DriverUnload returns at PASSIVE_LEVEL",
			     (const void *)routine, "IRQL %u", nt_irql());
	if ((n = nt_process_notify_count()) != 0)
		nt_violation("DriverUnload",
			     "a driver removes its process-notify routines before it unloads",
			     (const void *)routine,
			     "%u still registered: the next process exit would "
			     "call into the unloaded image",
			     n);
	*status = leftovers() ? STATUS_UNSUCCESSFUL : STATUS_SUCCESS;
	drv.loaded = false;
	unmap_image();
}

NTSTATUS io_driver_unload(void)
{
	NTSTATUS status = STATUS_SUCCESS;

	if (!drv.loaded)
		return STATUS_INVALID_DEVICE_STATE;
	io_in_system_context(unload, &status);
	return status;
}
