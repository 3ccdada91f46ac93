/* SPDX-License-Identifier: MIT */
/*
 * A blob's host-visible mapping: placed in the device's host-visible
 * memory by the first RESOURCE_MAP and kept there until the resource is
 * destroyed (RESOURCE_UNMAP only drops the process's view; a later MAP
 * maps the same range again).  Callers hold the owning file's lock.
 */
#ifndef VGPU_KMD_BLOB_H
#define VGPU_KMD_BLOB_H

#include "file.h"

/* Map the blob into host-visible memory (once), then into the file's process. */
int vgpu_blob_map(struct vgpu_file *file, struct vgpu_resource *res);
/*
 * Take the blob out of host-visible memory (its user view is gone
 * already).  The range is given back once the device has answered;
 * otherwise it stays reserved until the device is reset.
 */
void vgpu_blob_unmap_device(struct vgpu_file *file, struct vgpu_resource *res);

#endif /* VGPU_KMD_BLOB_H */
