/* SPDX-License-Identifier: MIT */
/*
 * A version-1 Windows catalog (.cat): a PKCS#7 SignedData, not yet
 * signed, whose content is a certificate trust list of file hashes.
 */
#ifndef VGPU_MAKECAT_CATALOG_H
#define VGPU_MAKECAT_CATALOG_H

#include <stddef.h>

#include <openssl/evp.h>

/* Version 1 catalogs list SHA-1 hashes. */
#define CATALOG_DIGEST_LEN 20

struct catalog_member {
	const char *name; /* as the package names it: the "File" attribute */
	int is_pe;        /* Authenticode PE hash, else a hash of the whole file */
	unsigned char digest[CATALOG_DIGEST_LEN];
};

/*
 * The DER catalog listing members (any order: it sorts them as makecat
 * does), with the catalog attribute OSAttr = osattr ("2:10.0").  Returns
 * the length and *der (free with OPENSSL_free), or -1.
 */
int catalog_encode(struct catalog_member *members, size_t count, const char *osattr,
		   unsigned char **der);

#endif
