/* SPDX-License-Identifier: MIT */
/*
 * Counted UTF-16 strings the I/O manager hands to drivers (driver and
 * registry names, file names) and reads from them (interface names).
 * Kept NUL-terminated, as Windows' own are, though drivers must not rely
 * on it.
 */
#include "io_internal.h"

bool io_ustring_from_ascii(UNICODE_STRING *out, const char *s)
{
	size_t n = strlen(s);
	WCHAR *buf;

	if ((n + 1) * sizeof(WCHAR) > 0xFFFEu)
		return false;
	buf = nt_pool_alloc_harness(NonPagedPoolNx, (n + 1) * sizeof(WCHAR), IO_TAG_NAME);
	for (size_t i = 0; i < n; i++)
		buf[i] = (WCHAR)(unsigned char)s[i];
	buf[n] = 0;
	out->Buffer = buf;
	out->Length = (USHORT)(n * sizeof(WCHAR));
	out->MaximumLength = (USHORT)((n + 1) * sizeof(WCHAR));
	return true;
}

void io_ustring_free(UNICODE_STRING *s)
{
	if (s->Buffer)
		nt_pool_free_harness(s->Buffer);
	s->Buffer = NULL;
	s->Length = s->MaximumLength = 0;
}

void io_ascii_from_utf16(char *out, size_t cap, const WCHAR *s, size_t chars)
{
	size_t i;

	if (cap == 0)
		return;
	for (i = 0; i < chars && i + 1 < cap; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7F ? (char)s[i] : '?';
	out[i] = 0;
}

size_t io_wcslen(const WCHAR *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static WCHAR upper(WCHAR c)
{
	return c >= 'a' && c <= 'z' ? (WCHAR)(c - 'a' + 'A') : c;
}

/* Object names compare without regard to ASCII case, as the object manager's do. */
bool io_wcs_equal_nocase(const WCHAR *a, const WCHAR *b, size_t chars)
{
	for (size_t i = 0; i < chars; i++) {
		if (upper(a[i]) != upper(b[i]))
			return false;
	}
	return true;
}
