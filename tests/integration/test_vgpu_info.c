// SPDX-License-Identifier: MIT
/*
 * vgpu-info, the built tool, against a running sim: it must list the two
 * capsets the real device offers (VIRGL and VIRGL2), with the versions and
 * sizes that a libvgpu client reads from the same device.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "integration.h"

#define OUTPUT_MAX 65536

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

static void dump_output(void)
{
	char *line, *save = NULL;

	for (line = strtok_r(output, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		printf("# vgpu-info: %s\n", line);
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

int main(void)
{
	RUN(test_sim_starts);
	RUN(test_tool_runs);
	RUN(test_lists_both_capsets);
	RUN(test_sim_stops_cleanly);
	return tap_done();
}
