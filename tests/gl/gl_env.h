/* SPDX-License-Identifier: MIT */
/*
 * The environment of a GL test through vgpu.  The test runs with our Mesa
 * build selected (LD_LIBRARY_PATH, LIBGL_DRIVERS_PATH, GALLIUM_DRIVER=vgpu,
 * LIBGL_ALWAYS_SOFTWARE=1); the sim it starts must not inherit any of
 * that, because the sim's device renders with the system's Mesa.
 */
#ifndef VGPU_TESTS_GL_ENV_H
#define VGPU_TESTS_GL_ENV_H

/*
 * Check that our Mesa build is there, start a private sim with those
 * variables removed from its environment, and put them back.  0 or -1
 * (after saying why as TAP diagnostics).
 */
int gl_env_start_sim(void);

#endif /* VGPU_TESTS_GL_ENV_H */
