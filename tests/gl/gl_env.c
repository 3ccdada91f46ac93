/* SPDX-License-Identifier: MIT */
/*
 * Starting the sim outside our Mesa's environment (gl_env.h).
 */
#include "gl_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim_harness.h"

/* What selects our Mesa; the sim gets none of it. */
static const char *const mesa_vars[] = {
	"LD_LIBRARY_PATH",
	"LIBGL_DRIVERS_PATH",
	"GALLIUM_DRIVER",
	"LIBGL_ALWAYS_SOFTWARE",
	"__EGL_VENDOR_LIBRARY_FILENAMES",
	"EGL_PLATFORM",
	"MESA_LOADER_DRIVER_OVERRIDE",
};
#define NUM_MESA_VARS (sizeof(mesa_vars) / sizeof(mesa_vars[0]))

static int check_mesa_build(void)
{
	const char *dir = getenv("LIBGL_DRIVERS_PATH");
	char path[1024];

	if (!dir || !dir[0]) {
		printf("# LIBGL_DRIVERS_PATH is not set: run under scripts/with-our-mesa.sh\n");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/swrast_dri.so", dir);
	if (access(path, R_OK)) {
		printf("# our Mesa build is missing (%s): run make mesa\n", path);
		return -1;
	}
	return 0;
}

int gl_env_start_sim(void)
{
	char *saved[NUM_MESA_VARS];
	size_t i;
	int ret;

	if (check_mesa_build())
		return -1;
	for (i = 0; i < NUM_MESA_VARS; i++) {
		const char *value = getenv(mesa_vars[i]);

		saved[i] = value ? strdup(value) : NULL;
		unsetenv(mesa_vars[i]);
	}
	ret = sim_start();
	for (i = 0; i < NUM_MESA_VARS; i++) {
		if (saved[i])
			setenv(mesa_vars[i], saved[i], 1);
		free(saved[i]);
	}
	return ret;
}
