/* SPDX-License-Identifier: MIT */
/*
 * Virtual unwinding of one x64 frame of the driver or of the harness
 * (mingw-w64 gcc emits unwind data for both), from the image's exception
 * directory as Microsoft documents it ("x64 exception
 * handling"): find the function's RUNTIME_FUNCTION; if the instruction at
 * the frame's rip is an epilog, simulate the rest of it; otherwise undo
 * the prolog's operations recorded in UNWIND_INFO (only those already done
 * when rip is still in the prolog), follow chained unwind info, and pop
 * the return address.  A function without an entry is a leaf.  The result
 * also names the frame's establisher frame and its language handler.
 */
#include "seh.h"

#define UWOP_PUSH_NONVOL 0
#define UWOP_ALLOC_LARGE 1
#define UWOP_ALLOC_SMALL 2
#define UWOP_SET_FPREG 3
#define UWOP_SAVE_NONVOL 4
#define UWOP_SAVE_NONVOL_FAR 5
#define UWOP_SAVE_XMM128 8
#define UWOP_SAVE_XMM128_FAR 9
#define UWOP_PUSH_MACHFRAME 10
#define REG_RSP 4
#define MAX_CHAIN 32

_Static_assert(offsetof(CONTEXT, R15) - offsetof(CONTEXT, Rax) == 15 * 8,
	       "CONTEXT keeps the integer registers in encoding order");

static uint64_t *reg(CONTEXT *ctx, unsigned number)
{
	return &ctx->Rax + number;
}

static uint32_t read32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t slot(const uint8_t *codes, unsigned i)
{
	return (uint16_t)(codes[2 * i] | codes[2 * i + 1] << 8);
}

/* A save code's offset: scaled in one slot, or unscaled in two. */
static uint64_t save_offset(const uint8_t *codes, unsigned i, unsigned slots, unsigned scale)
{
	if (slots == 2)
		return (uint64_t)slot(codes, i + 1) * scale;
	return (uint32_t)slot(codes, i + 1) | (uint32_t)slot(codes, i + 2) << 16;
}

/* A stack slot the unwind reads: it must be mapped, or the unwind data or stack is bad. */
static bool read_stack(uint64_t addr, void *out, size_t len, const char **why)
{
	uint64_t pa;
	unsigned flags;

	if (vm_translate(addr, &pa, &flags) || vm_translate(addr + len - 1, &pa, &flags)) {
		*why = "the unwind reads an unmapped stack address";
		return false;
	}
	memcpy(out, (const void *)(uintptr_t)addr, len);
	return true;
}

/* The harness's own image (linker symbols; the Makefile names its exception directory). */
extern const char __ImageBase[], etext[], __end__[];
extern const struct runtime_function harness_pdata_start[], harness_pdata_end[];

static struct unwind_image driver_image = { .driver = true };

void nt_set_driver_unwind(uint64_t pdata, uint64_t count)
{
	driver_image.base = driver_image.code_start = nt_driver_base();
	driver_image.code_end = driver_image.end = driver_image.base + nt_driver_size();
	driver_image.table = (const struct runtime_function *)(uintptr_t)pdata;
	driver_image.count = (uint32_t)count;
}

const struct unwind_image *unwind_image_of(uint64_t rip)
{
	static struct unwind_image harness_image;

	if (driver_image.table && rip >= driver_image.code_start && rip < driver_image.code_end)
		return &driver_image;
	if (!harness_image.table) {
		harness_image.base = (uint64_t)(uintptr_t)__ImageBase;
		harness_image.code_start = harness_image.base;
		harness_image.code_end = (uint64_t)(uintptr_t)etext;
		harness_image.end = (uint64_t)(uintptr_t)__end__;
		harness_image.table = harness_pdata_start;
		harness_image.count = (uint32_t)(harness_pdata_end - harness_pdata_start);
	}
	if (rip >= harness_image.code_start && rip < harness_image.code_end)
		return &harness_image;
	return NULL;
}

/* The function around rip; NULL for a leaf.  The tables are sorted, as Windows requires. */
static const struct runtime_function *lookup(const struct unwind_image *image, uint64_t rip)
{
	uint32_t lo = 0, hi = image->count;
	uint64_t rva = rip - image->base;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (rva < image->table[mid].begin)
			hi = mid;
		else if (rva >= image->table[mid].end)
			lo = mid + 1;
		else
			return &image->table[mid];
	}
	return NULL;
}

static const uint8_t *image_ptr(const struct unwind_image *image, uint32_t rva, size_t len,
				const char **why)
{
	uint64_t p = image->base + rva;

	if (p < image->base || p + len > image->end) {
		*why = "unwind data outside the image";
		return NULL;
	}
	return (const uint8_t *)(uintptr_t)p;
}

/*
 * If rip is at an epilog (optional add/lea to rsp, pops, then ret or a
 * jump out of the function), finish it on ctx and say so.
 */
static bool unwind_epilog(const struct unwind_image *image, const struct runtime_function *fn,
			  CONTEXT *ctx)
{
	const uint8_t *p = (const uint8_t *)(uintptr_t)ctx->Rip;
	uint64_t base = image->base;
	CONTEXT c = *ctx;
	const char *why;

	if (p[0] == 0x48 && p[1] == 0x83 && p[2] == 0xC4) {
		c.Rsp += (uint64_t)(int64_t)(int8_t)p[3];
		p += 4;
	} else if (p[0] == 0x48 && p[1] == 0x81 && p[2] == 0xC4) {
		c.Rsp += (uint64_t)(int64_t)(int32_t)read32(p + 3);
		p += 7;
	} else if ((p[0] & 0xFE) == 0x48 && p[1] == 0x8D && ((p[2] >> 3) & 7) == REG_RSP &&
		   (p[2] & 7) != 4 && (p[2] >> 6) != 0 && (p[2] >> 6) != 3) {
		unsigned base_reg = (p[2] & 7) + ((p[0] & 1) ? 8 : 0);
		int64_t disp = (p[2] >> 6) == 1 ? (int8_t)p[3] : (int32_t)read32(p + 3);

		c.Rsp = *reg(&c, base_reg) + (uint64_t)disp;
		p += (p[2] >> 6) == 1 ? 4 : 7;
	}
	for (;;) {
		unsigned r;

		if (p[0] >= 0x58 && p[0] <= 0x5F) {
			r = p[0] - 0x58u;
			p++;
		} else if (p[0] == 0x41 && p[1] >= 0x58 && p[1] <= 0x5F) {
			r = 8u + p[1] - 0x58u;
			p += 2;
		} else {
			break;
		}
		if (!read_stack(c.Rsp, reg(&c, r), 8, &why))
			return false;
		c.Rsp += 8;
	}
	if (p[0] == 0xE9) {
		uint64_t target =
			(uint64_t)(uintptr_t)(p + 5) + (uint64_t)(int64_t)(int32_t)read32(p + 1);

		if (target >= base + fn->begin && target < base + fn->end)
			return false;
	} else if (!(p[0] == 0xC3 || (p[0] == 0xF3 && p[1] == 0xC3) ||
		     (p[0] == 0xFF && p[1] == 0x25) ||
		     (p[0] == 0x48 && p[1] == 0xFF && p[2] == 0x25))) {
		return false;
	}
	if (!read_stack(c.Rsp, &c.Rip, 8, &why))
		return false;
	c.Rsp += 8;
	*ctx = c;
	return true;
}

/* Undo one UNWIND_INFO's codes; `pc_offset` filters them while rip is in its prolog. */
static bool apply_codes(const uint8_t *info, uint32_t pc_offset, bool in_prolog, CONTEXT *ctx,
			bool *machframe, const char **why)
{
	const uint8_t *codes = info + 4;
	unsigned count = info[2], frame_reg = info[3] & 0xF, frame_offset = info[3] >> 4;
	uint64_t frame = ctx->Rsp, value;
	bool fp_set = !in_prolog;

	for (unsigned i = 0; frame_reg && i < count; i++)
		if ((codes[2 * i + 1] & 0xF) == UWOP_SET_FPREG && codes[2 * i] <= pc_offset)
			fp_set = true;
	if (frame_reg && fp_set)
		frame = *reg(ctx, frame_reg) - frame_offset * 16u;
	for (unsigned i = 0; i < count;) {
		unsigned offset = codes[2 * i], op = codes[2 * i + 1] & 0xF,
			 op_info = codes[2 * i + 1] >> 4, slots;
		bool skip = in_prolog && offset > pc_offset;

		switch (op) {
		case UWOP_PUSH_NONVOL:
			slots = 1;
			if (!skip) {
				if (!read_stack(ctx->Rsp, reg(ctx, op_info), 8, why))
					return false;
				ctx->Rsp += 8;
			}
			break;
		case UWOP_ALLOC_LARGE:
			slots = op_info ? 3 : 2;
			if (i + slots > count)
				goto truncated;
			value = op_info ? ((uint32_t)slot(codes, i + 1) |
					   (uint32_t)slot(codes, i + 2) << 16)
					: slot(codes, i + 1) * 8u;
			if (!skip)
				ctx->Rsp += value;
			break;
		case UWOP_ALLOC_SMALL:
			slots = 1;
			if (!skip)
				ctx->Rsp += op_info * 8u + 8u;
			break;
		case UWOP_SET_FPREG:
			slots = 1;
			if (!skip)
				ctx->Rsp = *reg(ctx, frame_reg) - frame_offset * 16u;
			break;
		case UWOP_SAVE_NONVOL:
		case UWOP_SAVE_NONVOL_FAR:
			slots = op == UWOP_SAVE_NONVOL ? 2 : 3;
			if (i + slots > count)
				goto truncated;
			if (!skip && !read_stack(frame + save_offset(codes, i, slots, 8),
						 reg(ctx, op_info), 8, why))
				return false;
			break;
		case UWOP_SAVE_XMM128:
		case UWOP_SAVE_XMM128_FAR:
			slots = op == UWOP_SAVE_XMM128 ? 2 : 3;
			if (i + slots > count)
				goto truncated;
			if (!skip && !read_stack(frame + save_offset(codes, i, slots, 16),
						 &ctx->Xmm0 + op_info, 16, why))
				return false;
			break;
		case UWOP_PUSH_MACHFRAME:
			slots = 1;
			if (!skip) {
				uint64_t at = ctx->Rsp + (op_info ? 8u : 0u);

				if (!read_stack(at, &ctx->Rip, 8, why) ||
				    !read_stack(at + 24, &ctx->Rsp, 8, why))
					return false;
				*machframe = true;
			}
			break;
		default:
			*why = "an unwind code this unwinder does not know";
			return false;
		}
		i += slots;
	}
	return true;
truncated:
	*why = "unwind codes cut short";
	return false;
}

bool unwind_frame(const struct unwind_image *image, CONTEXT *ctx, struct unwind_result *out,
		  const char **why)
{
	const struct runtime_function *fn = lookup(image, ctx->Rip);
	const uint8_t *info, *primary;
	uint32_t pc_offset;
	bool machframe = false, in_prolog;
	unsigned chain = 0;

	memset(out, 0, sizeof(*out));
	out->establisher = ctx->Rsp;
	if (!fn) {
		/* a leaf: rsp points at the return address */
		if (!read_stack(ctx->Rsp, &ctx->Rip, 8, why))
			return false;
		ctx->Rsp += 8;
		return true;
	}
	out->function = fn;
	pc_offset = (uint32_t)(ctx->Rip - image->base - fn->begin);
	primary = info = image_ptr(image, fn->unwind_info, 4, why);
	if (!info || !image_ptr(image, fn->unwind_info, 4 + 2u * ((info[2] + 1u) & ~1u) + 8u, why))
		return false;
	if ((info[0] & 7) != 1 && (info[0] & 7) != 2) {
		*why = "an unwind info version this unwinder does not know";
		return false;
	}
	in_prolog = pc_offset < info[1];
	if (info[3] & 0xF) {
		unsigned frame_reg = info[3] & 0xF;
		bool fp_set = !in_prolog;

		for (unsigned i = 0; i < info[2]; i++)
			if ((info[5 + 2 * i] & 0xF) == UWOP_SET_FPREG &&
			    info[4 + 2 * i] <= pc_offset)
				fp_set = true;
		if (fp_set)
			out->establisher = *reg(ctx, frame_reg) - (info[3] >> 4) * 16u;
	}
	if (!in_prolog && unwind_epilog(image, fn, ctx))
		return true;
	for (;;) {
		if (!apply_codes(info, pc_offset, in_prolog && chain == 0, ctx, &machframe, why))
			return false;
		if (!((info[0] >> 3) & UNW_FLAG_CHAININFO))
			break;
		if (++chain > MAX_CHAIN) {
			*why = "unwind info chained in a loop";
			return false;
		}
		fn = (const struct runtime_function *)(info + 4 + 2u * ((info[2] + 1u) & ~1u));
		info = image_ptr(image, fn->unwind_info, 4, why);
		if (!info)
			return false;
	}
	if (!machframe) {
		if (!read_stack(ctx->Rsp, &ctx->Rip, 8, why))
			return false;
		ctx->Rsp += 8;
	}
	out->handler_flags = (primary[0] >> 3) & (UNW_FLAG_EHANDLER | UNW_FLAG_UHANDLER);
	if (out->handler_flags && !in_prolog) {
		const uint8_t *data = primary + 4 + 2u * ((primary[2] + 1u) & ~1u);

		out->handler_rva = read32(data);
		out->handler_data = data + 4;
	} else {
		out->handler_flags = 0;
	}
	return true;
}
