/* SPDX-License-Identifier: MIT */
/*
 * Loading a kernel-mode PE32+ image as Windows' loader does, and naming
 * addresses inside it.  Portable C over byte buffers: the harness uses it
 * in the guest, tests/nt runs it natively on the real vgpu.sys.  Every
 * field of the file is untrusted and checked before use.
 */
#ifndef NTH_PE_LOADER_H
#define NTH_PE_LOADER_H

#include <stddef.h>
#include <stdint.h>

/* One routine the image may import: its DLL ("ntoskrnl.exe"), name and address. */
struct pe_export {
	const char *dll;
	const char *name;
	uint64_t address;
};

/*
 * Resolves an import; 0 when the harness does not implement it.  `dll` and
 * `name` are valid during the call only.
 */
typedef uint64_t (*pe_resolve_fn)(void *ctx, const char *dll, const char *name);

struct pe_section_map {
	uint64_t rva, size; /* virtual size, page rounded */
	uint32_t characteristics;
	char name[9];
};

struct pe_image {
	uint8_t *base;          /* where it is loaded */
	uint64_t size;          /* SizeOfImage */
	uint64_t preferred;     /* ImageBase in the file */
	uint64_t entry;         /* absolute address of the entry point (DriverEntry) */
	uint32_t nrelocs;       /* DIR64 fixups applied */
	uint32_t nimports;      /* IAT slots bound */
	uint64_t cookie;        /* address of the /GS cookie, 0 when the image has none */
	uint64_t pdata, npdata; /* absolute address and count of RUNTIME_FUNCTION entries */
	struct pe_section_map sections[16];
	uint32_t nsections;
};

/*
 * Map `file` into `base` (`room` bytes, page aligned, an address other
 * than the preferred base), apply the base relocations, bind every import
 * through `resolve` and set the /GS cookie (if the image has a load
 * configuration with one) to `cookie_value`.  0 on success; otherwise -1
 * and `err` says what is wrong (a malformed header, a section outside the
 * image, an unknown relocation type, an import the harness lacks: each by
 * name).
 */
int pe_load(const uint8_t *file, size_t len, uint8_t *base, size_t room, pe_resolve_fn resolve,
	    void *resolve_ctx, uint64_t cookie_value, struct pe_image *out, char *err,
	    size_t err_cap);

/* SizeOfImage from the headers (0 if they are malformed): the room pe_load needs. */
uint64_t pe_image_size(const uint8_t *file, size_t len);

/*
 * Function names from an unstripped copy of the same image (its COFF
 * symbol table: build/package/symbols/vgpu.sys).  The names are copied
 * into the table's own storage: `file` may go once it is loaded.
 */
struct pe_symbol {
	uint32_t rva;
	const char *name; /* NUL-terminated: copied into the table's storage */
};
struct pe_symbols {
	struct pe_symbol *syms; /* sorted by rva */
	uint32_t count;
	char *names;
};
/* Fills `out` using `alloc` (e.g. heap_alloc or calloc-like, zeroed); 0 or -1. */
int pe_symbols_load(const uint8_t *file, size_t len, void *(*alloc)(size_t), struct pe_symbols *out,
		    char *err, size_t err_cap);
/* "name+0xOFF" for an rva (the nearest function at or below it), or "?+0xRVA". */
void pe_symbolize(const struct pe_symbols *syms, uint32_t rva, char *buf, size_t cap);

#endif /* NTH_PE_LOADER_H */
