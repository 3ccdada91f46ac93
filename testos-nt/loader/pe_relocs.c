/* SPDX-License-Identifier: MIT */
/*
 * Base relocations (PE/COFF ".reloc section"): blocks of 16-bit entries,
 * each a type in the top 4 bits and an offset into the block's 4 KiB page.
 * An AMD64 image needs only DIR64; ABSOLUTE pads a block to 32 bits.
 * Anything else in an AMD64 image is a damaged or foreign file.
 */
#include "pe_file.h"

#define BLOCK_HEADER_SIZE 8u
#define REL_BASED_ABSOLUTE 0
#define REL_BASED_DIR64 10

static const char *relocation_type_name(unsigned type)
{
	static const char *const names[] = {
		"ABSOLUTE",       "HIGH",        "LOW",
		"HIGHLOW",        "HIGHADJ",     "MIPS_JMPADDR/ARM_MOV32",
		"reserved",       "THUMB_MOV32", "RISCV_LOW12S",
		"MIPS_JMPADDR16", "DIR64",
	};

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "unknown";
}

static int apply_block(const struct pe_headers *hdr, uint8_t *image, uint64_t delta, uint32_t block,
		       uint32_t block_size, uint32_t *applied, char *err, size_t cap)
{
	uint32_t page = pe_rd32(image + block);

	for (uint32_t at = BLOCK_HEADER_SIZE; at < block_size; at += 2) {
		uint16_t entry = pe_rd16(image + block + at);
		unsigned type = entry >> 12;
		uint64_t target = (uint64_t)page + (entry & 0xfff);

		if (type == REL_BASED_ABSOLUTE)
			continue;
		if (type != REL_BASED_DIR64)
			return pe_fail(
				err, cap,
				"relocation type %s (%llu) at rva 0x%llx: an AMD64 image has "
				"only DIR64",
				relocation_type_name(type), (unsigned long long)type,
				(unsigned long long)target);
		if (target + 8 > hdr->size_of_image)
			return pe_fail(err, cap,
				       "DIR64 relocation at rva 0x%llx lies outside the image",
				       (unsigned long long)target);
		uint64_t value = pe_rd64(image + target) + delta;
		memcpy(image + target, &value, sizeof(value));
		(*applied)++;
	}
	return 0;
}

int pe_apply_relocations(const struct pe_headers *hdr, uint8_t *image, uint64_t delta,
			 uint32_t *applied, char *err, size_t err_cap)
{
	const struct pe_range *dir = &hdr->dirs[DIR_BASERELOC];
	uint32_t block = dir->rva, end = dir->rva + dir->size;

	*applied = 0;
	while (block < end) {
		uint32_t block_size;

		if (end - block < BLOCK_HEADER_SIZE)
			return pe_fail(err, err_cap,
				       "relocation block at rva 0x%llx: %llu bytes left in the "
				       "directory, too few for its header",
				       (unsigned long long)block,
				       (unsigned long long)(end - block));
		block_size = pe_rd32(image + block + 4);
		if (block_size < BLOCK_HEADER_SIZE || block_size % 2)
			return pe_fail(err, err_cap, "relocation block at rva 0x%llx has size %llu",
				       (unsigned long long)block, (unsigned long long)block_size);
		if (block_size > end - block)
			return pe_fail(
				err, err_cap,
				"relocation block at rva 0x%llx (0x%llx bytes) runs past its "
				"directory's end 0x%llx",
				(unsigned long long)block, (unsigned long long)block_size,
				(unsigned long long)end);
		if (apply_block(hdr, image, delta, block, block_size, applied, err, err_cap))
			return -1;
		block += block_size;
	}
	return 0;
}
