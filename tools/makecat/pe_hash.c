/* SPDX-License-Identifier: MIT */
/*
 * The Authenticode PE hash (Microsoft, "Windows Authenticode Portable
 * Executable Signature Format"): the whole file except the optional
 * header's CheckSum, the certificate table's data directory entry and the
 * certificate table itself, so that a signature embedded later (vgpu.sys
 * is signed before the catalog is made) changes nothing the catalog holds.
 *
 * The specification hashes the headers and then the sections in file
 * order; for an image whose sections follow each other, as linkers write
 * them, that is the same bytes as the file read straight through, which is
 * how this and osslsigncode hash.
 */
#include <stdint.h>

#include "pe_hash.h"

#define PE32_MAGIC 0x10b
#define PE32PLUS_MAGIC 0x20b
#define DIR_SECURITY 4
/* Authenticode signatures start on 8-byte boundaries. */
#define CERT_ALIGN 8

struct pe_layout {
	size_t checksum; /* offset of the 4-byte CheckSum */
	size_t cert_dir; /* offset of the 8-byte certificate table entry */
	size_t hash_end; /* where the certificate table starts, or the file end */
	size_t padding;  /* zeros hashed after an unsigned file's end */
};

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static const char *pe_find_layout(const unsigned char *data, size_t len, struct pe_layout *pe)
{
	if (len < 0x40 || data[0] != 'M' || data[1] != 'Z')
		return "no MZ header";
	size_t nt = le32(data + 0x3c);
	if (nt > len || len - nt < 24 || le32(data + nt) != 0x00004550)
		return "no PE signature";
	size_t opt = nt + 24;
	size_t opt_size = le16(data + nt + 20);
	uint16_t magic = opt + 2 <= len ? le16(data + opt) : 0;
	/* The data directories start at 96 (PE32) or 112 (PE32+) in the optional header. */
	size_t dirs = magic == PE32PLUS_MAGIC ? 112 : magic == PE32_MAGIC ? 96 : 0;
	if (!dirs)
		return "neither PE32 nor PE32+";
	if (opt_size < dirs + 8 * (DIR_SECURITY + 1) || opt + opt_size > len)
		return "the optional header has no certificate table entry";
	if (le32(data + opt + dirs - 4) <= DIR_SECURITY)
		return "the optional header has no certificate table entry";
	pe->checksum = opt + 64;
	pe->cert_dir = opt + dirs + 8 * DIR_SECURITY;
	uint32_t cert_off = le32(data + pe->cert_dir), cert_size = le32(data + pe->cert_dir + 4);
	if (!cert_off && !cert_size) {
		/*
		 * Signing pads the file to 8 bytes and hashes the padding, so an
		 * unsigned file is hashed as if padded: makecat's hash of
		 * osslsigncode's unsigned.exe (96150 bytes) is that one.
		 */
		pe->hash_end = len;
		pe->padding = (CERT_ALIGN - len % CERT_ALIGN) % CERT_ALIGN;
		return NULL;
	}
	/* Anything after the certificate table would be outside every hash. */
	if (cert_off < opt + opt_size || cert_off > len || len - cert_off != cert_size)
		return "the certificate table is not at the end of the file";
	pe->hash_end = cert_off;
	pe->padding = 0;
	return NULL;
}

const char *pe_authenticode_digest(const unsigned char *data, size_t len, const EVP_MD *md,
				   unsigned char *out, unsigned int *out_len)
{
	static const unsigned char zeros[CERT_ALIGN];
	struct pe_layout pe;
	const char *why = pe_find_layout(data, len, &pe);
	if (why)
		return why;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, md, NULL) &&
		 EVP_DigestUpdate(ctx, data, pe.checksum) &&
		 EVP_DigestUpdate(ctx, data + pe.checksum + 4, pe.cert_dir - pe.checksum - 4) &&
		 EVP_DigestUpdate(ctx, data + pe.cert_dir + 8, pe.hash_end - pe.cert_dir - 8) &&
		 EVP_DigestUpdate(ctx, zeros, pe.padding) && EVP_DigestFinal_ex(ctx, out, out_len);
	EVP_MD_CTX_free(ctx);
	return ok ? NULL : "the hash failed (libcrypto)";
}
