/* SPDX-License-Identifier: MIT */
/* The guest's console: COM1, polled, which QEMU hands to the host runner. */
#ifndef TESTOS_SERIAL_H
#define TESTOS_SERIAL_H

void serial_init(void);
void serial_putc(char c);

#endif /* TESTOS_SERIAL_H */
