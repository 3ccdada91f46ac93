/* SPDX-License-Identifier: MIT */
/*
 * The catalog's ASN.1, as makecat writes version 1 (the layout is in
 * docs/windows.md, section 4, "The catalog"): a CTL of members, each an
 * identifier (its hash as upper-case hex, UTF-16LE, NUL-terminated) with
 * its attributes - the file's name and OSAttr, which SIP hashes it
 * (MemberInfo v1) and the hash itself as Authenticode's SPC_INDIRECT_DATA
 * - plus the catalog attribute OSAttr, wrapped in an unsigned PKCS#7
 * SignedData for osslsigncode to sign.  Members are sorted by identifier,
 * as makecat sorts them.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1t.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "catalog.h"

#define OID_CTL "1.3.6.1.4.1.311.10.1"
#define OID_CATALOG_LIST "1.3.6.1.4.1.311.12.1.1"
#define OID_CATALOG_V1 "1.3.6.1.4.1.311.12.1.2"
#define OID_NAME_VALUE "1.3.6.1.4.1.311.12.2.1"
#define OID_MEMBER_INFO "1.3.6.1.4.1.311.12.2.2"
#define OID_INDIRECT_DATA "1.3.6.1.4.1.311.2.1.4"
#define OID_PE_IMAGE_DATA "1.3.6.1.4.1.311.2.1.15"
#define OID_FLAT_DATA "1.3.6.1.4.1.311.2.1.25"

/* The subject interface packages that hash PE images and any other file. */
#define SIP_PE "{C689AAB8-8E78-11D0-8C47-00C04FC295EE}"
#define SIP_FLAT "{DE351A42-8E59-11D0-8C47-00C04FC295EE}"
#define MEMBER_INFO_CERT_VERSION 512
/* CRYPTCAT_ATTR_NAMEASCII | CRYPTCAT_ATTR_DATAASCII | AUTHENTICATED, as makecat stores it. */
#define NAME_VALUE_FLAGS 0x10010001
#define LIST_ID_LEN 16

/*
 * The SpcLink values makecat leaves in place of a file link: for PE images
 * SpcPeImageData { flags BIT STRING (none), [0] file [2] unicode [0]
 * "<<<Obsolete>>>" }, for flat files the bare link [2] { [0] "" }.
 */
static const unsigned char pe_image_data[] = {
	0x30, 0x25, 0x03, 0x01, 0x00, 0xa0, 0x20, 0xa2, 0x1e, 0x80, 0x1c, 0x00, 0x3c,
	0x00, 0x3c, 0x00, 0x3c, 0x00, 0x4f, 0x00, 0x62, 0x00, 0x73, 0x00, 0x6f, 0x00,
	0x6c, 0x00, 0x65, 0x00, 0x74, 0x00, 0x65, 0x00, 0x3e, 0x00, 0x3e, 0x00, 0x3e,
};
static const unsigned char flat_link[] = { 0xa2, 0x02, 0x80, 0x00 };

typedef struct {
	ASN1_BMPSTRING *name;
	ASN1_INTEGER *flags;
	ASN1_OCTET_STRING *value;
} CatNameValue;

ASN1_SEQUENCE(CatNameValue) = {
	ASN1_SIMPLE(CatNameValue, name, ASN1_BMPSTRING),
	ASN1_SIMPLE(CatNameValue, flags, ASN1_INTEGER),
	ASN1_SIMPLE(CatNameValue, value, ASN1_OCTET_STRING),
} static_ASN1_SEQUENCE_END(CatNameValue)

typedef struct {
	ASN1_BMPSTRING *sip;
	ASN1_INTEGER *cert_version;
} CatMemberInfo;

ASN1_SEQUENCE(CatMemberInfo) = {
	ASN1_SIMPLE(CatMemberInfo, sip, ASN1_BMPSTRING),
	ASN1_SIMPLE(CatMemberInfo, cert_version, ASN1_INTEGER),
} static_ASN1_SEQUENCE_END(CatMemberInfo)

typedef struct {
	ASN1_OBJECT *type;
	ASN1_TYPE *value;
} SpcTypeAndValue;

ASN1_SEQUENCE(SpcTypeAndValue) = {
	ASN1_SIMPLE(SpcTypeAndValue, type, ASN1_OBJECT),
	ASN1_OPT(SpcTypeAndValue, value, ASN1_ANY),
} static_ASN1_SEQUENCE_END(SpcTypeAndValue)

typedef struct {
	X509_ALGOR *algorithm;
	ASN1_OCTET_STRING *digest;
} SpcDigestInfo;

ASN1_SEQUENCE(SpcDigestInfo) = {
	ASN1_SIMPLE(SpcDigestInfo, algorithm, X509_ALGOR),
	ASN1_SIMPLE(SpcDigestInfo, digest, ASN1_OCTET_STRING),
} static_ASN1_SEQUENCE_END(SpcDigestInfo)

typedef struct {
	SpcTypeAndValue *data;
	SpcDigestInfo *digest;
} SpcIndirectData;

ASN1_SEQUENCE(SpcIndirectData) = {
	ASN1_SIMPLE(SpcIndirectData, data, SpcTypeAndValue),
	ASN1_SIMPLE(SpcIndirectData, digest, SpcDigestInfo),
} static_ASN1_SEQUENCE_END(SpcIndirectData)

typedef struct {
	ASN1_OCTET_STRING *identifier;
	STACK_OF(X509_ATTRIBUTE) * attributes;
} CatMember;

ASN1_SEQUENCE(CatMember) = {
	ASN1_SIMPLE(CatMember, identifier, ASN1_OCTET_STRING),
	ASN1_SET_OF(CatMember, attributes, X509_ATTRIBUTE),
} static_ASN1_SEQUENCE_END(CatMember)

DEFINE_STACK_OF(CatMember)

typedef struct {
	STACK_OF(ASN1_OBJECT) * usage;
	ASN1_OCTET_STRING *list_id;
	ASN1_UTCTIME *this_update;
	X509_ALGOR *algorithm;
	STACK_OF(CatMember) * members;
	STACK_OF(X509_EXTENSION) * attributes;
} CatCtl;

ASN1_SEQUENCE(CatCtl) = {
	ASN1_SEQUENCE_OF(CatCtl, usage, ASN1_OBJECT),
	ASN1_SIMPLE(CatCtl, list_id, ASN1_OCTET_STRING),
	ASN1_SIMPLE(CatCtl, this_update, ASN1_UTCTIME),
	ASN1_SIMPLE(CatCtl, algorithm, X509_ALGOR),
	ASN1_SEQUENCE_OF(CatCtl, members, CatMember),
	ASN1_EXP_SEQUENCE_OF(CatCtl, attributes, X509_EXTENSION, 0),
} static_ASN1_SEQUENCE_END(CatCtl)

#define NEW(type) ((type *)ASN1_item_new(ASN1_ITEM_rptr(type)))

static ASN1_BMPSTRING *bmp(const char *ascii)
{
	ASN1_STRING *s = NULL;
	if (ASN1_mbstring_copy(&s, (const unsigned char *)ascii, -1, MBSTRING_ASC,
			       B_ASN1_BMPSTRING) < 0)
		return NULL;
	return s;
}

/* Names and values inside catalogs are UTF-16LE strings with their NUL. */
static int set_wide(ASN1_OCTET_STRING *s, const char *ascii)
{
	size_t n = strlen(ascii) + 1;
	unsigned char *buf = OPENSSL_zalloc(2 * n);
	if (!buf)
		return 0;
	for (size_t i = 0; i < n; i++)
		buf[2 * i] = (unsigned char)ascii[i];
	ASN1_STRING_set0(s, buf, (int)(2 * n));
	return 1;
}

/* Any value as an attribute of type oid; frees the value. */
static X509_ATTRIBUTE *attribute(const char *oid, const ASN1_ITEM *it, ASN1_VALUE *value)
{
	unsigned char *der = NULL;
	int len = value ? ASN1_item_i2d(value, &der, it) : -1;
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	X509_ATTRIBUTE *a =
		len > 0 && obj ? X509_ATTRIBUTE_create_by_OBJ(NULL, obj, V_ASN1_SEQUENCE, der, len)
			       : NULL;
	ASN1_OBJECT_free(obj);
	OPENSSL_free(der);
	ASN1_item_free(value, it);
	return a;
}

static CatNameValue *name_value(const char *name, const char *value)
{
	CatNameValue *nv = NEW(CatNameValue);
	if (!nv)
		return NULL;
	ASN1_BMPSTRING_free(nv->name);
	nv->name = bmp(name);
	if (!nv->name || !ASN1_INTEGER_set(nv->flags, NAME_VALUE_FLAGS) ||
	    !set_wide(nv->value, value)) {
		ASN1_item_free((ASN1_VALUE *)nv, ASN1_ITEM_rptr(CatNameValue));
		return NULL;
	}
	return nv;
}

static CatMemberInfo *member_info(int is_pe)
{
	CatMemberInfo *mi = NEW(CatMemberInfo);
	if (!mi)
		return NULL;
	ASN1_BMPSTRING_free(mi->sip);
	mi->sip = bmp(is_pe ? SIP_PE : SIP_FLAT);
	if (!mi->sip || !ASN1_INTEGER_set(mi->cert_version, MEMBER_INFO_CERT_VERSION)) {
		ASN1_item_free((ASN1_VALUE *)mi, ASN1_ITEM_rptr(CatMemberInfo));
		return NULL;
	}
	return mi;
}

/* The link bytes as an ANY whose encoding is kept as it is. */
static ASN1_TYPE *raw_any(int type, const unsigned char *der, int len)
{
	ASN1_TYPE *t = ASN1_TYPE_new();
	ASN1_STRING *s = ASN1_STRING_type_new(type);
	if (!t || !s || !ASN1_STRING_set(s, der, len)) {
		ASN1_TYPE_free(t);
		ASN1_STRING_free(s);
		return NULL;
	}
	ASN1_TYPE_set(t, type, s);
	return t;
}

static SpcIndirectData *indirect_data(const struct catalog_member *m)
{
	SpcIndirectData *id = NEW(SpcIndirectData);
	if (!id)
		return NULL;
	id->data->type = OBJ_txt2obj(m->is_pe ? OID_PE_IMAGE_DATA : OID_FLAT_DATA, 1);
	id->data->value = m->is_pe ? raw_any(V_ASN1_SEQUENCE, pe_image_data, sizeof(pe_image_data))
				   : raw_any(V_ASN1_OTHER, flat_link, sizeof(flat_link));
	if (!id->data->type || !id->data->value ||
	    !X509_ALGOR_set0(id->digest->algorithm, OBJ_nid2obj(NID_sha1), V_ASN1_NULL, NULL) ||
	    !ASN1_OCTET_STRING_set(id->digest->digest, m->digest, CATALOG_DIGEST_LEN)) {
		ASN1_item_free((ASN1_VALUE *)id, ASN1_ITEM_rptr(SpcIndirectData));
		return NULL;
	}
	return id;
}

static int push_attribute(STACK_OF(X509_ATTRIBUTE) * attrs, X509_ATTRIBUTE *a)
{
	if (a && sk_X509_ATTRIBUTE_push(attrs, a))
		return 1;
	X509_ATTRIBUTE_free(a);
	return 0;
}

static CatMember *member(const struct catalog_member *m, const char *osattr)
{
	static const char hex[] = "0123456789ABCDEF";
	char id[2 * CATALOG_DIGEST_LEN + 1];
	for (int i = 0; i < CATALOG_DIGEST_LEN; i++) {
		id[2 * i] = hex[m->digest[i] >> 4];
		id[2 * i + 1] = hex[m->digest[i] & 15];
	}
	id[2 * CATALOG_DIGEST_LEN] = 0;
	CatMember *cm = NEW(CatMember);
	/* Inf2Cat gives each member the OS attribute too, besides the catalog. */
	int ok = cm && set_wide(cm->identifier, id) &&
		 push_attribute(cm->attributes,
				attribute(OID_NAME_VALUE, ASN1_ITEM_rptr(CatNameValue),
					  (ASN1_VALUE *)name_value("File", m->name))) &&
		 push_attribute(cm->attributes,
				attribute(OID_NAME_VALUE, ASN1_ITEM_rptr(CatNameValue),
					  (ASN1_VALUE *)name_value("OSAttr", osattr))) &&
		 push_attribute(cm->attributes,
				attribute(OID_MEMBER_INFO, ASN1_ITEM_rptr(CatMemberInfo),
					  (ASN1_VALUE *)member_info(m->is_pe))) &&
		 push_attribute(cm->attributes,
				attribute(OID_INDIRECT_DATA, ASN1_ITEM_rptr(SpcIndirectData),
					  (ASN1_VALUE *)indirect_data(m)));
	if (!ok) {
		ASN1_item_free((ASN1_VALUE *)cm, ASN1_ITEM_rptr(CatMember));
		return NULL;
	}
	return cm;
}

/* A catalog attribute is stored as an extension whose value is the DER NameValue. */
static X509_EXTENSION *catalog_attribute(const char *name, const char *value)
{
	CatNameValue *nv = name_value(name, value);
	unsigned char *der = NULL;
	int len = nv ? ASN1_item_i2d((ASN1_VALUE *)nv, &der, ASN1_ITEM_rptr(CatNameValue)) : -1;
	ASN1_item_free((ASN1_VALUE *)nv, ASN1_ITEM_rptr(CatNameValue));
	ASN1_OBJECT *obj = OBJ_txt2obj(OID_NAME_VALUE, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	if (len > 0 && obj && os && ASN1_OCTET_STRING_set(os, der, len))
		ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
	ASN1_OBJECT_free(obj);
	ASN1_OCTET_STRING_free(os);
	OPENSSL_free(der);
	return ext;
}

static int by_digest(const void *a, const void *b)
{
	const struct catalog_member *x = a, *y = b;
	return memcmp(x->digest, y->digest, CATALOG_DIGEST_LEN);
}

static int ctl_header(CatCtl *ctl)
{
	unsigned char list_id[LIST_ID_LEN];
	ASN1_OBJECT *usage = OBJ_txt2obj(OID_CATALOG_LIST, 1);
	if (!usage || !sk_ASN1_OBJECT_push(ctl->usage, usage)) {
		ASN1_OBJECT_free(usage);
		return 0;
	}
	return RAND_bytes(list_id, sizeof(list_id)) == 1 &&
	       ASN1_OCTET_STRING_set(ctl->list_id, list_id, sizeof(list_id)) &&
	       ASN1_UTCTIME_set(ctl->this_update, time(NULL)) &&
	       X509_ALGOR_set0(ctl->algorithm, OBJ_txt2obj(OID_CATALOG_V1, 1), V_ASN1_NULL, NULL);
}

static CatCtl *ctl_new(struct catalog_member *members, size_t count, const char *osattr)
{
	CatCtl *ctl = NEW(CatCtl);
	if (!ctl)
		return NULL;
	/* Optional in the template, so not made by NEW. */
	ctl->attributes = sk_X509_EXTENSION_new_null();
	int ok = ctl->attributes && ctl_header(ctl);
	qsort(members, count, sizeof(*members), by_digest);
	for (size_t i = 0; ok && i < count; i++) {
		CatMember *cm = member(&members[i], osattr);
		ok = cm && sk_CatMember_push(ctl->members, cm);
		if (!ok)
			ASN1_item_free((ASN1_VALUE *)cm, ASN1_ITEM_rptr(CatMember));
	}
	X509_EXTENSION *os = ok ? catalog_attribute("OSAttr", osattr) : NULL;
	if (!os || !sk_X509_EXTENSION_push(ctl->attributes, os)) {
		X509_EXTENSION_free(os);
		ASN1_item_free((ASN1_VALUE *)ctl, ASN1_ITEM_rptr(CatCtl));
		return NULL;
	}
	return ctl;
}

/* SignedData { version 1, no digest algorithms, CTL content, no signers }. */
static PKCS7 *signed_data(const unsigned char *ctl_der, int len)
{
	PKCS7 *p7 = PKCS7_new(), *content = PKCS7_new();
	int ok = p7 && content && PKCS7_set_type(p7, NID_pkcs7_signed);
	if (ok) {
		content->type = OBJ_txt2obj(OID_CTL, 1);
		content->d.other = raw_any(V_ASN1_SEQUENCE, ctl_der, len);
		ok = content->type && content->d.other;
	}
	if (!ok || !PKCS7_set_content(p7, content)) {
		PKCS7_free(content);
		PKCS7_free(p7);
		return NULL;
	}
	return p7;
}

int catalog_encode(struct catalog_member *members, size_t count, const char *osattr,
		   unsigned char **der)
{
	CatCtl *ctl = ctl_new(members, count, osattr);
	unsigned char *ctl_der = NULL;
	int len = ctl ? ASN1_item_i2d((ASN1_VALUE *)ctl, &ctl_der, ASN1_ITEM_rptr(CatCtl)) : -1;
	ASN1_item_free((ASN1_VALUE *)ctl, ASN1_ITEM_rptr(CatCtl));
	PKCS7 *p7 = len > 0 ? signed_data(ctl_der, len) : NULL;
	OPENSSL_free(ctl_der);
	*der = NULL;
	len = p7 ? i2d_PKCS7(p7, der) : -1;
	PKCS7_free(p7);
	return len > 0 ? len : -1;
}
