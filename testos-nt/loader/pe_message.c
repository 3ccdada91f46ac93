/* SPDX-License-Identifier: MIT */
/*
 * The loader's messages: a formatter small enough to need no C library,
 * so that the same code names a bad field in the guest and in the native
 * test.
 */
#include "pe_file.h"

struct pe_out {
	char *buf;
	size_t cap, len;
};

static void put_char(struct pe_out *out, char c)
{
	if (out->len + 1 < out->cap)
		out->buf[out->len++] = c;
}

static void put_string(struct pe_out *out, const char *s)
{
	while (*s)
		put_char(out, *s++);
}

static void put_number(struct pe_out *out, unsigned long long v, unsigned radix)
{
	char digits[24];
	unsigned n = 0;

	do {
		digits[n++] = "0123456789abcdef"[v % radix];
		v /= radix;
	} while (v);
	while (n)
		put_char(out, digits[--n]);
}

static void format_at(char *buf, size_t cap, size_t at, const char *fmt, va_list ap)
{
	struct pe_out out = { buf, cap, at };

	if (!buf || !cap)
		return;
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put_char(&out, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == 's') {
			const char *s = va_arg(ap, const char *);
			put_string(&out, s ? s : "(null)");
		} else if (fmt[0] == 'l' && fmt[1] == 'l' && (fmt[2] == 'u' || fmt[2] == 'x')) {
			put_number(&out, va_arg(ap, unsigned long long), fmt[2] == 'u' ? 10 : 16);
			fmt += 2;
		} else {
			/* "%%", or a conversion this formatter does not know: shown as written */
			put_char(&out, '%');
			if (!*fmt)
				break;
			if (*fmt != '%')
				put_char(&out, *fmt);
		}
	}
	out.buf[out.len] = '\0';
}

void pe_format(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	format_at(buf, cap, 0, fmt, ap);
	va_end(ap);
}

void pe_append(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	size_t at;

	if (!buf || !cap)
		return;
	at = strlen(buf);
	va_start(ap, fmt);
	format_at(buf, cap, at < cap ? at : cap - 1, fmt, ap);
	va_end(ap);
}

int pe_fail(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	format_at(buf, cap, 0, fmt, ap);
	va_end(ap);
	return -1;
}
