/* SPDX-License-Identifier: MIT */
/*
 * Pinned memory (issue 10, defect 2): resource backing is locked RAM that
 * any process may ask for.  One process creating buffers until it is
 * refused must stop at its limit, leave room for others, and get its
 * memory back on destroy.
 */
#include "libvgpu.h"
#include "scenario.h"
#include "../user/user.h"

#define BUFFER_BYTES (8u << 20)
/* More than any guest of the harness can pin: the loop ends by refusal or fails. */
#define MAX_BUFFERS 256u

static struct {
	struct vgpu_get_limits limits; /* when the greedy program was refused */
	unsigned created;
	int refusal;
	bool full;   /* the greedy program holds what it could get */
	bool others; /* another program was tried meanwhile */
	int other_create;
} pin;

static void greedy_app(void *arg)
{
	uint32_t *handles = malloc(MAX_BUFFERS * sizeof(*handles));
	struct vgpu_get_limits *limits = malloc(sizeof(*limits)); /* the program's own memory */
	struct vgpu_dev *dev = app_open_device();
	struct vgpu_resource_create c;
	unsigned i;

	if (!dev || !handles || !limits) {
		pin.full = true;
		return;
	}
	CHECK_EQ(vgpu_context_create(dev, VGPU_CAPSET_VIRGL2, "greedy"), VGPU_OK);
	for (pin.created = 0; pin.created < MAX_BUFFERS; pin.created++) {
		c = app_vertex_buffer(BUFFER_BYTES);
		pin.refusal = vgpu_resource_create(dev, &c);
		if (pin.refusal != VGPU_OK)
			break;
		handles[pin.created] = c.handle;
	}
	CHECK_EQ(vgpu_get_limits(dev, limits), VGPU_OK);
	pin.limits = *limits;
	pin.full = true;
	while (!pin.others)
		user_yield();
	for (i = 0; i < pin.created; i++)
		CHECK_EQ(vgpu_resource_destroy(dev, handles[i]), VGPU_OK);
	/* what was destroyed may be had again */
	c = app_vertex_buffer(BUFFER_BYTES);
	CHECK_EQ(vgpu_resource_create(dev, &c), VGPU_OK);
	vgpu_close(dev);
	free(limits);
	free(handles);
}

static void other_app(void *arg)
{
	struct vgpu_dev *dev = app_open_device();
	struct vgpu_resource_create c = app_vertex_buffer(BUFFER_BYTES);

	if (!dev)
		return;
	CHECK_EQ(vgpu_context_create(dev, VGPU_CAPSET_VIRGL2, "other"), VGPU_OK);
	pin.other_create = vgpu_resource_create(dev, &c);
	vgpu_close(dev);
}

static void pinned_limit(void)
{
	struct nt_process *proc;
	struct nt_thread *greedy;
	struct vgpu_get_limits *l = &pin.limits;

	if (!need_started_gpu())
		return;
	memset(&pin, 0, sizeof(pin));
	proc = nt_process_create("greedy");
	greedy = nt_thread_start(proc, "greedy", greedy_app, NULL);
	while (!pin.full && !nt_thread_finished(greedy))
		nt_yield();
	run_app_beside("other", other_app, NULL);
	pin.others = true;
	nt_join(greedy);
	nt_process_terminate(proc);
	con_printf("# %u buffers of 8 MiB, then %s; limits %llu MiB, %llu MiB per process; "
		   "pinned %llu MiB\n",
		   pin.created, vgpu_status_str(pin.refusal),
		   (unsigned long long)(l->pinned_max >> 20),
		   (unsigned long long)(l->pinned_max_per_process >> 20),
		   (unsigned long long)(l->pinned_by_caller >> 20));
	CHECK_EQ(pin.refusal, VGPU_E_NO_MEMORY);
	/* half of the guest's RAM for all, three eighths for one process */
	CHECK(l->pinned_max > 0 && l->pinned_max <= plat_ram_bytes() / 2);
	CHECK_EQ(l->pinned_max_per_process, l->pinned_max / 4 * 3);
	CHECK(l->pinned_by_caller <= l->pinned_max_per_process);
	CHECK(l->pinned_by_caller + BUFFER_BYTES > l->pinned_max_per_process);
	CHECK_EQ(l->pinned, l->pinned_by_caller);
	CHECK_EQ(pin.other_create, VGPU_OK);
}

const struct scenario scenarios_memory[] = {
	{ "memory.pinned_limit", pinned_limit },
};
const unsigned scenarios_memory_count = sizeof(scenarios_memory) / sizeof(scenarios_memory[0]);
