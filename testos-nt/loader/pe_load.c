/* SPDX-License-Identifier: MIT */
/*
 * pe_load: an image mapped as Windows' loader maps a driver - headers and
 * sections copied to their rvas, the rest zero, base relocations applied
 * for the base the caller chose, imports bound, the /GS cookie set - and
 * what the harness needs to know about the result.
 */
#include "pe_file.h"
#include "pe_loader.h"

#define MAX_MAPPED_SECTIONS                                                                        \
	(sizeof(((struct pe_image *)0)->sections) / sizeof(struct pe_section_map))
#define RUNTIME_FUNCTION_SIZE 12u
/* IMAGE_LOAD_CONFIG_DIRECTORY64: its own Size, and the SecurityCookie VA */
#define LC_SIZE 0
#define LC_SECURITY_COOKIE 0x58

static int check_image_fits(const struct pe_headers *hdr, const uint8_t *base, size_t room,
			    char *err, size_t cap)
{
	if ((uintptr_t)base % PE_PAGE_SIZE)
		return pe_fail(err, cap, "load address 0x%llx is not page aligned",
			       (unsigned long long)(uintptr_t)base);
	if (hdr->size_of_image > room)
		return pe_fail(err, cap, "SizeOfImage 0x%llx does not fit the 0x%llx bytes given",
			       (unsigned long long)hdr->size_of_image, (unsigned long long)room);
	if (hdr->nsections > MAX_MAPPED_SECTIONS)
		return pe_fail(err, cap, "%llu sections: the loader maps at most %llu",
			       (unsigned long long)hdr->nsections,
			       (unsigned long long)MAX_MAPPED_SECTIONS);
	if (hdr->characteristics & FILE_RELOCS_STRIPPED)
		return pe_fail(err, cap, "relocations stripped: the image cannot move from 0x%llx",
			       (unsigned long long)hdr->image_base);
	return 0;
}

/* Headers and sections at their rvas; everything else (bss, the tail of each page) zero. */
static void map_sections(const uint8_t *file, const struct pe_headers *hdr, uint8_t *base,
			 struct pe_image *out)
{
	memset(base, 0, hdr->size_of_image);
	memcpy(base, file, hdr->size_of_headers);
	for (unsigned i = 0; i < hdr->nsections; i++) {
		struct pe_section sec;
		struct pe_section_map *map = &out->sections[i];

		pe_section_at(file, hdr, i, &sec);
		memcpy(base + sec.rva, file + sec.raw_offset,
		       sec.raw_size < sec.virtual_size ? sec.raw_size : sec.virtual_size);
		memcpy(map->name, sec.name, sizeof(map->name));
		map->rva = sec.rva;
		map->size = pe_align_up(sec.virtual_size, PE_PAGE_SIZE);
		map->characteristics = sec.characteristics;
	}
	out->nsections = hdr->nsections;
}

static int check_entry(const struct pe_image *img, uint32_t entry_rva, char *err, size_t cap)
{
	for (unsigned i = 0; i < img->nsections; i++) {
		const struct pe_section_map *s = &img->sections[i];

		if (entry_rva >= s->rva && entry_rva < s->rva + s->size)
			return (s->characteristics & SCN_MEM_EXECUTE)
				       ? 0
				       : pe_fail(err, cap,
						 "entry point rva 0x%llx is in %s, which "
						 "is not executable",
						 (unsigned long long)entry_rva, s->name);
	}
	return pe_fail(err, cap, "entry point rva 0x%llx is in no section",
		       (unsigned long long)entry_rva);
}

/*
 * The rva of the /GS cookie, 0 when the image has none.  Read before the
 * relocations: the field is a VA for the preferred base (and has a
 * relocation of its own, which moves it to the chosen base).
 */
static int find_cookie(const struct pe_headers *hdr, const uint8_t *image, uint64_t *cookie_rva,
		       char *err, size_t cap)
{
	const struct pe_range *dir = &hdr->dirs[DIR_LOAD_CONFIG];
	uint64_t size, va;

	*cookie_rva = 0;
	if (!dir->size)
		return 0;
	if (dir->size < 4)
		return pe_fail(err, cap, "load configuration directory of %llu bytes",
			       (unsigned long long)dir->size);
	size = pe_rd32(image + dir->rva + LC_SIZE);
	if (dir->rva + size > hdr->size_of_image)
		return pe_fail(err, cap, "load configuration [0x%llx, +0x%llx) runs past the image",
			       (unsigned long long)dir->rva, (unsigned long long)size);
	if (size < LC_SECURITY_COOKIE + 8)
		return 0;
	va = pe_rd64(image + dir->rva + LC_SECURITY_COOKIE);
	if (!va)
		return 0;
	if (va < hdr->image_base + hdr->size_of_headers ||
	    va - hdr->image_base > hdr->size_of_image - 8)
		return pe_fail(err, cap,
			       "SecurityCookie at 0x%llx lies outside the image's sections "
			       "[0x%llx, 0x%llx)",
			       (unsigned long long)va,
			       (unsigned long long)(hdr->image_base + hdr->size_of_headers),
			       (unsigned long long)(hdr->image_base + hdr->size_of_image));
	*cookie_rva = va - hdr->image_base;
	return 0;
}

static int find_pdata(const struct pe_headers *hdr, struct pe_image *out, char *err, size_t cap)
{
	const struct pe_range *dir = &hdr->dirs[DIR_EXCEPTION];

	if (dir->size % RUNTIME_FUNCTION_SIZE)
		return pe_fail(err, cap,
			       "exception directory of %llu bytes is no whole number of "
			       "RUNTIME_FUNCTION entries",
			       (unsigned long long)dir->size);
	out->pdata = dir->size ? (uint64_t)(uintptr_t)out->base + dir->rva : 0;
	out->npdata = dir->size / RUNTIME_FUNCTION_SIZE;
	return 0;
}

int pe_load(const uint8_t *file, size_t len, uint8_t *base, size_t room, pe_resolve_fn resolve,
	    void *resolve_ctx, uint64_t cookie_value, struct pe_image *out, char *err,
	    size_t err_cap)
{
	struct pe_headers hdr;
	uint64_t cookie_rva;

	memset(out, 0, sizeof(*out));
	if (pe_parse_headers(file, len, &hdr, err, err_cap) ||
	    check_image_fits(&hdr, base, room, err, err_cap))
		return -1;
	out->base = base;
	out->size = hdr.size_of_image;
	out->preferred = hdr.image_base;
	map_sections(file, &hdr, base, out);
	if (check_entry(out, hdr.entry_rva, err, err_cap) ||
	    find_cookie(&hdr, base, &cookie_rva, err, err_cap) ||
	    find_pdata(&hdr, out, err, err_cap) ||
	    pe_apply_relocations(&hdr, base, (uint64_t)(uintptr_t)base - hdr.image_base,
				 &out->nrelocs, err, err_cap) ||
	    pe_bind_imports(&hdr, base, resolve, resolve_ctx, &out->nimports, err, err_cap))
		return -1;
	if (cookie_rva) {
		memcpy(base + cookie_rva, &cookie_value, sizeof(cookie_value));
		out->cookie = (uint64_t)(uintptr_t)base + cookie_rva;
	}
	out->entry = (uint64_t)(uintptr_t)base + hdr.entry_rva;
	return 0;
}
