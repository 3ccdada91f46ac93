/* SPDX-License-Identifier: MIT */
/*
 * Keeping the host's GL stack mapped until the process exits, so that
 * LeakSanitizer can see and name what it holds.
 *
 * virgl_renderer_cleanup() terminates EGL, and Mesa's driver (swrast_dri.so)
 * and the libraries only it needed are unloaded.  What the driver still
 * held from its globals then has no root, and LeakSanitizer reports it as a
 * direct leak of an "<unknown module>": from a library we do not build, now
 * and then (it depends on the driver's threads), and not suppressible by
 * name.  Kept mapped, those globals stay roots and the driver's frames keep
 * their module's name (tests/lsan.supp), while leaks of ours still show.
 */
#ifndef VGPU_HOSTGL_KEEP_LOADED_H
#define VGPU_HOSTGL_KEEP_LOADED_H

/*
 * Mark every shared object loaded so far as never to be unloaded.  Call it
 * once the renderer is up (virgl_renderer_init loads the driver).
 */
void host_gl_keep_loaded(void);

#endif /* VGPU_HOSTGL_KEEP_LOADED_H */
