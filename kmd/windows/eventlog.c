/* SPDX-License-Identifier: MIT */
/*
 * The System event log: why a device did not start, in words an
 * administrator reads in Event Viewer (source "vgpu", messages in
 * vgpu_msg.mc, compiled into vgpu.sys).  Usable at DISPATCH.
 */
#include "vgpu_win.h"

/* An error log packet holds at most ERROR_LOG_MAXIMUM_SIZE bytes, strings included. */
#define MAX_TEXT_CHARS ((ERROR_LOG_MAXIMUM_SIZE - sizeof(IO_ERROR_LOG_PACKET)) / sizeof(WCHAR) - 1)

static ULONG ascii_length(const char *text)
{
	ULONG n = 0;

	while (text[n] && n < MAX_TEXT_CHARS)
		n++;
	return n;
}

void win_event_log(struct win_device *dev, NTSTATUS code, const char *text)
{
	ULONG chars, size, i;
	PIO_ERROR_LOG_PACKET packet;
	WCHAR *out;

	if (!dev || !text)
		return;
	DbgPrintEx(DPFLTR_IHVVIDEO_ID, DPFLTR_ERROR_LEVEL, "vgpu: %s\n", text);
	chars = ascii_length(text);
	size = sizeof(IO_ERROR_LOG_PACKET) + (chars + 1) * sizeof(WCHAR);
	packet = IoAllocateErrorLogEntry(dev->self, (UCHAR)size);
	if (!packet)
		return;
	RtlZeroMemory(packet, sizeof(*packet));
	packet->ErrorCode = code;
	packet->NumberOfStrings = 1;
	packet->StringOffset = sizeof(IO_ERROR_LOG_PACKET);
	out = (WCHAR *)((UCHAR *)packet + packet->StringOffset);
	for (i = 0; i < chars; i++)
		out[i] = (WCHAR)(UCHAR)text[i];
	out[chars] = 0;
	IoWriteErrorLogEntry(packet);
}
