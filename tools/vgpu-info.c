/* SPDX-License-Identifier: MIT */
/*
 * vgpu-info: what the vgpu device offers, as libvgpu sees it.  Opens the
 * device the way every client does (VGPU_SOCKET, else the platform's
 * device), prints GET_INFO (with whether blobs and host-visible memory are
 * there), GET_STATS and each capset, and decodes the virgl capset.  Exit
 * status 1 when there is no device to ask.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "libvgpu.h"
#include "virgl_caps.h"

static const char *const feature_names[] = {
	"VIRGL",         "EDID",      "RESOURCE_BLOB", "CONTEXT_INIT", "HOST_VISIBLE",
	"INDIRECT_DESC", "EVENT_IDX", "STAGING",       "BLOB_DESC",
};

static const char *const capset_names[] = {
	[1] = "VIRGL", [2] = "VIRGL2",       [3] = "GFXSTREAM",
	[4] = "VENUS", [5] = "CROSS_DOMAIN", [6] = "DRM",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *capset_name(uint32_t id)
{
	return id < COUNT(capset_names) && capset_names[id] ? capset_names[id] : "unknown";
}

static const char *personality_name(uint32_t personality)
{
	switch (personality) {
	case VGPU_PERSONALITY_STANDARD:
		return "standard virtio-gpu (1AF4:1050)";
	case VGPU_PERSONALITY_MVISOR:
		return "Mvisor virtio-vgpu (1AF4:105B)";
	default:
		return "unknown";
	}
}

static void print_features(uint64_t features)
{
	unsigned int bit;

	printf("features:          0x%" PRIx64, features);
	for (bit = 0; bit < 64; bit++) {
		if (!(features & (1ull << bit)))
			continue;
		if (bit < COUNT(feature_names))
			printf(" %s", feature_names[bit]);
		else
			printf(" bit%u", bit);
	}
	printf("\n");
}

static void print_info(const struct vgpu_get_info *info)
{
	uint32_t id;

	printf("ABI version:       %u.%u (libvgpu %u.%u)\n", info->abi_major, info->abi_minor,
	       VGPU_ABI_VERSION_MAJOR, VGPU_ABI_VERSION_MINOR);
	printf("personality:       %s\n", personality_name(info->personality));
	print_features(info->features);
	printf("capsets:           0x%x", info->capset_mask);
	for (id = 0; id < 32; id++)
		if (info->capset_mask & (1u << id))
			printf(" %s", capset_name(id));
	printf("\n");
	printf("blob resources:    %s\n",
	       info->features & VGPU_FEATURE_RESOURCE_BLOB ? "yes" : "no");
	if (info->features & VGPU_FEATURE_HOST_VISIBLE)
		printf("host-visible:      yes, %" PRIu64 " bytes\n", info->host_visible_size);
	else
		printf("host-visible:      no\n");
	printf("limits:            submit %u bytes, %u handles; %u scanouts\n",
	       info->max_submit_bytes, info->max_submit_handles, info->num_scanouts);
}

static void print_stats(struct vgpu_dev *dev)
{
	struct vgpu_get_stats st;
	int status = vgpu_get_stats(dev, &st);

	if (status != VGPU_OK) {
		printf("stats:             unavailable (%s)\n", vgpu_status_str(status));
		return;
	}
	printf("stats:             %u open files, %u contexts, %u resources, "
	       "%u requests in flight\n",
	       st.open_files, st.contexts, st.resources, st.requests_in_flight);
	printf("                   %" PRIu64 " backing bytes, %" PRIu64 " device errors, %" PRIu64
	       " fences completed\n",
	       st.backing_bytes, st.device_errors, st.fences_completed);
}

static void print_limits(struct vgpu_dev *dev)
{
	struct vgpu_get_limits l;
	int status = vgpu_get_limits(dev, &l);

	if (status != VGPU_OK) {
		printf("pinned memory:     limits unknown (%s)\n", vgpu_status_str(status));
		return;
	}
	printf("pinned memory:     %" PRIu64 " MiB in use (%" PRIu64 " MiB by this process); "
	       "limits ",
	       l.pinned >> 20, l.pinned_by_caller >> 20);
	if (l.pinned_max)
		printf("%" PRIu64 " MiB", l.pinned_max >> 20);
	else
		printf("none");
	if (l.pinned_max_per_process)
		printf(", %" PRIu64 " MiB per process\n", l.pinned_max_per_process >> 20);
	else
		printf(", none per process\n");
}

static void print_bits(const char *label, unsigned int word, uint32_t bits)
{
	unsigned int bit;

	printf("  %-24s", label);
	for (bit = 0; bit < 32; bit++) {
		const char *name = virgl_caps_bit_name(word, bit);

		if (!(bits & (1u << bit)))
			continue;
		if (name)
			printf(" %s", name);
		else
			printf(" bit%u", bit);
	}
	printf("\n");
}

static void print_virgl_caps(uint32_t capset_id, const struct virgl_caps_info *info)
{
	unsigned int f;

	printf("virgl caps (from %s):\n", capset_name(capset_id));
	if (info->renderer[0])
		printf("  %-24s %s\n", "host renderer", info->renderer);
	for (f = 0; f < VIRGL_CAPS_FIELD_COUNT; f++) {
		if (!info->present[f])
			continue;
		if (f == VIRGL_CAPS_CAPABILITY_BITS)
			print_bits(virgl_caps_field_label(f), 1, info->value[f]);
		else if (f == VIRGL_CAPS_CAPABILITY_BITS_V2)
			print_bits(virgl_caps_field_label(f), 2, info->value[f]);
		else
			printf("  %-24s %u\n", virgl_caps_field_label(f), info->value[f]);
	}
}

static void print_capset(struct vgpu_dev *dev, uint32_t id, uint8_t *buf)
{
	struct virgl_caps_info caps;
	uint32_t size = 0;
	int status;

	status = vgpu_get_capset(dev, id, 0, buf, VGPU_MAX_CAPSET_BYTES, &size);
	if (status != VGPU_OK)
		printf("capset %u %s: %s\n", id, capset_name(id), vgpu_status_str(status));
	else if (virgl_caps_parse(id, buf, size, &caps) == 0)
		/* A virgl capset starts with its own version. */
		printf("capset %u %s: version %u, %u bytes\n", id, capset_name(id),
		       caps.value[VIRGL_CAPS_MAX_VERSION], size);
	else
		printf("capset %u %s: %u bytes\n", id, capset_name(id), size);
}

/* Decodes the richest virgl capset offered: VIRGL2, else VIRGL. */
static void print_best_virgl(struct vgpu_dev *dev, uint8_t *buf)
{
	uint32_t mask = vgpu_info(dev)->capset_mask;
	uint32_t id = mask & (1u << VGPU_CAPSET_VIRGL2) ? VGPU_CAPSET_VIRGL2 : VGPU_CAPSET_VIRGL;
	struct virgl_caps_info caps;
	uint32_t size = 0;

	if (!(mask & (1u << id)))
		return;
	if (vgpu_get_capset(dev, id, 0, buf, VGPU_MAX_CAPSET_BYTES, &size) != VGPU_OK)
		return;
	if (virgl_caps_parse(id, buf, size, &caps) < 0)
		printf("virgl caps: capset %s too short to read (%u bytes)\n", capset_name(id),
		       size);
	else
		print_virgl_caps(id, &caps);
}

int main(void)
{
	struct vgpu_dev *dev;
	uint8_t *buf;
	uint32_t id;
	int status;

	status = vgpu_open(&dev);
	if (status != VGPU_OK) {
		const char *why = vgpu_open_error();

		fprintf(stderr, "vgpu-info: no vgpu device: %s\n",
			why[0] ? why : vgpu_status_str(status));
		return 1;
	}
	buf = malloc(VGPU_MAX_CAPSET_BYTES);
	if (!buf) {
		fprintf(stderr, "vgpu-info: out of memory\n");
		vgpu_close(dev);
		return 1;
	}
	print_info(vgpu_info(dev));
	print_stats(dev);
	print_limits(dev);
	for (id = 0; id < 32; id++)
		if (vgpu_info(dev)->capset_mask & (1u << id))
			print_capset(dev, id, buf);
	print_best_virgl(dev, buf);
	free(buf);
	vgpu_close(dev);
	return 0;
}
