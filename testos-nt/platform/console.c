/* SPDX-License-Identifier: MIT */
/* The console (COM1, polled) and the end of the run (isa-debug-exit). */
#include "cpu.h"
#include "format.h"
#include "internal.h"

#define COM1 0x3F8u
#define REG_DATA 0u
#define REG_IER 1u
#define REG_FCR 2u
#define REG_LCR 3u
#define REG_MCR 4u
#define REG_LSR 5u
#define LCR_DLAB 0x80u
#define LCR_8N1 0x03u
#define LSR_THR_EMPTY 0x20u
/* A UART that never drains must not hang the guest: drop the byte instead. */
#define TX_POLLS 100000u
#define DEBUG_EXIT_PORT 0xF4u

void serial_init(void)
{
	outb(COM1 + REG_IER, 0x00);
	outb(COM1 + REG_LCR, LCR_DLAB);
	outb(COM1 + REG_DATA, 0x01); /* divisor 1: 115200 baud */
	outb(COM1 + REG_IER, 0x00);
	outb(COM1 + REG_LCR, LCR_8N1);
	outb(COM1 + REG_FCR, 0xC7); /* FIFOs on and cleared */
	outb(COM1 + REG_MCR, 0x03); /* DTR, RTS */
}

static void serial_put(char c)
{
	for (unsigned i = 0; i < TX_POLLS; i++)
		if (inb(COM1 + REG_LSR) & LSR_THR_EMPTY)
			break;
	outb(COM1 + REG_DATA, (uint8_t)c);
}

void con_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			serial_put('\r');
		serial_put(s[i]);
	}
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
