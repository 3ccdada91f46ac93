/* SPDX-License-Identifier: MIT */
/* The PE loader tests' fixture: see pe_fixture.h. */
#include "pe_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tap.h"

uint8_t *shipped, *unstripped;
size_t shipped_len, unstripped_len;
const char *objdump;
char shipped_path[1024], symbols_path[1024];
uint8_t *load_base;
struct resolver resolver;
struct pe_image image;
char err[512];

uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

void wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

void wr64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

struct view view_of(uint8_t *file)
{
	struct view v = { .file = file };

	v.fh = rd32(file + 0x3c) + 4;
	v.opt = v.fh + 20;
	v.sections = v.opt + rd16(file + v.fh + 16);
	v.nsections = rd16(file + v.fh + 2);
	return v;
}

uint8_t *section_header(const struct view *v, unsigned i)
{
	return v->file + v->sections + i * 40;
}

unsigned section_named(const struct view *v, const char *name)
{
	for (unsigned i = 0; i < v->nsections; i++) {
		if (!strncmp((const char *)section_header(v, i), name, 8))
			return i;
	}
	printf("# no section %s\n", name);
	exit(1);
}

uint32_t dir_rva(const struct view *v, unsigned index)
{
	return rd32(v->file + v->opt + 112 + index * 8);
}

uint32_t dir_size(const struct view *v, unsigned index)
{
	return rd32(v->file + v->opt + 112 + index * 8 + 4);
}

/* The file offset of an rva inside a section's raw data. */
uint32_t file_offset(const struct view *v, uint32_t rva)
{
	for (unsigned i = 0; i < v->nsections; i++) {
		const uint8_t *sh = section_header(v, i);
		uint32_t va = rd32(sh + 12), raw = rd32(sh + 16);

		if (rva >= va && rva < va + raw)
			return rd32(sh + 20) + (rva - va);
	}
	printf("# rva 0x%x is in no section's raw data\n", rva);
	exit(1);
}

uint8_t *copy_of_shipped(void)
{
	uint8_t *copy = malloc(shipped_len);

	memcpy(copy, shipped, shipped_len);
	return copy;
}

uint64_t resolve(void *ctx, const char *dll, const char *name)
{
	struct resolver *r = ctx;
	struct resolved *e;

	r->calls++;
	for (unsigned i = 0; i < 4 && r->missing[i]; i++) {
		if (!strcmp(name, r->missing[i]))
			return 0;
	}
	for (unsigned i = 0; i < r->count; i++) {
		if (!strcmp(r->routines[i].name, name) && !strcmp(r->routines[i].dll, dll))
			return r->routines[i].address;
	}
	if (r->count == MAX_RESOLVED)
		return 0;
	e = &r->routines[r->count];
	snprintf(e->dll, sizeof(e->dll), "%s", dll);
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->address = FAKE_ROUTINES + 0x40ull * r->count++;
	return e->address;
}

uint64_t resolved_address(const struct resolver *r, const char *name)
{
	for (unsigned i = 0; i < r->count; i++) {
		if (!strcmp(r->routines[i].name, name))
			return r->routines[i].address;
	}
	return 0;
}

/* ---- loading ---------------------------------------------------------------------- */

int load(const uint8_t *file, size_t len, uint64_t cookie)
{
	memset(&resolver, 0, sizeof(resolver));
	memset(err, 0, sizeof(err));
	memset(load_base, 0xcc, ROOM); /* the loader must zero what the file leaves out */
	return pe_load(file, len, load_base, ROOM, resolve, &resolver, cookie, &image, err,
		       sizeof(err));
}

int load_shipped(void)
{
	int r = load(shipped, shipped_len, 0);

	if (r)
		printf("# pe_load: %s\n", err);
	CHECK_EQ(r, 0);
	return r;
}

uint64_t delta(void)
{
	return (uint64_t)(uintptr_t)load_base - PREFERRED_BASE;
}

uint64_t next_random(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

void flip_bit(uint8_t *file, uint32_t start, uint32_t size, uint64_t *state)
{
	uint64_t r = next_random(state);

	file[start + (r >> 8) % size] ^= (uint8_t)(1u << (r >> 40) % 8);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long size;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	buf = malloc((size_t)size);
	if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)size;
	return buf;
}

bool pe_fixture_open(int argc, char **argv, const char *usage)
{
	const char *package = getenv("VGPU_PACKAGE");

	if (!package && argc > 1)
		package = argv[1];
	objdump = argc > 2 ? argv[2] : "x86_64-w64-mingw32-objdump";
	if (!package) {
		printf("Bail out! usage: %s\n", usage);
		return false;
	}
	snprintf(shipped_path, sizeof(shipped_path), "%s/vgpu-win64/vgpu.sys", package);
	snprintf(symbols_path, sizeof(symbols_path), "%s/symbols/vgpu.sys", package);
	shipped = read_file(shipped_path, &shipped_len);
	unstripped = read_file(symbols_path, &unstripped_len);
	if (!shipped || !unstripped) {
		printf("Bail out! no %s (make package builds it)\n",
		       shipped ? symbols_path : shipped_path);
		return false;
	}
	load_base = mmap((void *)(uintptr_t)LOAD_ADDRESS, ROOM, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (load_base == MAP_FAILED) {
		printf("Bail out! cannot map the load address 0x%llx\n", LOAD_ADDRESS);
		return false;
	}
	printf("# %s (%zu bytes) loaded at %p\n", shipped_path, shipped_len, (void *)load_base);
	return true;
}
