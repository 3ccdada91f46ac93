/* SPDX-License-Identifier: MIT */
/* A user program of the guest: one process, one thread, run to its end. */
#include "libvgpu.h"
#include "scenario.h"

struct vgpu_dev *app_open_device(void)
{
	struct vgpu_dev *dev = NULL;
	int ret = vgpu_open(&dev);

	if (ret != VGPU_OK)
		con_printf("# vgpu_open: %s (%s)\n", vgpu_status_str(ret), vgpu_open_error());
	CHECK_EQ(ret, VGPU_OK);
	return ret == VGPU_OK ? dev : NULL;
}

void run_app(const char *name, void (*fn)(void *arg), void *arg)
{
	struct nt_process *proc = nt_process_create(name);
	struct nt_thread *thread = nt_thread_start(proc, name, fn, arg);

	nt_join(thread);
	nt_process_terminate(proc);
	nt_join(NULL);
}
