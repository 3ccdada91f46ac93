/* SPDX-License-Identifier: MIT */
/*
 * The Authenticode hash of a PE image: what a catalog lists for .sys, .dll
 * and .exe members, and what Windows recomputes when it checks them.
 */
#ifndef VGPU_MAKECAT_PE_HASH_H
#define VGPU_MAKECAT_PE_HASH_H

#include <stddef.h>

#include <openssl/evp.h>

/*
 * Hashes data[0..len) with md into out (EVP_MAX_MD_SIZE bytes), *out_len
 * set.  Returns NULL, or why the image cannot be hashed.
 */
const char *pe_authenticode_digest(const unsigned char *data, size_t len, const EVP_MD *md,
				   unsigned char *out, unsigned int *out_len);

#endif
