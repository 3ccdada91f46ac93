/* SPDX-License-Identifier: MIT */
/*
 * testos-nt's PE loader (testos-nt/loader), run natively on the vgpu.sys
 * we ship: loaded at a base far from its preferred one, every byte of the
 * result checked against the file as this test reads it on its own, and
 * damaged copies of the file refused by name.
 *
 *   test_pe_loader PACKAGE_DIR
 *
 * PACKAGE_DIR is what make package writes (vgpu-win64/vgpu.sys, and
 * symbols/vgpu.sys with the debug sections); $VGPU_PACKAGE overrides it.
 * Without the package the test fails: it exists to prove that binary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe_fixture.h"
#include "tap.h"

/* ---- the file's relocations and imports, parsed here -------------------------------- */

/* Calls `fn` for each DIR64 slot of the file's .reloc, parsed here. */
static unsigned for_each_dir64(const struct view *v, void (*fn)(uint32_t rva, void *ctx), void *ctx)
{
	uint32_t at = file_offset(v, dir_rva(v, 5)), end = at + dir_size(v, 5);
	unsigned n = 0;

	while (at < end) {
		uint32_t page = rd32(v->file + at), size = rd32(v->file + at + 4);

		for (uint32_t e = 8; e < size; e += 2) {
			uint16_t entry = rd16(v->file + at + e);

			if (entry >> 12 == 10) {
				fn(page + (entry & 0xfff), ctx);
				n++;
			}
		}
		at += size;
	}
	return n;
}

struct import_slot {
	char name[64];
	uint32_t iat_rva;
};

/* The file's imports, parsed here: every IAT slot with its routine's name and DLL. */
static unsigned file_imports(const struct view *v, struct import_slot *slots, unsigned cap,
			     char dlls[][32], unsigned *ndlls)
{
	unsigned n = 0;

	*ndlls = 0;
	for (uint32_t d = file_offset(v, dir_rva(v, 1)); rd32(v->file + d + 12); d += 20) {
		uint32_t ilt = rd32(v->file + d), iat = rd32(v->file + d + 16);

		snprintf(dlls[(*ndlls)++], 32, "%s",
			 (const char *)v->file + file_offset(v, rd32(v->file + d + 12)));
		for (uint32_t i = 0;; i++) {
			uint64_t entry = rd64(v->file + file_offset(v, ilt + 8 * i));

			if (!entry || n == cap)
				break;
			snprintf(slots[n].name, sizeof(slots[n].name), "%s",
				 (const char *)v->file + file_offset(v, (uint32_t)entry + 2));
			slots[n++].iat_rva = iat + 8 * i;
		}
	}
	return n;
}

/* ---- the shipped image, loaded ----------------------------------------------------- */

static void test_headers_and_sections_described(void)
{
	struct view v = view_of(shipped);

	if (load_shipped())
		return;
	CHECK(image.base == load_base);
	CHECK_EQ(image.preferred, PREFERRED_BASE);
	CHECK_EQ(image.size, rd32(shipped + v.opt + 56));
	CHECK_EQ(pe_image_size(shipped, shipped_len), image.size);
	CHECK_EQ(image.entry, (uintptr_t)load_base + rd32(shipped + v.opt + 16));
	CHECK_EQ(image.nsections, v.nsections);
	for (unsigned i = 0; i < v.nsections && i < image.nsections; i++) {
		const uint8_t *sh = section_header(&v, i);
		uint32_t vsize = rd32(sh + 8);

		CHECK(!strncmp(image.sections[i].name, (const char *)sh, 8));
		CHECK_EQ(image.sections[i].rva, rd32(sh + 12));
		CHECK_EQ(image.sections[i].size, (vsize + 0xfffu) & ~0xfffu);
		CHECK_EQ(image.sections[i].characteristics, rd32(sh + 36));
	}
	CHECK(!strcmp(image.sections[0].name, ".text"));
	CHECK_EQ(image.pdata, (uintptr_t)load_base + dir_rva(&v, 3));
	CHECK_EQ(image.npdata, dir_size(&v, 3) / 12);
	CHECK(image.npdata > 100);
	CHECK_EQ(image.cookie, 0); /* vgpu.sys has no load configuration */
}

static void mark(uint8_t *patched, uint32_t rva)
{
	memset(patched + rva, 1, 8);
}

static void mark_slot(uint32_t rva, void *ctx)
{
	mark(ctx, rva);
}

/* The headers and every section byte for byte as in the file, but for relocated and bound slots. */
static void test_bytes_match_file(void)
{
	struct view v = view_of(shipped);
	struct import_slot slots[MAX_RESOLVED];
	char dlls[4][32];
	unsigned ndlls, nslots;
	uint8_t *patched = calloc(1, ROOM);
	unsigned mismatches = 0, nonzero = 0;

	if (load_shipped())
		return;
	for_each_dir64(&v, mark_slot, patched);
	nslots = file_imports(&v, slots, MAX_RESOLVED, dlls, &ndlls);
	for (unsigned i = 0; i < nslots; i++)
		mark(patched, slots[i].iat_rva);
	CHECK(!memcmp(load_base, shipped, rd32(shipped + v.opt + 60)));
	for (unsigned i = 0; i < v.nsections; i++) {
		const uint8_t *sh = section_header(&v, i);
		uint32_t vsize = rd32(sh + 8), va = rd32(sh + 12), raw = rd32(sh + 16);
		uint32_t copied = raw < vsize ? raw : vsize,
			 end = va + ((vsize + 0xfffu) & ~0xfffu);

		for (uint32_t b = 0; b < copied; b++) {
			if (!patched[va + b] && load_base[va + b] != shipped[rd32(sh + 20) + b])
				mismatches++;
		}
		for (uint32_t rva = va + copied; rva < end; rva++)
			nonzero += load_base[rva] != 0;
	}
	CHECK_EQ(mismatches, 0);
	CHECK_EQ(nonzero, 0);
	free(patched);
}

struct reloc_check {
	unsigned wrong;
};

static void check_slot_moved(uint32_t rva, void *ctx)
{
	struct reloc_check *c = ctx;
	struct view v = view_of(shipped);
	uint64_t was = rd64(shipped + file_offset(&v, rva)), now = rd64(load_base + rva);

	if (now - was != delta()) {
		printf("# DIR64 at rva 0x%x: 0x%llx in the file, 0x%llx loaded\n", rva,
		       (unsigned long long)was, (unsigned long long)now);
		c->wrong++;
	}
}

static void test_relocations_moved_by_delta(void)
{
	struct view v = view_of(shipped);
	struct reloc_check c = { 0 };
	unsigned n;

	if (load_shipped())
		return;
	n = for_each_dir64(&v, check_slot_moved, &c);
	CHECK(n > 0);
	CHECK_EQ(image.nrelocs, n);
	CHECK_EQ(c.wrong, 0);
}

static void test_imports_bound(void)
{
	struct view v = view_of(shipped);
	struct import_slot slots[MAX_RESOLVED];
	char dlls[4][32];
	unsigned ndlls, nslots, wrong = 0;

	if (load_shipped())
		return;
	nslots = file_imports(&v, slots, MAX_RESOLVED, dlls, &ndlls);
	printf("# %u imports\n", nslots);
	CHECK(nslots > 50);
	/* the IAT directory: every DLL's slots and its null terminator */
	CHECK_EQ(nslots, dir_size(&v, 12) / 8 - ndlls);
	CHECK_EQ(image.nimports, nslots);
	CHECK_EQ(resolver.calls, nslots);
	CHECK_EQ(resolver.count, nslots); /* no routine imported twice */
	CHECK_EQ(ndlls, 1);
	CHECK(!strcmp(dlls[0], "ntoskrnl.exe"));
	for (unsigned i = 0; i < resolver.count; i++)
		CHECK(!strcmp(resolver.routines[i].dll, "ntoskrnl.exe"));
	for (unsigned i = 0; i < nslots; i++) {
		uint64_t want = resolved_address(&resolver, slots[i].name);

		if (!want || rd64(load_base + slots[i].iat_rva) != want) {
			printf("# IAT slot of %s at rva 0x%x holds 0x%llx\n", slots[i].name,
			       slots[i].iat_rva,
			       (unsigned long long)rd64(load_base + slots[i].iat_rva));
			wrong++;
		}
	}
	CHECK_EQ(wrong, 0);
	CHECK(resolved_address(&resolver, "IoCreateDevice") != 0);
}

/* A load configuration planted in the headers' slack, its SecurityCookie pointing into .bss. */
static void test_security_cookie_set(void)
{
	uint8_t *copy = copy_of_shipped();
	struct view v = view_of(copy);
	uint32_t lc = (v.sections + v.nsections * 40 + 15) & ~15u;
	uint32_t bss = rd32(section_header(&v, section_named(&v, ".bss")) + 12);
	const uint64_t cookie = 0x2b992ddfa232ull;

	CHECK(lc + 0x70 <= rd32(copy + v.opt + 60));
	memset(copy + lc, 0, 0x70);
	wr32(copy + lc, 0x70);
	wr64(copy + lc + 0x58, PREFERRED_BASE + bss + 8);
	wr32(copy + v.opt + 112 + 10 * 8, lc);
	wr32(copy + v.opt + 112 + 10 * 8 + 4, 0x70);
	if (load(copy, shipped_len, cookie))
		printf("# pe_load: %s\n", err);
	CHECK_EQ(image.cookie, (uintptr_t)load_base + bss + 8);
	CHECK_EQ(rd64(load_base + bss + 8), cookie);

	wr64(copy + lc + 0x58, PREFERRED_BASE + 0x100000);
	CHECK_EQ(load(copy, shipped_len, cookie), -1);
	CHECK(strstr(err, "SecurityCookie") != NULL);
	free(copy);
}

/* ---- damaged copies: each refused, by name ----------------------------------------- */

static void expect_refused(const uint8_t *file, size_t len, const char *says)
{
	int r = load(file, len, 0);

	printf("# refused: %s\n", err);
	CHECK_EQ(r, -1);
	CHECK(strstr(err, says) != NULL);
}

static void test_truncated_refused(void)
{
	struct view v = view_of(shipped);
	const uint8_t *text = section_header(&v, section_named(&v, ".text"));
	char says[128];

	snprintf(says, sizeof(says), "section .text raw data [0x%x, 0x%x) runs past the end",
		 rd32(text + 20), rd32(text + 20) + rd32(text + 16));
	expect_refused(shipped, 0x5000, says);
	expect_refused(shipped, 40, "too short for a DOS header");
	CHECK_EQ(pe_image_size(shipped, 0x5000), 0);
}

static void test_lfanew_out_of_range_refused(void)
{
	uint8_t *copy = copy_of_shipped();

	wr32(copy + 0x3c, (uint32_t)shipped_len - 8);
	expect_refused(copy, shipped_len, "e_lfanew");
	wr32(copy + 0x3c, 0xfffffff0u);
	expect_refused(copy, shipped_len, "e_lfanew 0xfffffff0 points outside the file");
	free(copy);
}

/* The shipped image with one field of a section header changed. */
static void expect_section_field_refused(const char *section, unsigned field, uint32_t value,
					 const char *says)
{
	uint8_t *copy = copy_of_shipped();
	struct view v = view_of(copy);

	wr32(section_header(&v, section_named(&v, section)) + field, value);
	expect_refused(copy, shipped_len, says);
	free(copy);
}

static void test_raw_data_past_file_refused(void)
{
	struct view v = view_of(shipped);
	const uint8_t *rdata = section_header(&v, section_named(&v, ".rdata"));
	char says[128];

	snprintf(says, sizeof(says), "section .rdata raw data [0x%x, 0x%x) runs past the end",
		 rd32(rdata + 20), rd32(rdata + 20) + 0x100000);
	expect_section_field_refused(".rdata", 16, 0x100000, says);
}

static void test_section_outside_image_refused(void)
{
	struct view v = view_of(shipped);
	uint32_t size_of_image = rd32(shipped + v.opt + 56);
	char says[128];

	snprintf(says, sizeof(says), "section .reloc [0x%x, 0x%x) lies outside SizeOfImage",
		 size_of_image, size_of_image + 0x1000);
	expect_section_field_refused(".reloc", 12, size_of_image, says);
}

static void test_overlapping_sections_refused(void)
{
	struct view v = view_of(shipped);
	uint32_t inside_text = rd32(section_header(&v, section_named(&v, ".text")) + 12) + 0x1000;
	char says[128];

	snprintf(says, sizeof(says), "section .rdata at rva 0x%x overlaps .text", inside_text);
	expect_section_field_refused(".rdata", 12, inside_text, says);
}

static void test_other_machine_refused(void)
{
	uint8_t *copy = copy_of_shipped();
	struct view v = view_of(copy);

	copy[v.fh] = 0x4c; /* 0x014c: i386 */
	copy[v.fh + 1] = 0x01;
	expect_refused(copy, shipped_len, "machine 0x14c is not AMD64");
	free(copy);
}

static void test_too_little_room_refused(void)
{
	struct view v = view_of(shipped);
	size_t room = rd32(shipped + v.opt + 56) - 0x1000;
	char says[64];

	memset(&resolver, 0, sizeof(resolver));
	CHECK_EQ(pe_load(shipped, shipped_len, load_base, room, resolve, &resolver, 0, &image, err,
			 sizeof(err)),
		 -1);
	snprintf(says, sizeof(says), "does not fit the 0x%zx bytes given", room);
	CHECK(strstr(err, says) != NULL);
}

static void test_unknown_relocation_refused(void)
{
	uint8_t *copy = copy_of_shipped();
	struct view v = view_of(copy);
	uint8_t *first = copy + file_offset(&v, dir_rva(&v, 5)) + 8;

	first[1] = (uint8_t)((first[1] & 0x0f) | 0x30); /* IMAGE_REL_BASED_HIGHLOW */
	expect_refused(copy, shipped_len, "relocation type HIGHLOW (3)");
	free(copy);
}

static void test_relocation_block_past_directory_refused(void)
{
	uint8_t *copy = copy_of_shipped();
	struct view v = view_of(copy);

	wr32(copy + file_offset(&v, dir_rva(&v, 5)) + 4, dir_size(&v, 5) + 8);
	expect_refused(copy, shipped_len, "runs past its directory's end");
	free(copy);
}

/*
 * .reloc grown to a whole page of the file's bytes, its second half all 'A'
 * up to the end of the image, and the first import's name moved there.
 */
static void test_import_name_without_nul_refused(void)
{
	uint8_t *copy = copy_of_shipped();
	struct view v = view_of(copy);
	uint8_t *reloc = section_header(&v, section_named(&v, ".reloc"));
	uint32_t d = file_offset(&v, dir_rva(&v, 1));
	uint64_t name_rva = rd32(reloc + 12) + 0x800;
	char says[128];

	wr32(reloc + 8, 0x1000);
	wr32(reloc + 16, 0x1000);
	memset(copy + rd32(reloc + 20) + 0x800, 'A', 0x800);
	wr64(copy + file_offset(&v, rd32(copy + d)), name_rva);
	wr64(copy + file_offset(&v, rd32(copy + d + 16)), name_rva);
	snprintf(says, sizeof(says), "ntoskrnl.exe: import name at rva 0x%llx has no NUL inside",
		 (unsigned long long)name_rva + 2);
	expect_refused(copy, shipped_len, says);
	free(copy);
}

static void test_ordinal_import_refused(void)
{
	uint8_t *copy = copy_of_shipped();
	struct view v = view_of(copy);
	uint32_t d = file_offset(&v, dir_rva(&v, 1));

	wr64(copy + file_offset(&v, rd32(copy + d)), 1ull << 63 | 5);
	wr64(copy + file_offset(&v, rd32(copy + d + 16)), 1ull << 63 | 5);
	expect_refused(copy, shipped_len, "ntoskrnl.exe: import by ordinal 5 is not supported");
	free(copy);
}

static void test_iat_unlike_ilt_refused(void)
{
	uint8_t *copy = copy_of_shipped();
	struct view v = view_of(copy);
	uint32_t d = file_offset(&v, dir_rva(&v, 1));

	wr64(copy + file_offset(&v, rd32(copy + d + 16) + 8), 0x1234);
	expect_refused(copy, shipped_len, "not its lookup entry");
	free(copy);
}

/* Every routine the harness lacks is named, not only the first. */
static void test_missing_imports_named(void)
{
	int r;

	memset(&resolver, 0, sizeof(resolver));
	resolver.missing[0] = "KeSetEvent";
	resolver.missing[1] = "IoCreateDevice";
	r = pe_load(shipped, shipped_len, load_base, ROOM, resolve, &resolver, 0, &image, err,
		    sizeof(err));
	printf("# refused: %s\n", err);
	CHECK_EQ(r, -1);
	CHECK(!strcmp(err, "2 unresolved imports: ntoskrnl.exe!IoCreateDevice, "
			   "ntoskrnl.exe!KeSetEvent"));
	CHECK(resolver.calls > 50); /* every import asked for, not only those up to the first */

	/* a buffer too small for the list: cut, still terminated */
	memset(&resolver, 0, sizeof(resolver));
	resolver.missing[0] = "IoCreateDevice";
	r = pe_load(shipped, shipped_len, load_base, ROOM, resolve, &resolver, 0, &image, err, 16);
	CHECK_EQ(r, -1);
	CHECK(!strcmp(err, "1 unresolved im"));
}

/* Random damage to the parts the loader parses: refused or loaded, never a wild access. */
static void test_random_damage_survived(void)
{
	struct view v = view_of(shipped);
	uint32_t regions[3][2] = {
		{ 0, rd32(shipped + v.opt + 60) },
		{ file_offset(&v, dir_rva(&v, 5)), dir_size(&v, 5) },
		{ file_offset(&v, dir_rva(&v, 1)), dir_size(&v, 1) },
	};
	uint8_t *copy = malloc(shipped_len);
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned refused = 0, silent = 0;

	for (unsigned round = 0; round < 3000; round++) {
		memcpy(copy, shipped, shipped_len);
		for (unsigned flips = 1 + round % 4; flips; flips--) {
			const uint32_t *region;

			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			region = regions[seed % 3];
			copy[region[0] + (seed >> 8) % region[1]] ^=
				(uint8_t)(1u << (seed >> 40) % 8);
		}
		if (load(copy, shipped_len, 0)) {
			refused++;
			silent += !err[0];
		}
	}
	printf("# %u of 3000 damaged copies refused\n", refused);
	CHECK(refused > 0);
	CHECK_EQ(silent, 0);
	free(copy);
}

int main(int argc, char **argv)
{
	if (!pe_fixture_open(argc, argv, "test_pe_loader PACKAGE_DIR"))
		return 1;
	RUN(test_headers_and_sections_described);
	RUN(test_bytes_match_file);
	RUN(test_relocations_moved_by_delta);
	RUN(test_imports_bound);
	RUN(test_security_cookie_set);
	RUN(test_truncated_refused);
	RUN(test_lfanew_out_of_range_refused);
	RUN(test_raw_data_past_file_refused);
	RUN(test_section_outside_image_refused);
	RUN(test_overlapping_sections_refused);
	RUN(test_other_machine_refused);
	RUN(test_too_little_room_refused);
	RUN(test_unknown_relocation_refused);
	RUN(test_relocation_block_past_directory_refused);
	RUN(test_import_name_without_nul_refused);
	RUN(test_ordinal_import_refused);
	RUN(test_iat_unlike_ilt_refused);
	RUN(test_missing_imports_named);
	RUN(test_random_damage_survived);
	return tap_done();
}
