/* SPDX-License-Identifier: MIT */
/*
 * What the PE loader's native tests share: the vgpu.sys of the package,
 * read here without the loader (the PE/COFF specification's layout), a
 * resolver that gives each imported routine a distinct fake address, and
 * loading at a base far from the preferred one.
 */
#ifndef VGPU_TESTS_NT_PE_FIXTURE_H
#define VGPU_TESTS_NT_PE_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pe_loader.h"

#define PREFERRED_BASE 0x140000000ull
/* Far above the preferred base (every byte of the delta matters), and where ASan leaves room. */
#define LOAD_ADDRESS 0x300000000000ull
#define ROOM (1u << 20)
#define FAKE_ROUTINES 0xfffff80000100000ull
#define MAX_RESOLVED 128

/* The package's vgpu.sys as shipped and with its debug sections; objdump for the reference. */
extern uint8_t *shipped, *unstripped;
extern size_t shipped_len, unstripped_len;
extern const char *objdump;
extern char shipped_path[1024], symbols_path[1024];
extern uint8_t *load_base;

uint16_t rd16(const uint8_t *p);
uint32_t rd32(const uint8_t *p);
uint64_t rd64(const uint8_t *p);
void wr32(uint8_t *p, uint32_t v);
void wr64(uint8_t *p, uint64_t v);

/* Offsets of the headers inside a file. */
struct view {
	uint8_t *file;
	uint32_t fh;  /* COFF file header */
	uint32_t opt; /* optional header */
	uint32_t sections;
	unsigned nsections;
};

struct view view_of(uint8_t *file);
uint8_t *section_header(const struct view *v, unsigned i);
/* The index of a section by name; ends the program if there is none. */
unsigned section_named(const struct view *v, const char *name);
uint32_t dir_rva(const struct view *v, unsigned index);
uint32_t dir_size(const struct view *v, unsigned index);
/* The file offset of an rva inside a section's raw data; ends the program if none. */
uint32_t file_offset(const struct view *v, uint32_t rva);
/* A copy of the shipped file to damage (malloc'd). */
uint8_t *copy_of_shipped(void);

struct resolved {
	char dll[32], name[64];
	uint64_t address;
};

struct resolver {
	struct resolved routines[MAX_RESOLVED];
	unsigned count, calls;
	const char *missing[4]; /* routines "the harness lacks" */
};

/* The pe_load resolver over a struct resolver (ctx): a new fake address per routine. */
uint64_t resolve(void *ctx, const char *dll, const char *name);
uint64_t resolved_address(const struct resolver *r, const char *name);

/* The last load: its resolver, its image and the loader's reason for refusing. */
extern struct resolver resolver;
extern struct pe_image image;
extern char err[512];

/* pe_load of `file` at load_base (filled with 0xcc first). */
int load(const uint8_t *file, size_t len, uint64_t cookie);
/* 0 when the shipped image loads; otherwise the case fails, with the loader's reason. */
int load_shipped(void);
uint64_t delta(void);

uint64_t next_random(uint64_t *state);
/* Flips one random bit in [start, start + size) of `file`. */
void flip_bit(uint8_t *file, uint32_t start, uint32_t size, uint64_t *state);

/*
 * Reads the package named by $VGPU_PACKAGE or argv[1] (objdump: argv[2])
 * and maps the load address; false after a "Bail out!" line.
 */
bool pe_fixture_open(int argc, char **argv, const char *usage);

#endif /* VGPU_TESTS_NT_PE_FIXTURE_H */
