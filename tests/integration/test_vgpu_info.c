/* SPDX-License-Identifier: MIT */
/*
 * vgpu-info, the built tool, against a running sim: it must list the two
 * capsets the device offers (VIRGL and VIRGL2), with the versions and
 * sizes that a libvgpu client reads from the same device, and say which
 * personality it is and whether it has blobs and host-visible memory:
 * QEMU's device ($VGPU_SIM_DEVICE unset or "qemu") has neither; the device
 * model ("model", "model-mvisor") has both, with its default 256 MiB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "integration.h"

#define OUTPUT_MAX 65536
#define MODEL_REGION_BYTES (256ull << 20)

static char output[OUTPUT_MAX];

static void test_tool_runs(void)
{
	const char *tool = getenv("VGPU_INFO");
	size_t len = 0, n;
	FILE *p;
	int status;

	CHECK(tool != NULL);
	if (!tool)
		return;
	fflush(stdout);
	p = popen(tool, "r");
	CHECK(p != NULL);
	if (!p)
		return;
	while (len < OUTPUT_MAX - 1 && (n = fread(output + len, 1, OUTPUT_MAX - 1 - len, p)) > 0)
		len += n;
	output[len] = '\0';
	status = pclose(p);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	printf("# vgpu-info said %zu bytes\n", len);
}

/* Leaves the output whole: every case that fails shows it. */
static void dump_output(void)
{
	const char *line = output;

	while (*line) {
		const char *end = strchr(line, '\n');
		int len = end ? (int)(end - line) : (int)strlen(line);

		printf("# vgpu-info: %.*s\n", len, line);
		line += len + (end ? 1 : 0);
	}
}

/* The line vgpu-info prints for a capset, from what we read ourselves. */
static void expect_capset_line(struct vgpu_dev *dev, uint32_t id, const char *name)
{
	static uint8_t caps[VGPU_MAX_CAPSET_BYTES];
	char line[128];
	uint32_t size = 0, version;

	CHECK_EQ(vgpu_get_capset(dev, id, 0, caps, sizeof(caps), &size), VGPU_OK);
	CHECK(size >= 4);
	if (size < 4)
		return;
	memcpy(&version, caps, 4); /* a virgl capset starts with its max version */
	snprintf(line, sizeof(line), "capset %u %s: version %u, %u bytes\n", id, name, version,
		 size);
	CHECK(strstr(output, line) != NULL);
	if (!strstr(output, line))
		printf("# missing line: %s", line);
}

static void test_lists_both_capsets(void)
{
	struct vgpu_dev *dev = NULL;

	CHECK_EQ(vgpu_open(&dev), VGPU_OK);
	if (!dev)
		return;
	CHECK_EQ(vgpu_info(dev)->capset_mask,
		 (1u << VGPU_CAPSET_VIRGL) | (1u << VGPU_CAPSET_VIRGL2));
	CHECK(strstr(output, " VIRGL VIRGL2\n") != NULL);
	expect_capset_line(dev, VGPU_CAPSET_VIRGL, "VIRGL");
	expect_capset_line(dev, VGPU_CAPSET_VIRGL2, "VIRGL2");
	/* decoded from VIRGL2: the renderer the host runs */
	CHECK(strstr(output, "host renderer") != NULL);
	vgpu_close(dev);
	if (tap_case_failed)
		dump_output();
}

static void expect_line(const char *line)
{
	CHECK(strstr(output, line) != NULL);
	if (!strstr(output, line))
		printf("# missing line: %s", line);
}

static const char *device_name(void)
{
	const char *env = getenv("VGPU_SIM_DEVICE");

	return env && env[0] ? env : "qemu";
}

static void test_personality_blob_and_region(void)
{
	bool model = strncmp(device_name(), "model", 5) == 0;
	bool mvisor = strcmp(device_name(), "model-mvisor") == 0;
	struct vgpu_dev *dev = NULL;
	char line[128];

	CHECK_EQ(vgpu_open(&dev), VGPU_OK);
	if (!dev)
		return;
	CHECK_EQ(vgpu_info(dev)->personality,
		 mvisor ? VGPU_PERSONALITY_MVISOR : VGPU_PERSONALITY_STANDARD);
	expect_line(mvisor ? "personality:       Mvisor virtio-vgpu (1AF4:105B)\n"
			   : "personality:       standard virtio-gpu (1AF4:1050)\n");
	expect_line(model ? "blob resources:    yes\n" : "blob resources:    no\n");
	if (model)
		snprintf(line, sizeof(line), "host-visible:      yes, %llu bytes\n",
			 (unsigned long long)MODEL_REGION_BYTES);
	else
		snprintf(line, sizeof(line), "host-visible:      no\n");
	expect_line(line);
	/* What the tool printed is what the device says. */
	CHECK_EQ(!!(vgpu_info(dev)->features & VGPU_FEATURE_RESOURCE_BLOB), model);
	CHECK_EQ(!!(vgpu_info(dev)->features & VGPU_FEATURE_HOST_VISIBLE), model);
	CHECK_EQ(vgpu_info(dev)->host_visible_size, model ? MODEL_REGION_BYTES : 0);
	vgpu_close(dev);
	if (tap_case_failed)
		dump_output();
}

int main(void)
{
	RUN(test_sim_starts);
	RUN(test_tool_runs);
	RUN(test_personality_blob_and_region);
	RUN(test_lists_both_capsets);
	RUN(test_sim_stops_cleanly);
	return tap_done();
}
