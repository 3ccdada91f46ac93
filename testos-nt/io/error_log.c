/* SPDX-License-Identifier: MIT */
/*
 * The system error log: entries a driver allocates, fills and writes (or
 * frees).  A written entry is printed as Event Viewer would show its
 * insertion strings, after checking that what the packet says about its
 * own layout stays inside it.
 */
#include "io_internal.h"

struct log_entry {
	PIO_ERROR_LOG_PACKET packet;
	UCHAR size;
	const void *allocated_by;
	struct log_entry *next;
};

static struct log_entry *outstanding;
static unsigned written;

/* learn.microsoft.com: wdm/nf-wdm-ioallocateerrorlogentry */
PVOID IoAllocateErrorLogEntry(PVOID IoObject, UCHAR EntrySize)
{
	const void *caller = __builtin_return_address(0);
	struct io_device *dev = io_device(IoObject);
	struct log_entry *e;

	nt_require_irql("IoAllocateErrorLogEntry", DISPATCH_LEVEL, caller);
	if ((!dev || dev->deleted) && !io_is_driver(IoObject))
		nt_violation("IoAllocateErrorLogEntry",
			     "IoObject must be a device object or a driver object", caller, "%p",
			     IoObject);
	if (EntrySize < sizeof(IO_ERROR_LOG_PACKET) || EntrySize > ERROR_LOG_MAXIMUM_SIZE)
		nt_violation("IoAllocateErrorLogEntry",
			     "EntrySize must hold an IO_ERROR_LOG_PACKET and not exceed "
			     "ERROR_LOG_MAXIMUM_SIZE",
			     caller, "%u bytes (packet %zu, maximum %u)", EntrySize,
			     sizeof(IO_ERROR_LOG_PACKET), (unsigned)ERROR_LOG_MAXIMUM_SIZE);
	if (nt_fault_now("IoAllocateErrorLogEntry", caller))
		return NULL;
	e = io_zalloc(sizeof(*e));
	e->packet = nt_pool_alloc_harness(NonPagedPoolNx, EntrySize, IO_TAG_ERROR_LOG);
	memset(e->packet, 0, EntrySize);
	e->size = EntrySize;
	e->allocated_by = caller;
	e->next = outstanding;
	outstanding = e;
	return e->packet;
}

/* The insertion strings, each NUL-terminated inside the entry, printed. */
static void print_entry(const struct log_entry *e, const void *caller)
{
	const IO_ERROR_LOG_PACKET *p = e->packet;
	size_t dump_end = FIELD_OFFSET(IO_ERROR_LOG_PACKET, DumpData) + p->DumpDataSize;
	size_t pos = p->StringOffset;
	char text[ERROR_LOG_MAXIMUM_SIZE];

	if (dump_end > e->size)
		nt_violation("IoWriteErrorLogEntry", "DumpDataSize must fit in the entry", caller,
			     "%u bytes of dump data in a %u-byte entry", p->DumpDataSize, e->size);
	if (p->NumberOfStrings && (pos < dump_end || pos >= e->size || (pos & 1)))
		nt_violation("IoWriteErrorLogEntry",
			     "StringOffset must point past the dump data, inside the entry", caller,
			     "offset %zu, dump data ends at %zu, entry %u bytes", pos, dump_end,
			     e->size);
	con_printf("eventlog: error 0x%08x", (unsigned)p->ErrorCode);
	for (unsigned i = 0; i < p->NumberOfStrings; i++) {
		const WCHAR *s = (const WCHAR *)((const uint8_t *)p + pos);
		size_t max = (e->size - pos) / sizeof(WCHAR), n = 0;

		while (n < max && s[n])
			n++;
		if (n == max)
			nt_violation("IoWriteErrorLogEntry",
				     "every insertion string must end with NUL inside the entry",
				     caller, "string %u runs past the %u-byte entry", i, e->size);
		io_ascii_from_utf16(text, sizeof(text), s, n);
		con_printf(" \"%s\"", text);
		pos += (n + 1) * sizeof(WCHAR);
	}
	con_printf("\n");
}

/* learn.microsoft.com: wdm/nf-wdm-iowriteerrorlogentry */
void IoWriteErrorLogEntry(PVOID ElEntry)
{
	const void *caller = __builtin_return_address(0);
	struct log_entry **link = &outstanding, *e;

	nt_require_irql("IoWriteErrorLogEntry", DISPATCH_LEVEL, caller);
	while (*link && (*link)->packet != ElEntry)
		link = &(*link)->next;
	if (!*link)
		nt_violation("IoWriteErrorLogEntry",
			     "ElEntry must come from IoAllocateErrorLogEntry and be written once",
			     caller, "%p", ElEntry);
	e = *link;
	print_entry(e, caller);
	written++;
	*link = e->next;
	nt_pool_free_harness(e->packet);
	heap_free(e);
}

unsigned io_error_log_written(void)
{
	return written;
}

unsigned io_error_log_outstanding(const void **allocated_by)
{
	unsigned n = 0;

	for (struct log_entry *e = outstanding; e; e = e->next) {
		if (n++ == 0 && allocated_by)
			*allocated_by = e->allocated_by;
	}
	return n;
}
