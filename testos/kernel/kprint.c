/* SPDX-License-Identifier: MIT */
#include "kprint.h"

#include <stdbool.h>
#include <stdint.h>

#include "com1.h"

struct conversion {
	uint32_t width;
	bool zero_pad;
	uint32_t longs; /* number of 'l' modifiers */
};

static void put_string(const char *s)
{
	if (!s)
		s = "(null)";
	while (*s)
		serial_putc(*s++);
}

static void put_number(uint64_t value, uint32_t base, bool negative, const struct conversion *c)
{
	char digits[24];
	uint32_t n = 0, len;

	do {
		digits[n++] = "0123456789abcdef"[value % base];
		value /= base;
	} while (value && n < sizeof(digits));
	len = n + (negative ? 1u : 0u);
	if (negative && c->zero_pad)
		serial_putc('-');
	for (; len < c->width; len++)
		serial_putc(c->zero_pad ? '0' : ' ');
	if (negative && !c->zero_pad)
		serial_putc('-');
	while (n)
		serial_putc(digits[--n]);
}

static uint64_t take_unsigned(va_list *ap, uint32_t longs)
{
	if (longs >= 2)
		return va_arg(*ap, unsigned long long);
	if (longs == 1)
		return va_arg(*ap, unsigned long);
	return va_arg(*ap, unsigned int);
}

static int64_t take_signed(va_list *ap, uint32_t longs)
{
	if (longs >= 2)
		return va_arg(*ap, long long);
	if (longs == 1)
		return va_arg(*ap, long);
	return va_arg(*ap, int);
}

/* Parse flags, width and length of the conversion at *fmt (just past the '%'). */
static const char *parse_conversion(const char *fmt, struct conversion *c)
{
	*c = (struct conversion){ 0 };
	if (*fmt == '0') {
		c->zero_pad = true;
		fmt++;
	}
	while (*fmt >= '0' && *fmt <= '9' && c->width < 64)
		c->width = c->width * 10 + (uint32_t)(*fmt++ - '0');
	while (*fmt == 'l') {
		c->longs++;
		fmt++;
	}
	return fmt;
}

static void put_conversion(char spec, const struct conversion *c, va_list *ap)
{
	int64_t s;

	switch (spec) {
	case 'c':
		serial_putc((char)va_arg(*ap, int));
		break;
	case 's':
		put_string(va_arg(*ap, const char *));
		break;
	case 'd':
		s = take_signed(ap, c->longs);
		put_number(s < 0 ? 0 - (uint64_t)s : (uint64_t)s, 10, s < 0, c);
		break;
	case 'u':
		put_number(take_unsigned(ap, c->longs), 10, false, c);
		break;
	case 'x':
		put_number(take_unsigned(ap, c->longs), 16, false, c);
		break;
	case 'p':
		put_string("0x");
		put_number((uintptr_t)va_arg(*ap, void *), 16, false, c);
		break;
	case '%':
		serial_putc('%');
		break;
	default:
		serial_putc('%');
		serial_putc(spec);
		break;
	}
}

void kvprintf(const char *fmt, va_list ap)
{
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		struct conversion c;

		if (*fmt != '%') {
			serial_putc(*fmt++);
			continue;
		}
		fmt = parse_conversion(fmt + 1, &c);
		if (!*fmt)
			break;
		put_conversion(*fmt++, &c, &args);
	}
	va_end(args);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}
