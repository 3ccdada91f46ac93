/* SPDX-License-Identifier: MIT */
/* The test guests' console: COM1 at 115200 8N1, polled, transmit only. */
#ifndef GUEST_COM1_H
#define GUEST_COM1_H

void serial_init(void);
/* One character; '\n' goes out as CR LF.  Dropped if the UART never drains. */
void serial_putc(char c);

#endif /* GUEST_COM1_H */
