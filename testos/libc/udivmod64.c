/* SPDX-License-Identifier: MIT */
/*
 * 64-bit division for the 32-bit guest.  gcc calls these helpers for
 * uint64_t / and %; they normally come from libgcc, which the host's
 * compiler has only for 64-bit targets.
 */
#include <stdint.h>

#include "../kernel/machine.h"

uint64_t __udivdi3(uint64_t n, uint64_t d);
uint64_t __umoddi3(uint64_t n, uint64_t d);
uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem);

/* Shift-and-subtract long division. */
uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem)
{
	uint64_t q = 0, r = 0;
	int bit;

	if (d == 0)
		machine_panic("64-bit division by zero");
	for (bit = 63; bit >= 0; bit--) {
		r = (r << 1) | ((n >> bit) & 1u);
		if (r >= d) {
			r -= d;
			q |= 1ull << bit;
		}
	}
	if (rem)
		*rem = r;
	return q;
}

uint64_t __udivdi3(uint64_t n, uint64_t d)
{
	uint64_t r;

	return __udivmoddi4(n, d, &r);
}

uint64_t __umoddi3(uint64_t n, uint64_t d)
{
	uint64_t r;

	__udivmoddi4(n, d, &r);
	return r;
}
