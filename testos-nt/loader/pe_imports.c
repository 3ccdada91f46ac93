/* SPDX-License-Identifier: MIT */
/*
 * Imports (PE/COFF ".idata section"): one descriptor per DLL, each with an
 * import lookup table (ILT) naming the routines and an import address
 * table (IAT) that holds a copy of it in the file and the routines'
 * addresses once bound.  Names are read from the ILT, addresses written
 * to the IAT; an IAT that differs from its ILT in the file was bound by
 * someone else or damaged, and is refused.  Every unresolved routine is
 * named, not only the first, so one run shows all that the harness lacks.
 */
#include "pe_file.h"

#define DESCRIPTOR_SIZE 20u
#define ID_ORIGINAL_FIRST_THUNK 0
#define ID_NAME 12
#define ID_FIRST_THUNK 16
#define ORDINAL_FLAG (1ull << 63)
#define HINT_NAME_RVA_MASK 0x7fffffffull
#define HINT_SIZE 2u
#define DLL_NAME_MAX 64

typedef uint64_t (*resolve_fn)(void *ctx, const char *dll, const char *name);

/* Length of the NUL-terminated string at `rva` of a mapped image; -1 when it has no NUL. */
static int64_t image_string(const uint8_t *image, uint32_t size_of_image, uint64_t rva)
{
	for (uint64_t at = rva; at < size_of_image; at++) {
		if (!image[at])
			return (int64_t)(at - rva);
	}
	return -1;
}

struct import_binding {
	const struct pe_headers *hdr;
	uint8_t *image;
	resolve_fn resolve;
	void *ctx;
	uint32_t bound, missing;
	char missing_list[1024]; /* "dll!name, dll!name", cut when it is full */
	char *err;
	size_t cap;
};

static int in_image(const struct import_binding *b, uint64_t rva, uint64_t size)
{
	return rva + size <= b->hdr->size_of_image;
}

/* One ILT/IAT pair of slots: 1 when bound or missing, 0 at the table's end, -1 on error. */
static int bind_slot(struct import_binding *b, const char *dll, uint64_t ilt, uint64_t iat)
{
	uint64_t lookup, name_rva, address;
	const char *name;

	if (!in_image(b, ilt, 8) || !in_image(b, iat, 8))
		return pe_fail(b->err, b->cap,
			       "%s: import table slot at rva 0x%llx or 0x%llx lies "
			       "outside the image",
			       dll, (unsigned long long)ilt, (unsigned long long)iat);
	lookup = pe_rd64(b->image + ilt);
	if (pe_rd64(b->image + iat) != lookup)
		return pe_fail(b->err, b->cap,
			       "%s: IAT slot at rva 0x%llx holds 0x%llx, not its lookup entry "
			       "0x%llx (a bound or damaged import table)",
			       dll, (unsigned long long)iat,
			       (unsigned long long)pe_rd64(b->image + iat),
			       (unsigned long long)lookup);
	if (!lookup)
		return 0;
	if (lookup & ORDINAL_FLAG)
		return pe_fail(b->err, b->cap, "%s: import by ordinal %llu is not supported", dll,
			       (unsigned long long)(lookup & 0xffff));
	if (lookup & ~HINT_NAME_RVA_MASK)
		return pe_fail(b->err, b->cap,
			       "%s: import lookup entry 0x%llx at rva 0x%llx has "
			       "reserved bits set",
			       dll, (unsigned long long)lookup, (unsigned long long)ilt);
	name_rva = lookup + HINT_SIZE;
	if (image_string(b->image, b->hdr->size_of_image, name_rva) < 0)
		return pe_fail(b->err, b->cap,
			       "%s: import name at rva 0x%llx has no NUL inside the image", dll,
			       (unsigned long long)name_rva);
	name = (const char *)b->image + name_rva;
	address = b->resolve(b->ctx, dll, name);
	if (!address) {
		pe_append(b->missing_list, sizeof(b->missing_list), "%s%s!%s",
			  b->missing ? ", " : "", dll, name);
		b->missing++;
		return 1;
	}
	memcpy(b->image + iat, &address, sizeof(address));
	b->bound++;
	return 1;
}

static int bind_descriptor(struct import_binding *b, uint32_t desc)
{
	const uint8_t *d = b->image + desc;
	uint32_t dll_rva = pe_rd32(d + ID_NAME);
	uint64_t iat = pe_rd32(d + ID_FIRST_THUNK);
	/* Old linkers leave the ILT out; then the IAT's file copy is the only lookup table. */
	uint64_t ilt =
		pe_rd32(d + ID_ORIGINAL_FIRST_THUNK) ? pe_rd32(d + ID_ORIGINAL_FIRST_THUNK) : iat;
	/* A copy: binding writes into the image, and a hostile name may lie under the IAT. */
	char dll[DLL_NAME_MAX];
	int64_t dll_len = dll_rva ? image_string(b->image, b->hdr->size_of_image, dll_rva) : -1;
	int r;

	if (dll_len < 1 || dll_len >= DLL_NAME_MAX)
		return pe_fail(b->err, b->cap,
			       "import descriptor at rva 0x%llx: the DLL name at rva 0x%llx is "
			       "empty, longer than %llu bytes or without a NUL inside the image",
			       (unsigned long long)desc, (unsigned long long)dll_rva,
			       (unsigned long long)DLL_NAME_MAX - 1);
	memcpy(dll, b->image + dll_rva, (size_t)dll_len + 1);
	if (!iat)
		return pe_fail(b->err, b->cap, "%s: import descriptor without an IAT", dll);
	/* Each step moves 8 bytes further into the image, so the walk ends there at the latest. */
	while ((r = bind_slot(b, dll, ilt, iat)) > 0) {
		ilt += 8;
		iat += 8;
	}
	return r;
}

static int descriptor_is_null(const uint8_t *d)
{
	for (unsigned i = 0; i < DESCRIPTOR_SIZE; i++) {
		if (d[i])
			return 0;
	}
	return 1;
}

int pe_bind_imports(const struct pe_headers *hdr, uint8_t *image, resolve_fn resolve,
		    void *resolve_ctx, uint32_t *bound, char *err, size_t err_cap)
{
	const struct pe_range *dir = &hdr->dirs[DIR_IMPORT];
	struct import_binding b = { .hdr = hdr,
				    .image = image,
				    .resolve = resolve,
				    .ctx = resolve_ctx,
				    .err = err,
				    .cap = err_cap };

	*bound = 0;
	if (!dir->size)
		return 0;
	for (uint32_t desc = dir->rva;; desc += DESCRIPTOR_SIZE) {
		if ((uint64_t)desc + DESCRIPTOR_SIZE > (uint64_t)dir->rva + dir->size)
			return pe_fail(err, err_cap,
				       "import directory [0x%llx, +0x%llx) has no null descriptor",
				       (unsigned long long)dir->rva, (unsigned long long)dir->size);
		if (descriptor_is_null(image + desc))
			break;
		if (bind_descriptor(&b, desc))
			return -1;
	}
	*bound = b.bound;
	if (b.missing)
		return pe_fail(err, err_cap, "%llu unresolved imports: %s",
			       (unsigned long long)b.missing, b.missing_list);
	return 0;
}
