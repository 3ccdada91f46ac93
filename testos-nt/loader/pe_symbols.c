/* SPDX-License-Identifier: MIT */
/*
 * Function names from the COFF symbol table that mingw's ld leaves in an
 * image (PE/COFF "COFF symbol table"): 18-byte records, a record's value
 * the offset inside its section, long names in the string table that
 * follows the records.  Functions are the records of type 0x20 (derived
 * type "function") of storage class EXTERNAL or STATIC (static functions
 * name crash sites as often as exported ones).
 */
#include "pe_file.h"
#include "pe_loader.h"

#define SYMBOL_SIZE 18u
#define SYM_NAME 0
#define SYM_VALUE 8
#define SYM_SECTION_NUMBER 12
#define SYM_TYPE 14
#define SYM_STORAGE_CLASS 16
#define SYM_NUMBER_OF_AUX 17
#define SYM_TYPE_FUNCTION 0x20
#define SYM_CLASS_EXTERNAL 2
#define SYM_CLASS_STATIC 3

struct symbol_table {
	const uint8_t *file;
	const struct pe_headers *hdr;
	const uint8_t *records;
	const uint8_t *strings;
	uint32_t strings_size;
};

/* A function record's name and rva; 0 when the record is no function, -1 when it is damaged. */
static int read_function(const struct symbol_table *t, const uint8_t *rec, const char **name,
			 size_t *name_len, uint32_t *rva, char *err, size_t cap)
{
	int16_t section = (int16_t)pe_rd16(rec + SYM_SECTION_NUMBER);
	uint8_t storage = rec[SYM_STORAGE_CLASS];
	uint32_t value = pe_rd32(rec + SYM_VALUE);
	struct pe_section sec;

	if (pe_rd16(rec + SYM_TYPE) != SYM_TYPE_FUNCTION || section <= 0 ||
	    (storage != SYM_CLASS_EXTERNAL && storage != SYM_CLASS_STATIC))
		return 0;
	if (pe_rd32(rec + SYM_NAME)) {
		*name = (const char *)rec + SYM_NAME;
		for (*name_len = 0; *name_len < 8 && (*name)[*name_len]; (*name_len)++)
			;
	} else {
		uint32_t at = pe_rd32(rec + SYM_NAME + 4), n;

		if (at < 4 || at >= t->strings_size)
			return pe_fail(err, cap,
				       "symbol name at string table offset 0x%llx lies "
				       "outside it",
				       (unsigned long long)at);
		for (n = at; n < t->strings_size && t->strings[n]; n++)
			;
		if (n == t->strings_size)
			return pe_fail(err, cap,
				       "symbol name at string table offset 0x%llx has no NUL",
				       (unsigned long long)at);
		*name = (const char *)t->strings + at;
		*name_len = n - at;
	}
	if ((unsigned)section > t->hdr->nsections)
		return pe_fail(err, cap, "a function symbol is in section %llu of %llu",
			       (unsigned long long)section, (unsigned long long)t->hdr->nsections);
	pe_section_at(t->file, t->hdr, (unsigned)section - 1, &sec);
	if (value >= sec.virtual_size)
		return pe_fail(err, cap, "function at offset 0x%llx lies past the end of %s",
			       (unsigned long long)value, sec.name);
	*rva = sec.rva + value;
	return 1;
}

/*
 * The function records: counted (out NULL), then copied into `out`'s
 * storage, sized by the count.  0, or -1 with `err` set.
 */
static int walk_functions(const struct symbol_table *t, struct pe_symbols *out, size_t *nfunctions,
			  size_t *name_bytes, char *err, size_t cap)
{
	*nfunctions = 0;
	*name_bytes = 0;
	for (uint64_t i = 0; i < t->hdr->nsymbols;
	     i += 1 + t->records[i * SYMBOL_SIZE + SYM_NUMBER_OF_AUX]) {
		const uint8_t *rec = t->records + i * SYMBOL_SIZE;
		/* set only for a function; initialized for the compiler, which cannot tell */
		const char *name = NULL;
		size_t name_len = 0;
		uint32_t rva = 0;
		int r = read_function(t, rec, &name, &name_len, &rva, err, cap);

		if (r < 0)
			return -1;
		if (!r)
			continue;
		if (out) {
			struct pe_symbol *sym = &out->syms[*nfunctions];

			memcpy(out->names + *name_bytes, name, name_len);
			out->names[*name_bytes + name_len] = '\0';
			sym->name = out->names + *name_bytes;
			sym->rva = rva;
		}
		(*nfunctions)++;
		*name_bytes += name_len + 1;
	}
	return 0;
}

static int symbol_before(const struct pe_symbol *a, const struct pe_symbol *b)
{
	const unsigned char *x = (const unsigned char *)a->name;
	const unsigned char *y = (const unsigned char *)b->name;

	if (a->rva != b->rva)
		return a->rva < b->rva;
	/* aliases of one address in name order, so that the table does not depend on the file's */
	while (*x && *x == *y) {
		x++;
		y++;
	}
	return *x < *y;
}

static void sift_down(struct pe_symbol *syms, size_t root, size_t count)
{
	for (;;) {
		size_t child = 2 * root + 1;
		struct pe_symbol tmp;

		if (child >= count)
			return;
		if (child + 1 < count && symbol_before(&syms[child], &syms[child + 1]))
			child++;
		if (!symbol_before(&syms[root], &syms[child]))
			return;
		tmp = syms[root];
		syms[root] = syms[child];
		syms[child] = tmp;
		root = child;
	}
}

/* Heap sort: O(n log n) whatever a hostile table holds, and no memory besides the table. */
static void sort_symbols(struct pe_symbol *syms, size_t count)
{
	for (size_t i = count / 2; i > 0; i--)
		sift_down(syms, i - 1, count);
	for (size_t end = count; end > 1; end--) {
		struct pe_symbol tmp = syms[0];

		syms[0] = syms[end - 1];
		syms[end - 1] = tmp;
		sift_down(syms, 0, end - 1);
	}
}

int pe_symbols_load(const uint8_t *file, size_t len, void *(*alloc)(size_t), struct pe_symbols *out,
		    char *err, size_t err_cap)
{
	struct pe_headers hdr;
	struct symbol_table t = { .file = file, .hdr = &hdr };
	uint64_t records_end;
	size_t nfunctions, name_bytes;

	memset(out, 0, sizeof(*out));
	if (pe_parse_headers(file, len, &hdr, err, err_cap))
		return -1;
	if (!hdr.symbol_table || !hdr.nsymbols)
		return pe_fail(err, err_cap, "no COFF symbol table (a stripped image?)");
	records_end = hdr.symbol_table + (uint64_t)hdr.nsymbols * SYMBOL_SIZE;
	if (records_end + 4 > len)
		return pe_fail(err, err_cap,
			       "symbol table [0x%llx, 0x%llx) and its string table's size run past "
			       "the end of the file (0x%llx bytes)",
			       (unsigned long long)hdr.symbol_table,
			       (unsigned long long)records_end, (unsigned long long)len);
	t.records = file + hdr.symbol_table;
	t.strings = file + records_end;
	t.strings_size = pe_rd32(t.strings);
	if (t.strings_size < 4 || records_end + t.strings_size > len)
		return pe_fail(err, err_cap,
			       "string table of 0x%llx bytes at 0x%llx does not fit "
			       "the file",
			       (unsigned long long)t.strings_size, (unsigned long long)records_end);
	if (walk_functions(&t, NULL, &nfunctions, &name_bytes, err, err_cap))
		return -1;
	if (!nfunctions)
		return pe_fail(err, err_cap, "no function among %llu symbol records",
			       (unsigned long long)hdr.nsymbols);
	out->syms = alloc(nfunctions * sizeof(*out->syms));
	out->names = alloc(name_bytes);
	if (!out->syms || !out->names)
		return pe_fail(err, err_cap, "no memory for %llu symbols",
			       (unsigned long long)nfunctions);
	walk_functions(&t, out, &nfunctions, &name_bytes, err, err_cap);
	sort_symbols(out->syms, nfunctions);
	out->count = (uint32_t)nfunctions;
	return 0;
}

void pe_symbolize(const struct pe_symbols *syms, uint32_t rva, char *buf, size_t cap)
{
	size_t lo = 0, hi = syms ? syms->count : 0;

	/* the first symbol above rva; the one before it is the nearest at or below */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (syms->syms[mid].rva <= rva)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		pe_format(buf, cap, "?+0x%llx", (unsigned long long)rva);
	else
		pe_format(buf, cap, "%s+0x%llx", syms->syms[lo - 1].name,
			  (unsigned long long)(rva - syms->syms[lo - 1].rva));
}
