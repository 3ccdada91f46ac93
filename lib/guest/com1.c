/* SPDX-License-Identifier: MIT */
#include "com1.h"

#include "x86_io.h"

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

static void put_raw(char c)
{
	for (unsigned i = 0; i < TX_POLLS; i++)
		if (inb(COM1 + REG_LSR) & LSR_THR_EMPTY)
			break;
	outb(COM1 + REG_DATA, (uint8_t)c);
}

void serial_putc(char c)
{
	if (c == '\n')
		put_raw('\r');
	put_raw(c);
}
