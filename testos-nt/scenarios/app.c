/* SPDX-License-Identifier: MIT */
/* A user program of the guest: one process, one thread, run to its end. */
#include "libvgpu.h"
#include "scenario.h"
#include "triangle_scene.h"

struct vgpu_dev *app_open_device(void)
{
	struct vgpu_dev *dev = NULL;
	int ret = vgpu_open(&dev);

	if (ret != VGPU_OK)
		con_printf("# vgpu_open: %s (%s)\n", vgpu_status_str(ret), vgpu_open_error());
	CHECK_EQ(ret, VGPU_OK);
	return ret == VGPU_OK ? dev : NULL;
}

struct vgpu_resource_create app_render_target(uint32_t w, uint32_t h)
{
	return (struct vgpu_resource_create){ .target = VSTREAM_TARGET_TEXTURE_2D,
					      .format = TRIANGLE_SCENE_FORMAT,
					      .bind = VSTREAM_BIND_RENDER_TARGET,
					      .width = w,
					      .height = h,
					      .depth = 1,
					      .array_size = 1,
					      .size = (uint64_t)w * h *
						      TRIANGLE_SCENE_BYTES_PER_PIXEL };
}

void run_app_beside(const char *name, void (*fn)(void *arg), void *arg)
{
	struct nt_process *proc = nt_process_create(name);
	struct nt_thread *thread = nt_thread_start(proc, name, fn, arg);

	nt_join(thread);
	nt_process_terminate(proc);
}

void run_app(const char *name, void (*fn)(void *arg), void *arg)
{
	run_app_beside(name, fn, arg);
	nt_join(NULL);
}
