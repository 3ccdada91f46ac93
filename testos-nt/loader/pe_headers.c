/* SPDX-License-Identifier: MIT */
/*
 * The headers of a PE32+ image, checked field by field against the file
 * before anything uses them: the rest of the loader may then trust every
 * offset, size and rva that struct pe_headers holds.
 */
#include "pe_file.h"
#include "pe_loader.h"

static const char *const directory_names[DIR_MAX] = {
	"export",
	"import",
	"resource",
	"exception",
	"security",
	"base relocation",
	"debug",
	"architecture",
	"global pointer",
	"TLS",
	"load configuration",
	"bound import",
	"IAT",
	"delay import",
	"CLR runtime",
	"reserved",
};

static int is_power_of_two(uint32_t v)
{
	return v && !(v & (v - 1));
}

void pe_section_at(const uint8_t *file, const struct pe_headers *hdr, unsigned index,
		   struct pe_section *sec)
{
	const uint8_t *sh = file + hdr->section_table + (size_t)index * SECTION_HEADER_SIZE;

	memcpy(sec->name, sh, 8);
	sec->name[8] = '\0';
	sec->virtual_size = pe_rd32(sh + SH_VIRTUAL_SIZE);
	sec->rva = pe_rd32(sh + SH_VIRTUAL_ADDRESS);
	sec->raw_size = pe_rd32(sh + SH_SIZE_OF_RAW_DATA);
	sec->raw_offset = pe_rd32(sh + SH_POINTER_TO_RAW_DATA);
	sec->characteristics = pe_rd32(sh + SH_CHARACTERISTICS);
	/* The specification lets a linker leave VirtualSize 0: the raw size is the size. */
	if (!sec->virtual_size)
		sec->virtual_size = sec->raw_size;
}

/* The COFF file header and the optional header, up to the section table. */
static int parse_nt_headers(const uint8_t *file, size_t len, struct pe_headers *hdr, char *err,
			    size_t cap)
{
	uint64_t nt, opt, opt_size, ndirs;
	const uint8_t *fh, *oh;

	if (len < DOS_HEADER_SIZE)
		return pe_fail(err, cap, "file of %llu bytes is too short for a DOS header",
			       (unsigned long long)len);
	if (file[0] != 'M' || file[1] != 'Z')
		return pe_fail(err, cap, "no MZ signature: not a PE image");
	nt = pe_rd32(file + DOS_LFANEW);
	if (nt < DOS_HEADER_SIZE || nt + NT_SIGNATURE_SIZE + FILE_HEADER_SIZE > len)
		return pe_fail(err, cap, "e_lfanew 0x%llx points outside the file (0x%llx bytes)",
			       (unsigned long long)nt, (unsigned long long)len);
	if (memcmp(file + nt, "PE\0\0", NT_SIGNATURE_SIZE))
		return pe_fail(err, cap, "no PE signature at e_lfanew 0x%llx",
			       (unsigned long long)nt);
	fh = file + nt + NT_SIGNATURE_SIZE;
	if (pe_rd16(fh + FH_MACHINE) != MACHINE_AMD64)
		return pe_fail(err, cap, "machine 0x%llx is not AMD64 (0x8664)",
			       (unsigned long long)pe_rd16(fh + FH_MACHINE));
	hdr->nsections = pe_rd16(fh + FH_NUMBER_OF_SECTIONS);
	if (!hdr->nsections || hdr->nsections > PE_MAX_SECTIONS)
		return pe_fail(err, cap, "%llu sections (the format allows 1 to 96)",
			       (unsigned long long)hdr->nsections);
	hdr->symbol_table = pe_rd32(fh + FH_POINTER_TO_SYMBOL_TABLE);
	hdr->nsymbols = pe_rd32(fh + FH_NUMBER_OF_SYMBOLS);
	hdr->characteristics = pe_rd16(fh + FH_CHARACTERISTICS);
	if (!(hdr->characteristics & FILE_EXECUTABLE_IMAGE))
		return pe_fail(err, cap, "not an executable image (characteristics 0x%llx)",
			       (unsigned long long)hdr->characteristics);

	opt = nt + NT_SIGNATURE_SIZE + FILE_HEADER_SIZE;
	opt_size = pe_rd16(fh + FH_SIZE_OF_OPTIONAL_HEADER);
	if (opt_size < OH_DATA_DIRECTORY)
		return pe_fail(err, cap, "optional header of %llu bytes is too small for PE32+",
			       (unsigned long long)opt_size);
	if (opt + opt_size > len)
		return pe_fail(err, cap,
			       "optional header [0x%llx, 0x%llx) runs past the file's end",
			       (unsigned long long)opt, (unsigned long long)(opt + opt_size));
	oh = file + opt;
	if (pe_rd16(oh + OH_MAGIC) != PE32PLUS_MAGIC)
		return pe_fail(err, cap, "optional header magic 0x%llx is not PE32+ (0x20b)",
			       (unsigned long long)pe_rd16(oh + OH_MAGIC));
	ndirs = pe_rd32(oh + OH_NUMBER_OF_RVA_AND_SIZES);
	if (ndirs > DIR_MAX || OH_DATA_DIRECTORY + ndirs * 8 > opt_size)
		return pe_fail(err, cap,
			       "%llu data directories do not fit an optional header of %llu bytes",
			       (unsigned long long)ndirs, (unsigned long long)opt_size);
	memset(hdr->dirs, 0, sizeof(hdr->dirs));
	for (unsigned i = 0; i < ndirs; i++) {
		hdr->dirs[i].rva = pe_rd32(oh + OH_DATA_DIRECTORY + i * 8);
		hdr->dirs[i].size = pe_rd32(oh + OH_DATA_DIRECTORY + i * 8 + 4);
	}
	hdr->entry_rva = pe_rd32(oh + OH_ADDRESS_OF_ENTRY_POINT);
	hdr->image_base = pe_rd64(oh + OH_IMAGE_BASE);
	hdr->section_alignment = pe_rd32(oh + OH_SECTION_ALIGNMENT);
	hdr->file_alignment = pe_rd32(oh + OH_FILE_ALIGNMENT);
	hdr->size_of_image = pe_rd32(oh + OH_SIZE_OF_IMAGE);
	hdr->size_of_headers = pe_rd32(oh + OH_SIZE_OF_HEADERS);
	hdr->section_table = (uint32_t)(opt + opt_size);
	return 0;
}

/* Alignments, the image's extent, and where the headers end. */
static int check_layout(size_t len, struct pe_headers *hdr, char *err, size_t cap)
{
	uint64_t table_end =
		(uint64_t)hdr->section_table + (uint64_t)hdr->nsections * SECTION_HEADER_SIZE;

	/* Page granularity is what lets the harness protect each section on its own. */
	if (!is_power_of_two(hdr->section_alignment) || hdr->section_alignment < PE_PAGE_SIZE)
		return pe_fail(err, cap, "SectionAlignment 0x%llx is not a power of two >= 0x1000",
			       (unsigned long long)hdr->section_alignment);
	if (!is_power_of_two(hdr->file_alignment) || hdr->file_alignment < 512 ||
	    hdr->file_alignment > 65536 || hdr->file_alignment > hdr->section_alignment)
		return pe_fail(err, cap,
			       "FileAlignment 0x%llx is not a power of two from 0x200 to 0x10000 "
			       "and at most SectionAlignment",
			       (unsigned long long)hdr->file_alignment);
	if (hdr->image_base % 65536)
		return pe_fail(err, cap, "ImageBase 0x%llx is not a multiple of 64 KiB",
			       (unsigned long long)hdr->image_base);
	if (!hdr->size_of_image || hdr->size_of_image % hdr->section_alignment)
		return pe_fail(err, cap, "SizeOfImage 0x%llx is not a multiple of SectionAlignment",
			       (unsigned long long)hdr->size_of_image);
	if (hdr->size_of_headers % hdr->file_alignment || hdr->size_of_headers < table_end ||
	    hdr->size_of_headers > len || hdr->size_of_headers > hdr->size_of_image)
		return pe_fail(err, cap,
			       "SizeOfHeaders 0x%llx: not a FileAlignment multiple covering the "
			       "section table (ends at 0x%llx) inside the file and the image",
			       (unsigned long long)hdr->size_of_headers,
			       (unsigned long long)table_end);
	return 0;
}

static int check_sections(const uint8_t *file, size_t len, const struct pe_headers *hdr, char *err,
			  size_t cap)
{
	uint64_t next_free = pe_align_up(hdr->size_of_headers, hdr->section_alignment);
	struct pe_section sec, prev = { .name = "headers" };

	for (unsigned i = 0; i < hdr->nsections; i++) {
		uint64_t vend, raw_end;

		pe_section_at(file, hdr, i, &sec);
		vend = (uint64_t)sec.rva + pe_align_up(sec.virtual_size, hdr->section_alignment);
		raw_end = (uint64_t)sec.raw_offset + sec.raw_size;
		if (!sec.virtual_size)
			return pe_fail(err, cap, "section %s has no size", sec.name);
		if (sec.rva % hdr->section_alignment)
			return pe_fail(err, cap,
				       "section %s at rva 0x%llx is not SectionAlignment "
				       "aligned",
				       sec.name, (unsigned long long)sec.rva);
		if (sec.rva < next_free)
			return pe_fail(err, cap,
				       "section %s at rva 0x%llx overlaps %s (ends at 0x%llx)",
				       sec.name, (unsigned long long)sec.rva, prev.name,
				       (unsigned long long)next_free);
		if (vend > hdr->size_of_image)
			return pe_fail(
				err, cap,
				"section %s [0x%llx, 0x%llx) lies outside SizeOfImage 0x%llx",
				sec.name, (unsigned long long)sec.rva, (unsigned long long)vend,
				(unsigned long long)hdr->size_of_image);
		if (sec.raw_size &&
		    (sec.raw_offset % hdr->file_alignment || sec.raw_offset < hdr->size_of_headers))
			return pe_fail(err, cap, "section %s raw data at 0x%llx is misplaced",
				       sec.name, (unsigned long long)sec.raw_offset);
		if (sec.raw_size && raw_end > len)
			return pe_fail(err, cap,
				       "section %s raw data [0x%llx, 0x%llx) runs past the "
				       "end of the file (0x%llx bytes)",
				       sec.name, (unsigned long long)sec.raw_offset,
				       (unsigned long long)raw_end, (unsigned long long)len);
		next_free = vend;
		prev = sec;
	}
	return 0;
}

static int check_directories(size_t len, const struct pe_headers *hdr, char *err, size_t cap)
{
	for (unsigned i = 0; i < DIR_MAX; i++) {
		uint64_t end = (uint64_t)hdr->dirs[i].rva + hdr->dirs[i].size;
		uint64_t limit = i == DIR_SECURITY ? len : hdr->size_of_image;

		if (!hdr->dirs[i].rva && !hdr->dirs[i].size)
			continue;
		if (end > limit || !hdr->dirs[i].rva)
			return pe_fail(
				err, cap, "%s directory [0x%llx, 0x%llx) lies outside the %s",
				directory_names[i], (unsigned long long)hdr->dirs[i].rva,
				(unsigned long long)end, i == DIR_SECURITY ? "file" : "image");
	}
	return 0;
}

int pe_parse_headers(const uint8_t *file, size_t len, struct pe_headers *hdr, char *err,
		     size_t err_cap)
{
	memset(hdr, 0, sizeof(*hdr));
	if (parse_nt_headers(file, len, hdr, err, err_cap) ||
	    check_layout(len, hdr, err, err_cap) || check_sections(file, len, hdr, err, err_cap) ||
	    check_directories(len, hdr, err, err_cap))
		return -1;
	return 0;
}

uint64_t pe_image_size(const uint8_t *file, size_t len)
{
	struct pe_headers hdr;

	if (pe_parse_headers(file, len, &hdr, NULL, 0))
		return 0;
	return hdr.size_of_image;
}
