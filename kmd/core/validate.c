/* SPDX-License-Identifier: MIT */
#include "validate.h"

#include "formats.h"
#include "util.h"

uint32_t vgpu_name_length(const char *name, uint32_t cap)
{
	uint32_t n = 0;

	while (n < cap && name[n])
		n++;
	return n;
}

static uint32_t log2_floor(uint32_t v)
{
	uint32_t r = 0;

	while (v >>= 1)
		r++;
	return r;
}

static bool is_array_target(uint32_t target)
{
	return target == VGPU_TARGET_1D_ARRAY || target == VGPU_TARGET_2D_ARRAY ||
	       target == VGPU_TARGET_CUBE || target == VGPU_TARGET_CUBE_ARRAY;
}

/* Which dimensions a target has beyond width. */
static bool shape_valid(const struct vgpu_resource_create *d)
{
	bool one_dim = d->target == VGPU_TARGET_1D || d->target == VGPU_TARGET_1D_ARRAY;

	if (one_dim && d->height != 1)
		return false;
	if (d->target != VGPU_TARGET_3D && d->depth != 1)
		return false;
	if (!is_array_target(d->target) && d->array_size != 1)
		return false;
	if (d->target == VGPU_TARGET_CUBE && d->array_size != 6)
		return false;
	if (d->target == VGPU_TARGET_CUBE_ARRAY && d->array_size % 6)
		return false;
	if (d->target == VGPU_TARGET_RECT && d->last_level)
		return false;
	return true;
}

static bool samples_valid(const struct vgpu_resource_create *d)
{
	if (d->nr_samples > VGPU_MAX_SAMPLES || (d->nr_samples & (d->nr_samples - 1)))
		return false;
	return d->nr_samples <= 1 || (d->last_level == 0 && d->target != VGPU_TARGET_BUFFER);
}

bool vgpu_resource_desc_valid(const struct vgpu_resource_create *d)
{
	struct vgpu_format_block block;
	uint32_t largest;

	if (d->flags & ~VGPU_RESOURCE_FLAG_Y_0_TOP)
		return false;
	/* The host ignores a format it does not know, leaving a handle to nothing. */
	if (!vgpu_format_block(d->format, &block))
		return false;
	if (d->target >= VGPU_TARGET_COUNT)
		return false;
	if (!d->width || !d->height || !d->depth || !d->array_size)
		return false;
	if (!d->size || d->size > VGPU_MAX_RESOURCE_BYTES)
		return false;
	if (!samples_valid(d))
		return false;
	if (d->target == VGPU_TARGET_BUFFER)
		return d->height == 1 && d->depth == 1 && d->array_size == 1 && !d->last_level &&
		       d->width <= VGPU_MAX_RESOURCE_BYTES;
	if (d->width > VGPU_MAX_TEXTURE_DIM || d->height > VGPU_MAX_TEXTURE_DIM ||
	    d->depth > VGPU_MAX_TEXTURE_DIM || d->array_size > VGPU_MAX_ARRAY_LAYERS)
		return false;
	if (!shape_valid(d))
		return false;
	largest = d->width > d->height ? d->width : d->height;
	if (d->target == VGPU_TARGET_3D && d->depth > largest)
		largest = d->depth;
	return d->last_level <= log2_floor(largest);
}

bool vgpu_blob_desc_valid(const struct vgpu_resource_create_blob *b)
{
	struct vgpu_resource_create desc = b->desc;

	if (b->blob_mem != VGPU_BLOB_MEM_HOST3D || (b->blob_flags & ~VGPU_BLOB_FLAG_MAPPABLE))
		return false;
	if (!b->blob_id || b->blob_id > 0xffffffffu)
		return false;
	if (!b->size || b->size % VGPU_PAGE_SIZE || b->size > VGPU_MAX_RESOURCE_BYTES)
		return false;
	if (desc.size || desc.handle || desc.res_id)
		return false;
	desc.size = b->size;
	return vgpu_resource_desc_valid(&desc);
}

/*
 * The box's extent in the target's y and z directions at this level.
 * Layers and faces are in z for every array, 1D arrays included (their y
 * spans the height, 1), as virglrenderer bounds and uploads them.
 */
static void level_extent(const struct vgpu_resource_create *d, uint32_t level, uint64_t *h,
			 uint64_t *depth)
{
	*h = vgpu_minify(d->height, level);
	*depth = 1;
	switch (d->target) {
	case VGPU_TARGET_3D:
		*depth = vgpu_minify(d->depth, level);
		break;
	case VGPU_TARGET_1D_ARRAY:
	case VGPU_TARGET_2D_ARRAY:
	case VGPU_TARGET_CUBE:
	case VGPU_TARGET_CUBE_ARRAY:
		*depth = d->array_size;
		break;
	default:
		break;
	}
}

static bool inside(uint32_t start, uint32_t len, uint64_t limit)
{
	return len && (uint64_t)start + len <= limit;
}

/*
 * The box in the backing's units: bytes per row of blocks and rows of
 * blocks.  A buffer's box is in bytes whatever its format.
 */
static bool box_bytes(const struct vgpu_resource_create *d, const struct vgpu_box *box,
		      uint64_t *row_bytes, uint64_t *rows)
{
	struct vgpu_format_block block = { .bytes = 1, .width = 1, .height = 1 };

	if (d->target != VGPU_TARGET_BUFFER && !vgpu_format_block(d->format, &block))
		return false;
	*row_bytes = ((uint64_t)box->w + block.width - 1u) / block.width * block.bytes;
	*rows = ((uint64_t)box->h + block.height - 1u) / block.height;
	return true;
}

/*
 * The last byte the transfer touches, in bytes of the resource's format:
 * the device checks too, but this bound keeps every transfer inside the
 * resource's own memory whatever the device does.
 */
static bool backing_valid(const struct vgpu_resource_create *d, const struct vgpu_transfer *t,
			  uint64_t backing_size)
{
	uint64_t row_bytes, rows, stride, layer, slices, lines, end;

	if (!box_bytes(d, &t->box, &row_bytes, &rows))
		return false;
	if (t->stride && t->stride < row_bytes)
		return false;
	stride = t->stride ? t->stride : row_bytes;
	layer = t->layer_stride ? t->layer_stride : stride * rows;
	if (!vgpu_mul_u64(layer, t->box.d - 1u, &slices) ||
	    !vgpu_mul_u64(stride, rows - 1u, &lines) || !vgpu_add_u64(t->offset, slices, &end) ||
	    !vgpu_add_u64(end, lines, &end) || !vgpu_add_u64(end, row_bytes, &end))
		return false;
	return end <= backing_size;
}

bool vgpu_transfer_valid(const struct vgpu_resource_create *d, uint64_t backing_size,
			 const struct vgpu_transfer *t)
{
	uint64_t h, depth;

	if (t->level > d->last_level)
		return false;
	level_extent(d, t->level, &h, &depth);
	if (!inside(t->box.x, t->box.w, vgpu_minify(d->width, t->level)) ||
	    !inside(t->box.y, t->box.h, h) || !inside(t->box.z, t->box.d, depth))
		return false;
	return backing_valid(d, t, backing_size);
}
