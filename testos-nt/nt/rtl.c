/* SPDX-License-Identifier: MIT */
/* Debug output and counted strings. */
#include "internal.h"

#define DBG_LINE 512u

/* Microsoft's %I64 size prefix is gcc's %ll; everything else the driver uses is common. */
static void translate_format(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	while (*in && o + 3 < cap) {
		if (in[0] == '%' && in[1] == 'I' && in[2] == '6' && in[3] == '4') {
			out[o++] = '%';
			out[o++] = 'l';
			out[o++] = 'l';
			in += 4;
		} else {
			out[o++] = *in++;
		}
	}
	out[o] = '\0';
}

/* learn.microsoft.com: wdm/nf-wdm-dbgprintex */
ULONG DbgPrintEx(ULONG component, ULONG level, PCSTR format, ...)
{
	char fmt[DBG_LINE], line[DBG_LINE];
	va_list ap;

	nt_clock_tick();
	if (!format)
		nt_violation("DbgPrintEx", "NULL format", CALLER(), "component %lu",
			     (unsigned long)component);
	translate_format(format, fmt, sizeof(fmt));
	va_start(ap, format);
	str_vformat(line, sizeof(line), fmt, ap);
	va_end(ap);
	con_printf("# dbg[%lu]: %s%s", (unsigned long)level, line,
		   strlen(line) && line[strlen(line) - 1] == '\n' ? "" : "\n");
	return STATUS_SUCCESS;
}

/* learn.microsoft.com: wdm/nf-wdm-rtlinitunicodestring */
VOID RtlInitUnicodeString(PUNICODE_STRING dst, PCWSTR src)
{
	size_t n = 0;

	ENTER("RtlInitUnicodeString", DISPATCH_LEVEL);
	if (src)
		while (src[n])
			n++;
	if (n * sizeof(WCHAR) > 0xFFFCu)
		nt_violation("RtlInitUnicodeString", "string too long", CALLER(), "%llu chars",
			     (unsigned long long)n);
	dst->Buffer = (PWSTR)src;
	dst->Length = (USHORT)(n * sizeof(WCHAR));
	dst->MaximumLength = src ? (USHORT)(dst->Length + sizeof(WCHAR)) : 0;
}

/* learn.microsoft.com: wdm/nf-wdm-rtlfreeunicodestring */
VOID RtlFreeUnicodeString(PUNICODE_STRING s)
{
	ENTER("RtlFreeUnicodeString", PASSIVE_LEVEL);
	if (s->Buffer)
		nt_pool_free_any(s->Buffer, "RtlFreeUnicodeString", CALLER());
	s->Buffer = NULL;
	s->Length = 0;
	s->MaximumLength = 0;
}
