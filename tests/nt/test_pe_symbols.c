/* SPDX-License-Identifier: MIT */
/*
 * The PE loader's function names (testos-nt/loader/pe_symbols), run
 * natively on the vgpu.sys we ship: its symbol table against objdump's,
 * addresses resolved to functions of the loaded image, and damaged symbol
 * tables refused or survived.
 *
 *   test_pe_symbols PACKAGE_DIR OBJDUMP
 *
 * PACKAGE_DIR as for test_pe_loader; OBJDUMP lists the reference symbols.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe_fixture.h"
#include "tap.h"

/* ---- names ------------------------------------------------------------------------- */

struct objdump_function {
	uint32_t rva;
	char name[128];
};

/* objdump's function symbols of the unstripped file, as rvas. */
static unsigned objdump_functions(struct objdump_function *out, unsigned cap)
{
	struct view v = view_of(unstripped);
	char cmd[4096], line[512];
	unsigned n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s' -t '%s'", objdump, symbols_path);
	p = popen(cmd, "r");
	if (!p)
		return 0;
	while (fgets(line, sizeof(line), p)) {
		int sec, cls, nx;
		unsigned type;
		unsigned long long value;
		char name[128];

		if (sscanf(line, "[%*d](sec %d)(fl 0x%*x)(ty %x)(scl %d) (nx %d) 0x%llx %127s",
			   &sec, &type, &cls, &nx, &value, name) != 6)
			continue;
		if (type != 0x20 || sec <= 0 || (cls != 2 && cls != 3) || n == cap)
			continue;
		out[n].rva = rd32(section_header(&v, (unsigned)sec - 1) + 12) + (uint32_t)value;
		snprintf(out[n].name, sizeof(out[n].name), "%s", name);
		n++;
	}
	pclose(p);
	return n;
}

static void *zalloc(size_t size)
{
	return calloc(1, size);
}

static struct pe_symbols symbols;

static void free_symbols(struct pe_symbols *s)
{
	free(s->syms);
	free(s->names);
	memset(s, 0, sizeof(*s));
}

static int load_symbols(void)
{
	int r;

	free_symbols(&symbols);
	r = pe_symbols_load(unstripped, unstripped_len, zalloc, &symbols, err, sizeof(err));
	if (r)
		printf("# pe_symbols_load: %s\n", err);
	CHECK_EQ(r, 0);
	return r;
}

static int name_at(const struct pe_symbols *s, uint32_t rva, const char *name)
{
	for (uint32_t i = 0; i < s->count; i++) {
		if (s->syms[i].rva == rva && !strcmp(s->syms[i].name, name))
			return 1;
	}
	return 0;
}

static void test_symbols_match_objdump(void)
{
	static struct objdump_function want[4096];
	unsigned n = objdump_functions(want, 4096), absent = 0, unsorted = 0;

	if (load_symbols())
		return;
	CHECK(n > 100);
	CHECK_EQ(symbols.count, n);
	for (unsigned i = 0; i < n; i++) {
		if (!name_at(&symbols, want[i].rva, want[i].name)) {
			printf("# %s at rva 0x%x is not in the table\n", want[i].name, want[i].rva);
			absent++;
		}
	}
	for (uint32_t i = 1; i < symbols.count; i++)
		unsorted += symbols.syms[i - 1].rva > symbols.syms[i].rva;
	CHECK_EQ(absent, 0);
	CHECK_EQ(unsorted, 0);
}

static void expect_symbol(uint32_t rva, const char *want)
{
	char buf[160];

	pe_symbolize(&symbols, rva, buf, sizeof(buf));
	if (strcmp(buf, want))
		printf("# rva 0x%x: \"%s\", want \"%s\"\n", rva, buf, want);
	CHECK(!strcmp(buf, want));
}

/*
 * Each RUNTIME_FUNCTION of the loaded .pdata starts at a named function and
 * its last byte is named by the same function: what a return address needs.
 * The number that are not.
 */
static unsigned unwound_functions_named(void)
{
	char first[160], last[160];
	unsigned wrong = 0;

	if (load_shipped())
		return 1;
	for (uint64_t i = 0; i < image.npdata; i++) {
		const uint8_t *rf = (const uint8_t *)(uintptr_t)image.pdata + 12 * i;
		char *plus;

		pe_symbolize(&symbols, rd32(rf), first, sizeof(first));
		pe_symbolize(&symbols, rd32(rf + 4) - 1, last, sizeof(last));
		plus = strrchr(first, '+');
		if (!plus || strcmp(plus, "+0x0") ||
		    strncmp(first, last, (size_t)(plus - first + 1))) {
			printf("# RUNTIME_FUNCTION [0x%x, 0x%x): %s ... %s\n", rd32(rf),
			       rd32(rf + 4), first, last);
			wrong++;
		}
	}
	return wrong;
}

static void test_symbolize(void)
{
	static struct objdump_function fns[4096];
	unsigned n = objdump_functions(fns, 4096);
	struct view v = view_of(shipped);
	char buf[160];

	CHECK(n > 0);
	if (load_symbols() || !n)
		return;
	expect_symbol(rd32(shipped + v.opt + 16), "DriverEntry+0x0");
	expect_symbol(0x10, "?+0x10");
	/* halfway between each function and the next that objdump lists at a higher rva */
	for (unsigned i = 0; i < n; i++) {
		uint32_t next = 0;
		char want[160];

		for (unsigned j = 0; j < n; j++) {
			if (fns[j].rva > fns[i].rva && (!next || fns[j].rva < next))
				next = fns[j].rva;
		}
		if (!next)
			continue;
		pe_symbolize(&symbols, fns[i].rva + (next - fns[i].rva) / 2, buf, sizeof(buf));
		snprintf(want, sizeof(want), "+0x%x", (next - fns[i].rva) / 2);
		/* aliases share an rva: any of their names will do */
		char *plus = strrchr(buf, '+');
		CHECK(plus && !strcmp(plus, want));
		if (plus) {
			*plus = '\0';
			CHECK(name_at(&symbols, fns[i].rva, buf));
		}
	}
	CHECK_EQ(unwound_functions_named(), 0);
	pe_symbolize(&symbols, rd32(shipped + v.opt + 16) + 0x1c, buf, 8);
	CHECK(!strcmp(buf, "DriverE")); /* cut at the buffer, still terminated */
}

/* The stripped image still has ld's symbol table; the package's copy in symbols/ is the same. */
static void test_symbols_of_shipped_image(void)
{
	struct pe_symbols shipped_syms;
	unsigned differ = 0;

	if (load_symbols())
		return;
	CHECK_EQ(pe_symbols_load(shipped, shipped_len, zalloc, &shipped_syms, err, sizeof(err)), 0);
	CHECK_EQ(shipped_syms.count, symbols.count);
	for (uint32_t i = 0; i < symbols.count && i < shipped_syms.count; i++)
		differ += shipped_syms.syms[i].rva != symbols.syms[i].rva ||
			  strcmp(shipped_syms.syms[i].name, symbols.syms[i].name);
	CHECK_EQ(differ, 0);
	free_symbols(&shipped_syms);
}

static void test_damaged_symbol_tables_refused(void)
{
	uint8_t *copy = malloc(unstripped_len);
	struct view v;
	struct pe_symbols s;

	memcpy(copy, unstripped, unstripped_len);
	v = view_of(copy);
	wr32(copy + v.fh + 12, 0x7fffffff);
	CHECK_EQ(pe_symbols_load(copy, unstripped_len, zalloc, &s, err, sizeof(err)), -1);
	CHECK(strstr(err, "run past the end of the file") != NULL);
	printf("# refused: %s\n", err);

	memcpy(copy, unstripped, unstripped_len);
	wr32(copy + v.fh + 8, 0);
	CHECK_EQ(pe_symbols_load(copy, unstripped_len, zalloc, &s, err, sizeof(err)), -1);
	CHECK(strstr(err, "no COFF symbol table") != NULL);

	/* the string table's size claims more than the file holds */
	memcpy(copy, unstripped, unstripped_len);
	wr32(copy + rd32(copy + v.fh + 8) + rd32(copy + v.fh + 12) * 18, 0x7fffffff);
	CHECK_EQ(pe_symbols_load(copy, unstripped_len, zalloc, &s, err, sizeof(err)), -1);
	CHECK(strstr(err, "string table") != NULL);
	free(copy);
	free_symbols(&symbols);
}

/* Random damage to the symbol records and the string table's start: no wild access either. */
static void test_symbol_table_damage_survived(void)
{
	struct view v = view_of(unstripped);
	uint32_t records = rd32(unstripped + v.fh + 8), nrecords = rd32(unstripped + v.fh + 12);
	uint8_t *copy = malloc(unstripped_len);
	uint64_t seed = 0x2545f4914f6cdd1dull;
	unsigned refused = 0, silent = 0, unterminated = 0;
	struct pe_symbols s;

	for (unsigned round = 0; round < 2000; round++) {
		memcpy(copy, unstripped, unstripped_len);
		for (unsigned flips = 1 + round % 8; flips; flips--)
			flip_bit(copy, records, nrecords * 18 + 16, &seed);
		if (pe_symbols_load(copy, unstripped_len, zalloc, &s, err, sizeof(err))) {
			refused++;
			silent += !err[0];
			continue;
		}
		for (uint32_t i = 0; i < s.count; i++)
			unterminated += strlen(s.syms[i].name) > 4096;
		free_symbols(&s);
	}
	printf("# %u of 2000 damaged symbol tables refused\n", refused);
	CHECK(refused > 0);
	CHECK_EQ(silent, 0);
	CHECK_EQ(unterminated, 0);
	free(copy);
}

int main(int argc, char **argv)
{
	if (!pe_fixture_open(argc, argv, "test_pe_symbols PACKAGE_DIR [OBJDUMP]"))
		return 1;
	RUN(test_symbols_match_objdump);
	RUN(test_symbolize);
	RUN(test_symbols_of_shipped_image);
	RUN(test_damaged_symbol_tables_refused);
	RUN(test_symbol_table_damage_survived);
	return tap_done();
}
