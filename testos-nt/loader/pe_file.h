/* SPDX-License-Identifier: MIT */
/*
 * What the loader's files share: the PE32+ layout (byte offsets from the
 * PE/COFF specification), little-endian reads that never assume
 * alignment, the checked view of an image's headers, and the loader's
 * error messages.  Internal to testos-nt/loader.
 */
#ifndef NTH_PE_FILE_H
#define NTH_PE_FILE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PE_PAGE_SIZE 4096u

/* MS-DOS stub header */
#define DOS_HEADER_SIZE 64u
#define DOS_LFANEW 0x3c

/* "PE\0\0", then the COFF file header */
#define NT_SIGNATURE_SIZE 4u
#define FILE_HEADER_SIZE 20u
#define FH_MACHINE 0
#define FH_NUMBER_OF_SECTIONS 2
#define FH_POINTER_TO_SYMBOL_TABLE 8
#define FH_NUMBER_OF_SYMBOLS 12
#define FH_SIZE_OF_OPTIONAL_HEADER 16
#define FH_CHARACTERISTICS 18
#define MACHINE_AMD64 0x8664u
#define FILE_RELOCS_STRIPPED 0x0001u
#define FILE_EXECUTABLE_IMAGE 0x0002u

/* the PE32+ optional header */
#define OH_MAGIC 0
#define OH_ADDRESS_OF_ENTRY_POINT 16
#define OH_IMAGE_BASE 24
#define OH_SECTION_ALIGNMENT 32
#define OH_FILE_ALIGNMENT 36
#define OH_SIZE_OF_IMAGE 56
#define OH_SIZE_OF_HEADERS 60
#define OH_NUMBER_OF_RVA_AND_SIZES 108
#define OH_DATA_DIRECTORY 112
#define PE32PLUS_MAGIC 0x20bu

/* data directories */
#define DIR_IMPORT 1
#define DIR_EXCEPTION 3
#define DIR_SECURITY 4 /* a file offset, not an rva: the certificate is never mapped */
#define DIR_BASERELOC 5
#define DIR_LOAD_CONFIG 10
#define DIR_MAX 16u

/* section headers */
#define SECTION_HEADER_SIZE 40u
#define SH_VIRTUAL_SIZE 8
#define SH_VIRTUAL_ADDRESS 12
#define SH_SIZE_OF_RAW_DATA 16
#define SH_POINTER_TO_RAW_DATA 20
#define SH_CHARACTERISTICS 36
#define SCN_MEM_EXECUTE 0x20000000u
/* the specification's limit on NumberOfSections */
#define PE_MAX_SECTIONS 96u

static inline uint16_t pe_rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t pe_rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t pe_rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t pe_align_up(uint64_t v, uint64_t alignment)
{
	return (v + alignment - 1) & ~(alignment - 1);
}

struct pe_range {
	uint32_t rva, size;
};

/* The headers of a file, every field already checked against the file. */
struct pe_headers {
	uint16_t characteristics;
	uint16_t nsections;
	uint32_t section_table; /* file offset of the first section header */
	uint32_t symbol_table, nsymbols;
	uint64_t image_base;
	uint32_t entry_rva;
	uint32_t section_alignment, file_alignment;
	uint32_t size_of_image, size_of_headers;
	struct pe_range dirs[DIR_MAX]; /* absent ones are zero */
};

/* One section header, its virtual size made explicit (SizeOfRawData when 0). */
struct pe_section {
	char name[9];
	uint32_t rva, virtual_size;
	uint32_t raw_offset, raw_size;
	uint32_t characteristics;
};

/*
 * Checks the DOS, NT and optional headers, the section table (each
 * section inside the file and inside SizeOfImage, in ascending order, none
 * overlapping) and the data directories.  0, or -1 with `err` set.
 */
int pe_parse_headers(const uint8_t *file, size_t len, struct pe_headers *hdr, char *err,
		     size_t err_cap);
/* Section `index` (< hdr->nsections) of a file pe_parse_headers accepted. */
void pe_section_at(const uint8_t *file, const struct pe_headers *hdr, unsigned index,
		   struct pe_section *sec);

/* Base relocations of a mapped image (the directory lies inside it). */
int pe_apply_relocations(const struct pe_headers *hdr, uint8_t *image, uint64_t delta,
			 uint32_t *applied, char *err, size_t err_cap);
/* Binds every import slot of a mapped image through `resolve`. */
int pe_bind_imports(const struct pe_headers *hdr, uint8_t *image,
		    uint64_t (*resolve)(void *ctx, const char *dll, const char *name),
		    void *resolve_ctx, uint32_t *bound, char *err, size_t err_cap);

/*
 * Messages into a caller's buffer, always NUL-terminated, cut at `cap`.
 * Only %s, %llu and %llx: the loader runs where there is no printf.
 * The compiler checks the arguments as printf's (clang names no gnu_printf;
 * mingw's gcc would check plain printf as Microsoft's).
 */
#ifdef __clang__
#define PE_FORMAT(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define PE_FORMAT(fmt, args) __attribute__((format(gnu_printf, fmt, args)))
#endif
PE_FORMAT(3, 4) void pe_format(char *buf, size_t cap, const char *fmt, ...);
/* Appends to what `buf` already holds. */
PE_FORMAT(3, 4) void pe_append(char *buf, size_t cap, const char *fmt, ...);
/* pe_format, returning -1 for the failing caller to pass on. */
PE_FORMAT(3, 4) int pe_fail(char *buf, size_t cap, const char *fmt, ...);

#endif /* NTH_PE_FILE_H */
