/* SPDX-License-Identifier: MIT */
/* The console (COM1, polled) and the end of the run (isa-debug-exit). */
#include "com1.h"
#include "cpu.h"
#include "format.h"
#include "internal.h"

#define DEBUG_EXIT_PORT 0xF4u

void con_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		serial_putc(s[i]);
}

static void drain_to_console(struct format_out *out)
{
	con_write(out->buf, out->len);
	out->len = 0;
}

int con_vprintf(const char *fmt, va_list ap)
{
	char buf[128];
	struct format_out out = { .buf = buf, .cap = sizeof(buf), .drain = drain_to_console };

	format_run(&out, fmt, ap);
	drain_to_console(&out);
	return (int)out.total;
}

int con_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = con_vprintf(fmt, ap);
	va_end(ap);
	return n;
}

void plat_exit(uint8_t code)
{
	outl(DEBUG_EXIT_PORT, code);
	/* Without the exit device (a misconfigured run) stop here: the runner's timeout ends it. */
	for (;;)
		__asm__ volatile("cli; hlt");
}

void plat_panic(const char *fmt, ...)
{
	va_list ap;

	con_printf("PANIC platform: ");
	va_start(ap, fmt);
	con_vprintf(fmt, ap);
	va_end(ap);
	con_printf("\n");
	plat_exit(EXIT_PANIC);
}
