/* SPDX-License-Identifier: MIT */
/*
 * What the exception dispatcher (seh.c), the virtual unwinder (unwind.c),
 * the C language handler (c_handler.c) and seh_context.S share.
 */
#ifndef NTH_SEH_H
#define NTH_SEH_H

#include "internal.h"
#include "seh_layout.h"

#define UNW_FLAG_EHANDLER 0x1
#define UNW_FLAG_UHANDLER 0x2
#define UNW_FLAG_CHAININFO 0x4

/* EXCEPTION_RECORD.ExceptionFlags during an unwind (winnt.h's values; not in the DDK) */
#define EXCEPTION_UNWINDING 0x2
#define EXCEPTION_EXIT_UNWIND 0x4
#define EXCEPTION_TARGET_UNWIND 0x20

/* A RUNTIME_FUNCTION of an image's exception directory: RVAs. */
struct runtime_function {
	uint32_t begin, end, unwind_info;
};

/* An image whose frames can be unwound: the driver or the harness itself. */
struct unwind_image {
	bool driver;
	uint64_t base;                        /* what the RVAs are relative to */
	uint64_t code_start, code_end;        /* its code */
	uint64_t end;                         /* the end of its unwind data and everything else */
	const struct runtime_function *table; /* its exception directory */
	uint32_t count;
};

/* One frame unwound: its establisher frame and, outside prolog and epilog, its handler. */
struct unwind_result {
	uint64_t establisher;
	const struct runtime_function *function; /* NULL: a leaf */
	uint8_t handler_flags;                   /* UNW_FLAG_EHANDLER / UHANDLER, 0: none */
	uint32_t handler_rva;
	const void *handler_data;
};

/* The image whose code holds rip: the driver, the harness, or NULL. */
const struct unwind_image *unwind_image_of(uint64_t rip);
/* Replace ctx, a frame of `image`, by its caller's; false (and why) on bad unwind data. */
bool unwind_frame(const struct unwind_image *image, CONTEXT *ctx, struct unwind_result *out,
		  const char **why);

/* The DISPATCHER_CONTEXT language handlers get ("x64 exception handling"). */
struct _DISPATCHER_CONTEXT {
	ULONG64 ControlPc;
	ULONG64 ImageBase;
	const struct runtime_function *FunctionEntry;
	ULONG64 EstablisherFrame;
	ULONG64 TargetIp;
	PCONTEXT ContextRecord;
	PVOID LanguageHandler;
	PVOID HandlerData;
	PVOID HistoryTable;
	ULONG ScopeIndex;
	ULONG Fill0;
};

/* nt_call_guarded's frame: where an exception no frame handles resumes. */
struct seh_guard {
	CONTEXT ctx;
	struct seh_guard *outer;
};

/*
 * Like setjmp: the caller's nonvolatile registers, stack pointer and
 * return address into ctx, and 0; seh_context_restore of ctx returns here
 * again with ctx's rax.
 */
__attribute__((returns_twice)) uint64_t seh_context_save(CONTEXT *ctx);
/* Continue at ctx's rip on ctx's stack with its integer and vector registers. */
__attribute__((noreturn)) void seh_context_restore(const CONTEXT *ctx);

/* RtlUnwindEx for the C language handler: unwind to target_frame, continue at target_ip. */
__attribute__((noreturn)) void seh_unwind(uint64_t target_frame, uint64_t target_ip,
					  PEXCEPTION_RECORD record, uint64_t return_value);

#endif /* NTH_SEH_H */
