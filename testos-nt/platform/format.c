/* SPDX-License-Identifier: MIT */
/*
 * The printf engine behind con_printf and str_format: the conversions
 * platform.h lists, no floating point.  Output goes to a bounded buffer;
 * the console drains it whenever it fills.
 */
#include "format.h"

#include <stdbool.h>

struct conversion {
	unsigned width;
	bool zero_pad, left;
	char size; /* 'H' hh, 'h', 0 int, 'l', 'L' ll, 'z' */
};

static void put(struct format_out *out, char c)
{
	if (out->len + 1 >= out->cap && out->drain)
		out->drain(out);
	if (out->len + 1 < out->cap)
		out->buf[out->len] = c;
	out->len++;
	out->total++;
}

static void pad(struct format_out *out, char c, unsigned count)
{
	while (count--)
		put(out, c);
}

static void put_padded(struct format_out *out, const char *s, unsigned len,
		       const struct conversion *c)
{
	if (!c->left && len < c->width)
		pad(out, ' ', c->width - len);
	for (unsigned i = 0; i < len; i++)
		put(out, s[i]);
	if (c->left && len < c->width)
		pad(out, ' ', c->width - len);
}

static void put_text(struct format_out *out, const char *s, const struct conversion *c)
{
	unsigned len = 0;

	if (!s)
		s = "(null)";
	while (s[len])
		len++;
	put_padded(out, s, len, c);
}

static void put_number(struct format_out *out, uint64_t value, unsigned base, bool upper,
		       const char *prefix, const struct conversion *c)
{
	const char *digit_chars = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char digits[24];
	unsigned n = 0, prefix_len = 0, len;

	do {
		digits[n++] = digit_chars[value % base];
		value /= base;
	} while (value);
	while (prefix[prefix_len])
		prefix_len++;
	len = n + prefix_len;
	if (!c->left && !c->zero_pad && len < c->width)
		pad(out, ' ', c->width - len);
	for (unsigned i = 0; i < prefix_len; i++)
		put(out, prefix[i]);
	if (!c->left && c->zero_pad && len < c->width)
		pad(out, '0', c->width - len);
	while (n)
		put(out, digits[--n]);
	if (c->left && len < c->width)
		pad(out, ' ', c->width - len);
}

static uint64_t take_unsigned(va_list *ap, char size)
{
	switch (size) {
	case 'H':
		return (unsigned char)va_arg(*ap, unsigned int);
	case 'h':
		return (unsigned short)va_arg(*ap, unsigned int);
	case 'l':
		return va_arg(*ap, unsigned long);
	case 'L':
		return va_arg(*ap, unsigned long long);
	case 'z':
		return va_arg(*ap, size_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

static int64_t take_signed(va_list *ap, char size)
{
	switch (size) {
	case 'H':
		return (signed char)va_arg(*ap, int);
	case 'h':
		return (short)va_arg(*ap, int);
	case 'l':
		return va_arg(*ap, long);
	case 'L':
		return va_arg(*ap, long long);
	case 'z':
		return va_arg(*ap, long long); /* ssize_t: size_t's width */
	default:
		return va_arg(*ap, int);
	}
}

/* Flags, width and size of the conversion at *fmt (just past the '%'). */
static const char *parse_conversion(const char *fmt, struct conversion *c)
{
	*c = (struct conversion){ 0 };
	for (;; fmt++) {
		if (*fmt == '0')
			c->zero_pad = true;
		else if (*fmt == '-')
			c->left = true;
		else
			break;
	}
	while (*fmt >= '0' && *fmt <= '9' && c->width < 1000)
		c->width = c->width * 10 + (unsigned)(*fmt++ - '0');
	if (*fmt == 'h') {
		c->size = fmt[1] == 'h' ? 'H' : 'h';
		fmt += c->size == 'H' ? 2 : 1;
	} else if (*fmt == 'l') {
		c->size = fmt[1] == 'l' ? 'L' : 'l';
		fmt += c->size == 'L' ? 2 : 1;
	} else if (*fmt == 'z') {
		c->size = 'z';
		fmt++;
	}
	return fmt;
}

static void put_conversion(struct format_out *out, char spec, const struct conversion *c,
			   va_list *ap)
{
	char one;
	int64_t s;

	switch (spec) {
	case 'c':
		one = (char)va_arg(*ap, int);
		put_padded(out, &one, 1, c);
		break;
	case 's':
		put_text(out, va_arg(*ap, const char *), c);
		break;
	case 'd':
	case 'i':
		s = take_signed(ap, c->size);
		put_number(out, s < 0 ? 0 - (uint64_t)s : (uint64_t)s, 10, false, s < 0 ? "-" : "",
			   c);
		break;
	case 'u':
		put_number(out, take_unsigned(ap, c->size), 10, false, "", c);
		break;
	case 'x':
	case 'X':
		put_number(out, take_unsigned(ap, c->size), 16, spec == 'X', "", c);
		break;
	case 'o':
		put_number(out, take_unsigned(ap, c->size), 8, false, "", c);
		break;
	case 'p':
		put_number(out, (uintptr_t)va_arg(*ap, void *), 16, false, "0x", c);
		break;
	case '%':
		put(out, '%');
		break;
	default: /* not ours: show it rather than guess at its argument */
		put(out, '%');
		put(out, spec);
		break;
	}
}

void format_run(struct format_out *out, const char *fmt, va_list ap)
{
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		struct conversion c;

		if (*fmt != '%') {
			put(out, *fmt++);
			continue;
		}
		fmt = parse_conversion(fmt + 1, &c);
		if (!*fmt)
			break;
		put_conversion(out, *fmt++, &c, &args);
	}
	va_end(args);
	if (out->cap)
		out->buf[out->len < out->cap ? out->len : out->cap - 1] = '\0';
}

int str_vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
	struct format_out out = { .buf = buf, .cap = cap };

	format_run(&out, fmt, ap);
	return (int)out.total;
}

int str_format(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = str_vformat(buf, cap, fmt, ap);
	va_end(ap);
	return n;
}
