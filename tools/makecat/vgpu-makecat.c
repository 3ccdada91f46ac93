/* SPDX-License-Identifier: MIT */
/*
 * vgpu-makecat: the driver package's catalog (vgpu.cat), unsigned, made
 * on Linux from the package's final files.
 *
 *   vgpu-makecat --osattr 2:10.0 -o OUT.cat FILE...
 *
 * Each FILE becomes a member named by its base name: .sys, .dll and .exe
 * files by their Authenticode PE hash, others (the INF) by the hash of
 * their bytes.  osslsigncode signs the result (packaging/make-package.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "catalog.h"
#include "pe_hash.h"

static int usage(void)
{
	fprintf(stderr, "usage: vgpu-makecat --osattr OSATTR -o OUT.cat FILE...\n");
	return 2;
}

static unsigned char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long size = -1;
	if (f && fseek(f, 0, SEEK_END) == 0)
		size = ftell(f);
	if (size >= 0 && fseek(f, 0, SEEK_SET) == 0)
		buf = malloc(size ? (size_t)size : 1);
	if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	*len = (size_t)size;
	return buf;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Windows picks the PE subject interface package for these. */
static int is_pe_name(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot &&
	       (!strcasecmp(dot, ".sys") || !strcasecmp(dot, ".dll") || !strcasecmp(dot, ".exe"));
}

/* Catalog names are stored as UTF-16 from ASCII here; anything else is refused. */
static int is_ascii_name(const char *name)
{
	for (; *name; name++)
		if ((unsigned char)*name < 0x20 || (unsigned char)*name > 0x7e)
			return 0;
	return 1;
}

static int hash_member(const char *path, struct catalog_member *m)
{
	size_t len;
	unsigned char *data = read_all(path, &len);
	if (!data) {
		perror(path);
		return 0;
	}
	m->name = base_name(path);
	m->is_pe = is_pe_name(m->name);
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len = 0;
	const char *why = NULL;
	if (m->is_pe)
		why = pe_authenticode_digest(data, len, EVP_sha1(), digest, &digest_len);
	else if (!EVP_Digest(data, len, digest, &digest_len, EVP_sha1(), NULL))
		why = "the hash failed (libcrypto)";
	free(data);
	if (!why && !is_ascii_name(m->name))
		why = "the name is not printable ASCII";
	if (why) {
		fprintf(stderr, "vgpu-makecat: %s: %s\n", path, why);
		return 0;
	}
	memcpy(m->digest, digest, CATALOG_DIGEST_LEN);
	return 1;
}

/* Identical files would be one identifier twice; makecat refuses that too. */
static int has_duplicate(const struct catalog_member *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (!memcmp(m[i].digest, m[j].digest, CATALOG_DIGEST_LEN) ||
			    !strcasecmp(m[i].name, m[j].name)) {
				fprintf(stderr,
					"vgpu-makecat: %s and %s: the same name or contents\n",
					m[i].name, m[j].name);
				return 1;
			}
	return 0;
}

static int write_all(const char *path, const unsigned char *der, int len)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(der, 1, (size_t)len, f) == (size_t)len;
	if (f && fclose(f) != 0)
		ok = 0;
	if (!ok)
		perror(path);
	return ok;
}

int main(int argc, char **argv)
{
	if (argc < 6 || strcmp(argv[1], "--osattr") || strcmp(argv[3], "-o"))
		return usage();
	const char *osattr = argv[2], *out = argv[4];
	size_t count = (size_t)argc - 5;
	struct catalog_member *members = calloc(count, sizeof(*members));
	int ok = members != NULL;
	for (size_t i = 0; ok && i < count; i++)
		ok = hash_member(argv[5 + i], &members[i]);
	ok = ok && !has_duplicate(members, count);
	unsigned char *der = NULL;
	int len = ok ? catalog_encode(members, count, osattr, &der) : -1;
	if (ok && len < 0)
		fprintf(stderr, "vgpu-makecat: encoding the catalog failed (libcrypto)\n");
	ok = len > 0 && write_all(out, der, len);
	OPENSSL_free(der);
	free(members);
	return ok ? 0 : 1;
}
