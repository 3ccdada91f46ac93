/* SPDX-License-Identifier: MIT */
/*
 * A user program of the guest: one process, one thread, run to its end;
 * and the Win32 calls a program makes on the device without libvgpu.
 */
#include "libvgpu.h"
#include "scenario.h"
#include "triangle_scene.h"
#include "../user/user.h"
#include "vgpu/vgpu_windows.h"

static const GUID vgpu_interface = VGPU_DEVICE_INTERFACE_GUID_INIT;

/* The device path as a user string (in the process's heap), with `suffix` appended. */
static WCHAR *device_path(const char *suffix)
{
	const WCHAR *paths[1];
	WCHAR *path;
	size_t n = 0, m = strlen(suffix), i;

	if (user_interfaces(&vgpu_interface, (const uint16_t **)paths, 1) != 1)
		return NULL;
	while (paths[0][n])
		n++;
	path = malloc((n + m + 1) * sizeof(WCHAR));
	if (!path)
		return NULL;
	memcpy(path, paths[0], n * sizeof(WCHAR));
	for (i = 0; i <= m; i++)
		path[n + i] = (WCHAR)(unsigned char)suffix[i];
	return path;
}

HANDLE app_open_raw(const char *suffix, ULONG *error)
{
	WCHAR *path = device_path(suffix);
	HANDLE h;

	CHECK(path);
	if (!path)
		return INVALID_HANDLE_VALUE;
	h = user_create_file(path, (uint32_t *)error);
	free(path);
	return h;
}

ULONG app_call(HANDLE h, ULONG code, void *in, ULONG in_len, void *out, ULONG out_len)
{
	uint32_t returned = 0, error = 0;

	if (user_device_control(h, code, in, in_len, out, out_len, &returned, &error))
		return 0;
	return error;
}

struct vgpu_dev *app_open_device(void)
{
	struct vgpu_dev *dev = NULL;
	int ret = vgpu_open(&dev);

	if (ret != VGPU_OK)
		con_printf("# vgpu_open: %s (%s)\n", vgpu_status_str(ret), vgpu_open_error());
	CHECK_EQ(ret, VGPU_OK);
	return ret == VGPU_OK ? dev : NULL;
}

void app_read_stats(void *arg)
{
	struct vgpu_get_stats *stats = malloc(sizeof(*stats)); /* the program's own memory */
	struct vgpu_dev *dev = app_open_device();

	if (!dev || !stats)
		return;
	CHECK_EQ(vgpu_get_stats(dev, stats), VGPU_OK);
	memcpy(arg, stats, sizeof(*stats));
	vgpu_close(dev);
	free(stats);
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

struct vgpu_resource_create app_vertex_buffer(uint32_t bytes)
{
	return (struct vgpu_resource_create){ .target = VSTREAM_TARGET_BUFFER,
					      .format = VSTREAM_FORMAT_R8_UNORM,
					      .bind = VSTREAM_BIND_VERTEX_BUFFER,
					      .width = bytes,
					      .height = 1,
					      .depth = 1,
					      .array_size = 1,
					      .size = bytes };
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

bool app_lowres_ready(struct vgpu_dev **dev, const char *name, unsigned *failures)
{
	int ret;

	if (!*dev && vgpu_open(dev) != VGPU_OK) {
		*dev = NULL;
		(*failures)++;
		return false;
	}
	ret = vgpu_context_create(*dev, VGPU_CAPSET_VIRGL2, name);
	if (ret != VGPU_OK && ret != VGPU_E_STATE) {
		CHECK(ret == VGPU_E_NO_MEMORY || ret == VGPU_E_DEVICE);
		(*failures)++;
		return false;
	}
	return true;
}

bool app_lowres_created(int ret, unsigned *failures)
{
	if (ret == VGPU_OK)
		return true;
	CHECK(ret == VGPU_E_NO_MEMORY || ret == VGPU_E_DEVICE);
	(*failures)++;
	return false;
}

void app_lowres_finish(struct vgpu_dev **dev, unsigned round, uint32_t handle, size_t fill,
		       unsigned *failures)
{
	uint64_t size = 0;
	void *map = NULL;
	int ret = vgpu_resource_map(*dev, handle, &map, &size);

	if (ret == VGPU_OK)
		memset(map, (int)round, fill);
	else
		CHECK_EQ(ret, VGPU_E_NO_MEMORY);
	if (ret != VGPU_OK)
		(*failures)++;
	CHECK_EQ(vgpu_resource_destroy(*dev, handle), VGPU_OK);
	if (round % 8 == 7) {
		vgpu_close(*dev);
		*dev = NULL;
	}
}
