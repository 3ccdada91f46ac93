/* SPDX-License-Identifier: MIT */
#include "parse_size.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool sim_parse_size(const char *text, uint64_t *size)
{
	unsigned long long value;
	unsigned shift = 0;
	char *end;

	if (!text || !isdigit((unsigned char)text[0]))
		return false;
	errno = 0;
	value = strtoull(text, &end, 10);
	if (errno)
		return false;
	if (*end) {
		const char *units = "KMG";
		const char *unit = strchr(units, toupper((unsigned char)*end));

		if (!unit)
			return false;
		shift = 10u * (unsigned)(unit - units + 1);
		end++;
	}
	if (*end != '\0' || value > (UINT64_MAX >> shift))
		return false;
	*size = (uint64_t)value << shift;
	return true;
}
