/* SPDX-License-Identifier: MIT */
/*
 * Command streams for vgpu-bench (bench_streams.h).
 */
#include "bench_streams.h"

#include <string.h>

#include "virgl_stream.h"

int bench_nop_stream(uint32_t *buf, uint32_t cap_dwords, uint32_t bytes)
{
	uint32_t left = bytes / 4;

	if (!buf || !bytes || bytes % 4 || left > cap_dwords)
		return -1;
	memset(buf, 0, bytes);
	while (left) {
		/* a header and as much payload as one header can announce */
		uint32_t payload = left - 1 < VSTREAM_MAX_PAYLOAD_DWORDS
					   ? left - 1
					   : VSTREAM_MAX_PAYLOAD_DWORDS;

		buf[0] = VSTREAM_CMD_NOP | (payload << 16);
		buf += 1 + payload;
		left -= 1 + payload;
	}
	return 0;
}

uint32_t bench_tiny_stream(uint32_t *buf, uint32_t cap_dwords)
{
	struct vstream s;

	if (!buf)
		return 0;
	vstream_init(&s, buf, cap_dwords);
	vstream_set_viewport(&s, 0.0f, 0.0f, 256.0f, 256.0f);
	return vstream_ok(&s) ? vstream_size_bytes(&s) : 0;
}
